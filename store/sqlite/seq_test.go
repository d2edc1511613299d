package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/store"
	"github.com/hookrunner/hookrunner/store/sqlite"
	"github.com/hookrunner/hookrunner/store/sqlstore"
)

// Migration 8 numbers the events already stored in the order they were
// received, and the counter continues after them.
func TestMigrationNumbersExistingEvents(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	// A database as the schema before the sequence left it.
	db, exec := schema5(t, path)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, n := range []int{3, 1, 2} { // inserted out of receive order
		exec(`INSERT INTO events (id, source, provider, event, delivery_id, headers, query, body, remote_ip, received_at, verification, matched, config_hash)
			VALUES (?, 'gh', 'github', 'push', ?, '{}', '', x'00', '127.0.0.1', ?, 'ok', '[]', 'h')`,
			fmt.Sprintf("ev-%d", n), fmt.Sprint(n), t0.Add(time.Duration(n)*time.Minute).UnixNano())
	}
	db.Close()

	s, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	evs, err := s.EventsAfter(ctx, 0, []string{"gh"}, 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range evs {
		got = append(got, fmt.Sprintf("%s:%d", ev.ID, ev.Seq))
	}
	if strings.Join(got, " ") != "ev-1:1 ev-2:2 ev-3:3" {
		t.Fatalf("after migration: %v", got)
	}
	ev := &store.Event{ID: store.NewID(), Source: "gh", Provider: "github", Event: "push", Headers: map[string]string{}, Body: []byte("{}"),
		ReceivedAt: t0.Add(time.Hour), Verification: "ok", ConfigHash: "h"}
	if _, err := s.Ingest(ctx, ev, nil, t0); err != nil {
		t.Fatal(err)
	}
	if ev.Seq != 4 {
		t.Fatalf("next event numbered %d, want 4", ev.Seq)
	}
}

// schema5 creates at path a database as a build at schema 5 left it (the
// first five migrations, recorded), for tests of the migrations after it;
// exec runs a statement on it or fails the test.
func schema5(t *testing.T, path string) (*sql.DB, func(q string, args ...any)) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.ExecContext(context.Background(), q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`)
	for i, m := range sqlstore.Migrations("BLOB", true)[:5] {
		for _, stmt := range strings.Split(m, ";\n") {
			exec(stmt)
		}
		exec(`INSERT INTO schema_migrations VALUES (?, 0)`, i+1)
	}
	return db, exec
}
