package storetest

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/store"
)

// revisions: config revisions are kept by hash, idempotently, byte-exact.
func revisions(t *testing.T, newStore Factory) {
	t.Run("Revisions", func(t *testing.T) {
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
}
