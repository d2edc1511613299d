package crm

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	_ "modernc.org/sqlite"             // database/sql driver "sqlite"

	"github.com/hookrunner/hookrunner/actions"
	"github.com/hookrunner/hookrunner/expression"
)

// versionColumn holds only_if_newer's value in the table.
const versionColumn = "hookrunner_version"

type sqlDriver struct {
	cfg      Config
	dsn      string
	postgres bool
	cols     []string
	mu       sync.Mutex
	db       *sql.DB // the action's pool (nil until first use, and after close)
	ready    bool    // create_table has run on db
	users    int     // upserts using db
	closed   bool
}

// newSQL builds the sql driver. A relative SQLite path in dsn was made
// relative to hooks.yaml's folder by the config loader (the path tag).
func newSQL(cfg Config, names []string) (driver, error) {
	if cfg.DSN == "" {
		return nil, errors.New("dsn: required for the sql driver (a SQLite file path or a postgres:// URL)")
	}
	if !ident.MatchString(cfg.Table) {
		return nil, fmt.Errorf("table: %q is not a plain SQL identifier", cfg.Table)
	}
	for _, n := range names {
		if !ident.MatchString(n) {
			return nil, fmt.Errorf("fields.%s: not a plain SQL column name", n)
		}
	}
	d := &sqlDriver{cfg: cfg, cols: names, dsn: cfg.DSN}
	d.postgres = strings.HasPrefix(cfg.DSN, "postgres://") || strings.HasPrefix(cfg.DSN, "postgresql://")
	return d, nil
}

func (d *sqlDriver) describe() string {
	kind := "sqlite " + d.dsn
	if d.postgres {
		kind = "postgres"
	}
	return fmt.Sprintf("table %s (%s)", d.cfg.Table, kind)
}

// open returns the pool for one upsert and the release to call after it.
// The pool is the action's own: opened at first use, closed by close (when
// the config the action belongs to is dropped, or at shutdown) once the
// last upsert using it has released it. An upsert that starts after close
// (a run still in flight on a dropped config) gets a pool of its own that
// its release closes, so nothing outlives the action.
func (d *sqlDriver) open(ctx context.Context) (*sql.DB, func(), error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		db, err := d.dial()
		if err != nil {
			return nil, nil, err
		}
		if d.cfg.CreateTable {
			if err := d.createTable(ctx, db); err != nil {
				db.Close()
				return nil, nil, err
			}
		}
		return db, func() { db.Close() }, nil
	}
	if d.db == nil {
		db, err := d.dial()
		if err != nil {
			return nil, nil, err
		}
		d.db = db
	}
	if !d.ready && d.cfg.CreateTable {
		// A failure here is retried on the next attempt (the database may
		// come back).
		if err := d.createTable(ctx, d.db); err != nil {
			return nil, nil, err
		}
	}
	d.ready = true
	d.users++
	return d.db, d.release, nil
}

func (d *sqlDriver) release() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.users--
	if d.closed && d.users == 0 && d.db != nil {
		d.db.Close()
		d.db = nil
	}
}

// close closes the pool now, or when the last upsert using it is done.
func (d *sqlDriver) close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.closed = true
	if d.db == nil || d.users > 0 {
		return nil
	}
	err := d.db.Close()
	d.db = nil
	return err
}

