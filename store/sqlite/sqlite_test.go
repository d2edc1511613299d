package sqlite_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/store"
	"github.com/hookrunner/hookrunner/store/sqlite"
	"github.com/hookrunner/hookrunner/store/sqlstore"
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
	t.Parallel()
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
	if err != nil || v != len(sqlite.Dialect.Migrations) {
		t.Fatalf("schema version = %d, %v", v, err)
	}
	if _, err := sqlite.Open(ctx, path, sqlite.Options{Synchronous: "sometimes"}); err == nil {
		t.Fatal("bad synchronous accepted")
	}
}

// TestClockInjected: the store stamps its writes with Options.Now, so
// tests can move time without sleeping.
func TestClockInjected(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := &fakeClock{now: time.Date(2030, 5, 6, 7, 8, 9, 0, time.UTC)}
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "x.db"), sqlite.Options{Options: sqlstore.Options{Now: clock.Now}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Now()
	ev := &store.Event{ID: store.NewID(), Source: "s", Provider: "generic", Headers: map[string]string{}, Body: []byte("x"), ReceivedAt: now}
	r := &store.Run{ID: store.NewID(), EventID: ev.ID, Rule: "r", State: store.Pending, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now}
	if _, err := s.Ingest(ctx, ev, []*store.Run{r}, now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Claim(ctx, store.ClaimOptions{Owner: "w", Limit: 1, Lease: time.Minute, Now: now}); err != nil || len(got) != 1 {
		t.Fatalf("claim = %v, %v", got, err)
	}
	clock.Advance(time.Hour)
	if err := s.Finish(ctx, "w", r.ID, store.Outcome{State: store.Succeeded, Attempt: store.Attempt{N: 1, OK: true}}); err != nil {
		t.Fatal(err)
	}
	got, _, err := s.GetRun(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := clock.Now()
	if got.FinishedAt == nil || !got.FinishedAt.Equal(want) || !got.UpdatedAt.Equal(want) {
		t.Fatalf("finished at %v, updated at %v; want the store clock's %v", got.FinishedAt, got.UpdatedAt, want)
	}
}

// TestQueriesServedByIndexes: the run queries whose cost must not grow
// with the backlog read the index meant for them, in order, without a
// temporary B-tree. The claim reads due runs in order from runs_queue
// (migration 5; before, "USE TEMP B-TREE FOR ORDER BY", whose cost grew
// with the backlog, issue 22), with and without a rule left out for its
// concurrency limit; the counts by state read runs_state alone (migration
// 6), never the table.
func TestQueriesServedByIndexes(t *testing.T) {
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "q.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	plans, err := s.ExplainQueries(context.Background(), "EXPLAIN QUERY PLAN")
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]string{
		"claim":                      "COVERING INDEX runs_queue",
		"claim, a rule at its limit": "COVERING INDEX runs_queue",
		"running counts":             "COVERING INDEX runs_running",
		"count by state":             "COVERING INDEX runs_state",
		"replay":                     "INDEX runs_",
	}
	for name, want := range tests {
		text := strings.Join(plans[name], "\n")
		t.Logf("%s:\n%s", name, text)
		if !strings.Contains(text, want) || strings.Contains(text, "TEMP B-TREE") {
			t.Errorf("%s plan:\n%s\nwant %q, no temp B-tree", name, text, want)
		}
	}
}
