package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/store"
	"github.com/hookrunner/hookrunner/store/sqlite"
)

// TestMigration7KeepsDeliveriesAndRuns: a store written at schema 5 (before migrations 6 and 7) and
// opened by this build (migration 7 rebuilds deliveries WITHOUT ROWID and
// swaps the run indexes) still answers its deliveries as duplicates, still
// claims its queued runs, and counts them by state.
func TestMigration7KeepsDeliveriesAndRuns(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v5.db")

	// Schema 5, written as that build wrote it: the first five migrations,
	// then events, their deliveries and queued runs in plain SQL (today's
	// statements name columns that later migrations add).
	db, exec := schema5(t, path)
	now := time.Now()
	var events []*store.Event
	for i := 0; i < 3; i++ {
		ev := &store.Event{ID: store.NewID(), Source: "gh", DeliveryID: "d-" + string(rune('a'+i))}
		exec(`INSERT INTO events (id, source, provider, event, delivery_id, headers, query, body, remote_ip, received_at, verification, matched, config_hash)
			VALUES (?, 'gh', 'github', 'push', ?, '{}', '', x'7b7d', '127.0.0.1', ?, 'ok', '["r"]', 'h')`, ev.ID, ev.DeliveryID, now.UnixNano())
		exec(`INSERT INTO deliveries (source, delivery_id, event_id, received_at) VALUES ('gh', ?, ?, ?)`, ev.DeliveryID, ev.ID, now.UnixNano())
		exec(`INSERT INTO runs (id, event_id, rule, config_hash, state, attempt, step, next_attempt_at, claimed_by, last_error, exit_code, http_status, output, detail, created_at, updated_at, finished_at, replay_of, interrupted)
			VALUES (?, ?, 'r', 'h', 'pending', 0, 0, ?, '', '', NULL, 0, '', '', ?, ?, NULL, '', 0)`, store.NewID(), ev.ID, now.UnixNano(), now.UnixNano(), now.UnixNano())
		events = append(events, ev)
	}
	db.Close()

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
