package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/hookrunner/hookrunner/store"
	"github.com/hookrunner/hookrunner/store/sqlite"
	"github.com/hookrunner/hookrunner/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "hookrunner.db"), sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestReopenKeepsDataAndMigrationsOnce(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "x.db")
	s, err := sqlite.Open(ctx, path, sqlite.Options{Synchronous: "normal"})
	if err != nil {
		t.Fatal(err)
	}
	ev := &store.Event{ID: store.NewID(), Source: "s", Provider: "generic", Headers: map[string]string{}, Body: []byte("x")}
	if _, err := s.Ingest(ctx, ev, nil, ev.ReceivedAt); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.GetEvent(ctx, ev.ID); err != nil {
		t.Fatalf("event lost across reopen: %v", err)
	}
	v, err := s.SchemaVersion(ctx)
	if err != nil || v != 3 {
		t.Fatalf("schema version = %d, %v", v, err)
	}
	if _, err := sqlite.Open(ctx, path, sqlite.Options{Synchronous: "sometimes"}); err == nil {
		t.Fatal("bad synchronous accepted")
	}
}
