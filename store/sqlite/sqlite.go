// Package sqlite opens the embedded SQLite store (modernc.org/sqlite, pure
// Go, WAL). One connection writes (group commit); a small pool reads.
package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	_ "modernc.org/sqlite" // database/sql driver "sqlite"

	"github.com/hookrunner/hookrunner/store/sqlstore"
)

// Options for Open.
type Options struct {
	// Synchronous is SQLite's synchronous pragma in WAL mode: "full" (the
	// default: a commit is fsynced before Ingest returns, so an
	// acknowledged event survives power loss) or "normal" (survives a
	// process crash; the last commits may be lost on power loss).
	Synchronous string
	sqlstore.Options
}

// Dialect is SQLite's.
var Dialect = sqlstore.Dialect{
	Name:       "sqlite",
	Rebind:     func(q string) string { return q },
	Migrations: migrations,
	Writers:    1,
}

var migrations = []string{
	`CREATE TABLE events (
		id TEXT PRIMARY KEY,
		source TEXT NOT NULL,
		provider TEXT NOT NULL,
		event TEXT NOT NULL,
		delivery_id TEXT NOT NULL DEFAULT '',
		headers TEXT NOT NULL,
		query TEXT NOT NULL DEFAULT '',
		body BLOB NOT NULL,
		remote_ip TEXT NOT NULL,
		received_at INTEGER NOT NULL,
		verification TEXT NOT NULL,
		matched TEXT NOT NULL,
		config_hash TEXT NOT NULL
	);
	CREATE INDEX events_received ON events (received_at);
	CREATE INDEX events_source ON events (source, received_at);
	CREATE TABLE deliveries (
		source TEXT NOT NULL,
		delivery_id TEXT NOT NULL,
		event_id TEXT NOT NULL,
		received_at INTEGER NOT NULL,
		PRIMARY KEY (source, delivery_id)
	);
	CREATE INDEX deliveries_received ON deliveries (received_at);
	CREATE TABLE runs (
		id TEXT PRIMARY KEY,
		event_id TEXT NOT NULL,
		rule TEXT NOT NULL,
		config_hash TEXT NOT NULL,
		state TEXT NOT NULL,
		attempt INTEGER NOT NULL DEFAULT 0,
		step INTEGER NOT NULL DEFAULT 0,
		next_attempt_at INTEGER NOT NULL,
		claimed_by TEXT NOT NULL DEFAULT '',
		last_error TEXT NOT NULL DEFAULT '',
		exit_code INTEGER,
		http_status INTEGER NOT NULL DEFAULT 0,
		output TEXT NOT NULL DEFAULT '',
		detail TEXT NOT NULL DEFAULT '',
		created_at INTEGER NOT NULL,
		updated_at INTEGER NOT NULL,
		finished_at INTEGER,
		replay_of TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX runs_due ON runs (state, next_attempt_at);
	CREATE INDEX runs_event ON runs (event_id);
	CREATE INDEX runs_rule ON runs (rule, state);
	CREATE INDEX runs_created ON runs (created_at);
	CREATE TABLE attempts (
		run_id TEXT NOT NULL,
		n INTEGER NOT NULL,
		step INTEGER NOT NULL,
		started_at INTEGER NOT NULL,
		duration_ns INTEGER NOT NULL,
		ok BOOLEAN NOT NULL,
		error TEXT NOT NULL DEFAULT '',
		exit_code INTEGER,
		http_status INTEGER NOT NULL DEFAULT 0,
		output TEXT NOT NULL DEFAULT '',
		detail TEXT NOT NULL DEFAULT '',
		PRIMARY KEY (run_id, n)
	)`,
	`CREATE TABLE poll_state (
		source TEXT PRIMARY KEY,
		cursor TEXT NOT NULL DEFAULT '',
		initialized BOOLEAN NOT NULL DEFAULT FALSE,
		lease_owner TEXT NOT NULL DEFAULT '',
		lease_until BIGINT NOT NULL DEFAULT 0,
		last_poll_at BIGINT NOT NULL DEFAULT 0,
		last_error TEXT NOT NULL DEFAULT ''
	)`,
}

func dsn(path, sync string, write bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous("+strings.ToUpper(sync)+")")
	if write {
		q.Set("_txlock", "immediate")
	}
	return "file:" + path + "?" + q.Encode()
}

// Open opens (creating if needed) the SQLite store at path.
func Open(ctx context.Context, path string, o Options) (*sqlstore.Store, error) {
	if o.Synchronous == "" {
		o.Synchronous = "full"
	}
	switch o.Synchronous {
	case "full", "normal", "extra":
	default:
		return nil, fmt.Errorf("sqlite: synchronous must be full, normal or extra, got %q", o.Synchronous)
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("sqlite: create directory for %s: %w", path, err)
		}
	}
	w, err := sql.Open("sqlite", dsn(path, o.Synchronous, true))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxLifetime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", dsn(path, o.Synchronous, false))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s for reading: %w", path, err)
	}
	r.SetMaxOpenConns(4)
	d := Dialect
	full := "PRAGMA synchronous=" + strings.ToUpper(o.Synchronous)
	d.Relax = func(ctx context.Context, db *sql.DB, _ *sql.Tx, relaxed bool) error {
		q := full
		if relaxed {
			// Run-state changes: in WAL mode NORMAL still survives a
			// process crash; only a power cut may undo the last ones,
			// which at worst runs an action again.
			q = "PRAGMA synchronous=NORMAL"
		}
		_, err := db.ExecContext(ctx, q)
		return err
	}
	s, err := sqlstore.New(ctx, d, w, r, o.Options)
	if err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("sqlite %s: %w", path, err)
	}
	return s, nil
}
