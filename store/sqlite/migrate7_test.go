package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/store"
	"github.com/hookrunner/hookrunner/store/sqlite"
	"github.com/hookrunner/hookrunner/store/sqlstore"
)

// TestMigration7KeepsDeliveriesAndRuns: a store written at schema 5 (before migrations 6 and 7) and
// opened by this build (migration 7 rebuilds deliveries WITHOUT ROWID and
// swaps the run indexes) still answers its deliveries as duplicates, still
// claims its queued runs, and counts them by state.
func TestMigration7KeepsDeliveriesAndRuns(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v5.db")

	// Schema 5: this dialect with its first five migrations only.
	v5 := sqlite.Dialect
	v5.Migrations = v5.Migrations[:5]
	v5.IndexedBy = false // runs_queue exists at 5, runs_state does not
	w, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	w.SetMaxOpenConns(1)
	r, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	old, err := sqlstore.New(ctx, v5, w, r, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	var events []*store.Event
	for i := 0; i < 3; i++ {
		ev := &store.Event{ID: store.NewID(), Source: "gh", Provider: "github", Event: "push", DeliveryID: "d-" + string(rune('a'+i)),
			Headers: map[string]string{}, Body: []byte("{}"), ReceivedAt: now}
		run := &store.Run{ID: store.NewID(), EventID: ev.ID, Rule: "r", State: store.Pending, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now}
		if _, err := old.Ingest(ctx, ev, []*store.Run{run}, now.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		events = append(events, ev)
	}
	old.Close()
	w.Close()
	r.Close()

	s, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatalf("open at schema 5: %v", err)
	}
	defer s.Close()
	if v, err := s.SchemaVersion(ctx); err != nil || v != len(sqlite.Dialect.Migrations) {
		t.Fatalf("schema version = %d, %v; want %d", v, err, len(sqlite.Dialect.Migrations))
	}
	for _, ev := range events {
		id, seen, err := s.Seen(ctx, ev.Source, ev.DeliveryID, now.Add(-time.Hour))
		if err != nil || !seen || id != ev.ID {
			t.Fatalf("delivery %s after migration: seen %v as %q, %v; want %s", ev.DeliveryID, seen, id, err, ev.ID)
		}
		dup := &store.Event{ID: store.NewID(), Source: ev.Source, Provider: "github", Event: "push", DeliveryID: ev.DeliveryID,
			Headers: map[string]string{}, Body: []byte("{}"), ReceivedAt: now}
		res, err := s.Ingest(ctx, dup, nil, now.Add(-time.Hour))
		if err != nil || !res.Duplicate || res.EventID != ev.ID {
			t.Fatalf("redelivery of %s: %+v, %v; want a duplicate of %s", ev.DeliveryID, res, err, ev.ID)
		}
	}
	counts, err := s.CountStates(ctx)
	if err != nil || counts[store.Pending] != 3 {
		t.Fatalf("counts = %v, %v; want 3 pending", counts, err)
	}
	got, err := s.Claim(ctx, store.ClaimOptions{Owner: "w", Limit: 10, Lease: time.Minute, Now: now.Add(time.Second)})
	if err != nil || len(got) != 3 {
		t.Fatalf("claim after migration = %d runs, %v; want 3", len(got), err)
	}
}
