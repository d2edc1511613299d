package storetest

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/store"
)

// revisionsFamily: config revisions are kept by hash, idempotently, byte-exact.
func revisionsFamily(t *testing.T, newStore Factory) {
	t.Run("Revisions", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		ctx := context.Background()
		rev := &store.Revision{Hash: "abc123", Path: "/etc/hookrunner/hooks.yaml", CreatedAt: time.Unix(1700000000, 0),
			Files: map[string]string{"hooks.yaml": "sources:\n  gh: { provider: github, secret: \"${GH}\" }\n", "hooks.d/a.yaml": "rules: []\n"}}
		for i := 0; i < 2; i++ { // saving twice is a no-op
			if err := s.SaveRevision(ctx, rev); err != nil {
				t.Fatalf("save %d: %v", i, err)
			}
		}
		got, err := s.GetRevision(ctx, "abc123")
		if err != nil {
			t.Fatal(err)
		}
		if got.Path != rev.Path || !reflect.DeepEqual(got.Files, rev.Files) || !got.CreatedAt.Equal(rev.CreatedAt) {
			t.Fatalf("got %+v, want %+v", got, rev)
		}
		if _, err := s.GetRevision(ctx, "nosuch"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing revision: err = %v, want ErrNotFound", err)
		}
	})
	t.Run("ListRevisions", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		ctx := context.Background()
		if got, err := s.ListRevisions(ctx, 0); err != nil || len(got) != 0 {
			t.Fatalf("empty store: %v, %v", got, err)
		}
		base := time.Unix(1700000000, 0)
		for i, h := range []string{"h1", "h2", "h3"} {
			rev := &store.Revision{Hash: h, Path: "/etc/hooks.yaml", CreatedAt: base.Add(time.Duration(i) * time.Minute),
				Files: map[string]string{"hooks.yaml": "# " + h + "\n"}}
			if err := s.SaveRevision(ctx, rev); err != nil {
				t.Fatal(err)
			}
		}
		// Saving h1 again later keeps its first time.
		if err := s.SaveRevision(ctx, &store.Revision{Hash: "h1", Path: "/etc/hooks.yaml", CreatedAt: base.Add(time.Hour), Files: map[string]string{}}); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			limit int
			want  []string
		}{{0, []string{"h3", "h2", "h1"}}, {2, []string{"h3", "h2"}}}
		for _, tt := range tests {
			got, err := s.ListRevisions(ctx, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			var hashes []string
			for _, r := range got {
				hashes = append(hashes, r.Hash)
				if r.Files != nil || r.Path != "/etc/hooks.yaml" {
					t.Fatalf("listed %+v: want path and no files", r)
				}
			}
			if !reflect.DeepEqual(hashes, tt.want) {
				t.Fatalf("limit %d: got %v, want %v", tt.limit, hashes, tt.want)
			}
			if !got[len(got)-1].CreatedAt.Equal(base.Add(time.Duration(3-len(got)) * time.Minute)) {
				t.Fatalf("limit %d: oldest listed created_at %v", tt.limit, got[len(got)-1].CreatedAt)
			}
		}
	})
}
