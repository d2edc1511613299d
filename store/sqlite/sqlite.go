// Package sqlite opens the embedded SQLite store (modernc.org/sqlite, pure
// Go, WAL). One connection writes (group commit); a small pool reads.
package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
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
	// BEGIN IMMEDIATE: one write transaction at a time, across processes.
	Serialized: true,
	// Another process's commit to the file (an import into a serving
	// store) shows in the writer's next transaction.
	DataVersion: "PRAGMA data_version",
	// No statistics: the run queue's queries name their indexes.
	IndexedBy: true,
	// Claims take their ids as one JSON array: fixed statements, prepared
	// once (parsing is CPU in pure-Go SQLite).
	InIDs:  "IN (SELECT value FROM json_each(?))",
	IDList: jsonIDs,
}

// jsonIDs is ids as a JSON array, for InIDs.
func jsonIDs(ids []string) any {
	b, _ := json.Marshal(ids)
	return string(b)
}

var migrations = sqlstore.Migrations("BLOB", true)

func dsn(path string, extra url.Values, sync string, write bool) string {
	q := url.Values{}
	for k, vs := range extra {
		q[k] = append([]string(nil), vs...)
	}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous("+strings.ToUpper(sync)+")")
	if write {
		q.Set("_txlock", "immediate")
	}
	return "file:" + path + "?" + q.Encode()
}

// ParseDSN splits a store.dsn into the database file's path and the query
// parameters to pass on: either a plain path, or a file: URI
// ("file:/var/lib/hookrunner/db?_pragma=cache_size(-20000)"). Parameters
// that would undo what the store relies on (WAL, the synchronous setting
// of store.synchronous, immediate write transactions, a file on disk) are
// refused.
func ParseDSN(s string) (string, url.Values, error) {
	if !strings.HasPrefix(s, "file:") {
		return s, nil, nil
	}
	p, rawQuery, _ := strings.Cut(strings.TrimPrefix(s, "file:"), "?")
	if rest, ok := strings.CutPrefix(p, "//"); ok { // file:///abs/path, file://localhost/abs/path
		if i := strings.IndexByte(rest, '/'); i >= 0 && (rest[:i] == "" || rest[:i] == "localhost") {
			p = rest[i:]
		} else {
			return "", nil, fmt.Errorf("sqlite: dsn %q: a file: URI names a local file (file:/path or file:///path)", s)
		}
	}
	if p == "" || p == ":memory:" {
		return "", nil, fmt.Errorf("sqlite: dsn %q: names no database file (an in-memory database would lose every event)", s)
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return "", nil, fmt.Errorf("sqlite: dsn %q: %w", s, err)
	}
	for k, vs := range q {
		switch k {
		case "_txlock", "vfs":
			return "", nil, fmt.Errorf("sqlite: dsn: %s is set by hookrunner", k)
		case "mode":
			if vs[len(vs)-1] == "memory" || vs[len(vs)-1] == "ro" {
				return "", nil, fmt.Errorf("sqlite: dsn: mode=%s would lose or refuse writes", vs[len(vs)-1])
			}
		case "_pragma":
			for _, v := range vs {
				name := strings.ToLower(strings.TrimSpace(v))
				if strings.HasPrefix(name, "journal_mode") || strings.HasPrefix(name, "synchronous") {
					return "", nil, fmt.Errorf("sqlite: dsn: _pragma=%s is set by hookrunner (WAL; use store.synchronous)", v)
				}
			}
		}
	}
	return p, q, nil
}

// Open opens (creating if needed) the SQLite store at path: a file path or
// a file: URI with query parameters (ParseDSN).
func Open(ctx context.Context, path string, o Options) (*sqlstore.Store, error) {
	path, extra, err := ParseDSN(path)
	if err != nil {
		return nil, err
	}
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
	w, err := sql.Open("sqlite", dsn(path, extra, o.Synchronous, true))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxLifetime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", dsn(path, extra, o.Synchronous, false))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s for reading: %w", path, err)
	}
	r.SetMaxOpenConns(4)
	// Keep all four: database/sql keeps 2 idle by default, so under load
	// the other two were closed after each read and opened again (pragmas,
	// WAL setup, every prepared statement prepared again), which cost more
	// than the delivery lookup each request makes.
	r.SetMaxIdleConns(4)
	r.SetConnMaxIdleTime(0)
	d := Dialect
	id, err := statIdentity(path)
	if err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	d.Check = func() error { return sameFile(path, id) }
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