// dial opens a pool for the action's DSN.
func (d *sqlDriver) dial() (*sql.DB, error) {
	if d.postgres {
		return sql.Open("pgx", d.dsn)
	}
	db, err := sql.Open("sqlite", "file:"+d.dsn+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

func quote(id string) string { return `"` + id + `"` }

func (d *sqlDriver) createTable(ctx context.Context, db *sql.DB) error {
	var cols []string
	for _, c := range d.cols {
		cols = append(cols, quote(c)+" TEXT")
	}
	if d.cfg.OnlyIfNewer != "" {
		typ := "REAL"
		if d.postgres {
			typ = "DOUBLE PRECISION"
		}
		cols = append(cols, quote(versionColumn)+" "+typ)
	}
	keys := make([]string, len(d.cfg.Key))
	for i, k := range d.cfg.Key {
		keys[i] = quote(k)
	}
	q := fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s (%s, PRIMARY KEY (%s))", quote(d.cfg.Table), strings.Join(cols, ", "), strings.Join(keys, ", "))
	if _, err := db.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("create table %s: %w", d.cfg.Table, err)
	}
	return nil
}

func (d *sqlDriver) ph(n int) string {
	if d.postgres {
		return "$" + strconv.Itoa(n)
	}
	return "?"
}

func sqlValue(v any) any {
	if v == nil {
		return nil
	}
	return expression.Stringify(v)
}

func (d *sqlDriver) upsert(ctx context.Context, rec *Record, _ *actions.Invocation) (Outcome, actions.Result, error) {
	db, release, err := d.open(ctx)
	if err != nil {
		return "", actions.Result{Output: err.Error()}, fmt.Errorf("crm sql: %w", err)
	}
	defer release()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return "", actions.Result{}, fmt.Errorf("crm sql: begin: %w", err)
	}
	defer tx.Rollback()

	// Read the current record to decide (and report) what the upsert does.
	sel := make([]string, len(d.cols))
	for i, c := range d.cols {
		sel[i] = quote(c)
	}
	if rec.Version != nil {
		sel = append(sel, quote(versionColumn))
	}
	var where []string
	var args []any
	for i, k := range d.cfg.Key {
		where = append(where, quote(k)+" = "+d.ph(i+1))
		args = append(args, sqlValue(rec.Values[k]))
	}
	lock := ""
	if d.postgres {
		lock = " FOR UPDATE"
	}
	row := tx.QueryRowContext(ctx, fmt.Sprintf("SELECT %s FROM %s WHERE %s%s", strings.Join(sel, ", "), quote(d.cfg.Table), strings.Join(where, " AND "), lock), args...)
	cur := make([]any, len(sel))
	ptrs := make([]any, len(sel))
	for i := range cur {
		ptrs[i] = &cur[i]
	}
	exists := true
	if err := row.Scan(ptrs...); errors.Is(err, sql.ErrNoRows) {
		exists = false
	} else if err != nil {
		return "", actions.Result{}, fmt.Errorf("crm sql: read %s: %w", rec.KeyString(), err)
	}
	outcome := Inserted
	if exists {
		if rec.Version != nil {
			if stored, ok := toFloat(cur[len(cur)-1]); ok && stored > *rec.Version {
				return SkippedOlder, actions.Result{}, tx.Commit()
			}
		}
		same := true
		for i, c := range d.cols {
			if expression.Stringify(bytesToString(cur[i])) != expression.Stringify(rec.Values[c]) {
				same = false
				break
			}
		}
		if same {
			return Unchanged, actions.Result{}, tx.Commit()
		}
		outcome = Updated
	}
	cols := append([]string(nil), d.cols...)
	vals := make([]any, 0, len(cols)+1)
	for _, c := range d.cols {
		vals = append(vals, sqlValue(rec.Values[c]))
	}
	if rec.Version != nil {
		cols = append(cols, versionColumn)
		vals = append(vals, *rec.Version)
	}
	phs := make([]string, len(cols))
	quoted := make([]string, len(cols))
	var sets []string
	for i, c := range cols {
		phs[i] = d.ph(i + 1)
		quoted[i] = quote(c)
		sets = append(sets, quote(c)+" = excluded."+quote(c))
	}
	keys := make([]string, len(d.cfg.Key))
	for i, k := range d.cfg.Key {
		keys[i] = quote(k)
	}
	q := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s) ON CONFLICT (%s) DO UPDATE SET %s",
		quote(d.cfg.Table), strings.Join(quoted, ", "), strings.Join(phs, ", "), strings.Join(keys, ", "), strings.Join(sets, ", "))
	if rec.Version != nil {
		t := quote(d.cfg.Table)
		q += fmt.Sprintf(" WHERE %s.%s IS NULL OR %s.%s <= excluded.%s", t, quote(versionColumn), t, quote(versionColumn), quote(versionColumn))
	}
	if _, err := tx.ExecContext(ctx, q, vals...); err != nil {
		return "", actions.Result{Output: err.Error()}, fmt.Errorf("crm sql: upsert %s: %w", rec.KeyString(), err)
	}
	if err := tx.Commit(); err != nil {
		return "", actions.Result{}, fmt.Errorf("crm sql: commit: %w", err)
	}
	return outcome, actions.Result{}, nil
}

func bytesToString(v any) any {
	if b, ok := v.([]byte); ok {
		return string(b)
	}
	return v
}

func toFloat(v any) (float64, bool) {
	switch x := bytesToString(v).(type) {
	case float64:
		return x, true
	case int64:
		return float64(x), true
	case string:
		f, err := strconv.ParseFloat(x, 64)
		return f, err == nil
	}
	return 0, false
}
