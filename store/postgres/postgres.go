// Package postgres opens the PostgreSQL store (pgx v5 pool through
// database/sql) shared by several hookrunner replicas: runs are claimed with
// SELECT … FOR UPDATE SKIP LOCKED under a transaction-scoped advisory lock
// (so per-rule concurrency holds across replicas), leases expire when a
// replica dies, dedupe is a unique constraint, and new runs are announced
// with NOTIFY.
package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/hookrunner/hookrunner/store/sqlstore"
)

// Channel is the NOTIFY channel announcing new due runs.
const Channel = "hookrunner_runs"

// Dialect is PostgreSQL's.
var Dialect = sqlstore.Dialect{
	Name:       "postgres",
	Rebind:     rebind,
	Migrations: migrations,
	// One claim at a time across every replica: counting running runs and
	// claiming new ones is then atomic, so `concurrency:` is global.
	ClaimLock: "SELECT pg_advisory_xact_lock(7243801)",
	ForUpdate: "FOR UPDATE SKIP LOCKED",
	Writers:   4,
	Notify:    "SELECT pg_notify('" + Channel + "', '')",
	// Run-state changes need not wait for the WAL flush (at-least-once).
	RelaxInTx: "SET LOCAL synchronous_commit = off",
	// Claims take their ids as one parameter (ids never hold a comma):
	// fixed statements, prepared once.
	InIDs: "= ANY(string_to_array(?, ','))",
	// position() takes text and bytea alike (the body is bytea).
	Contains: func(col string) string { return "position(? in " + col + ") > 0" },
	IDList:   func(ids []string) any { return strings.Join(ids, ",") },
}

func rebind(q string) string {
	var b strings.Builder
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

var migrations = sqlstore.Migrations("BYTEA", false)

// Store is the PostgreSQL store with its NOTIFY listener.
type Store struct {
	*sqlstore.Store
	dsn  string
	pool *pgxpool.Pool
	log  *slog.Logger

	hooks listenHooks
}

// Open connects to dsn (a postgres:// URL or key=value string; a
// search_path parameter selects a schema) and applies migrations.
func Open(ctx context.Context, dsn string, log *slog.Logger) (*Store, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse dsn: %w", err)
	}
	if cfg.MaxConns < 8 {
		cfg.MaxConns = 8
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	db := stdlib.OpenDBFromPool(pool)
	// Migrations from several replicas starting at once run one at a time.
	var s *sqlstore.Store
	err = withMigrationLock(ctx, db, func() error {
		var err error
		s, err = sqlstore.New(ctx, Dialect, db, db, sqlstore.Options{})
		return err
	})
	if err != nil {
		db.Close()
		pool.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return &Store{Store: s, dsn: dsn, pool: pool, log: log}, nil
}

func withMigrationLock(ctx context.Context, db *sql.DB, fn func() error) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(7243802)"); err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(7243802)")
	return fn()
}

// Close closes the store and its pool.
func (s *Store) Close() error {
	err := s.Store.Close()
	s.pool.Close()
	return err
}

// Wakeups delivers a value whenever any replica creates due runs; it
// reconnects after errors (the engine also polls, so a gap only delays).
// The reconnect backoff starts again from its minimum after every
// connection that reached LISTEN, so one long outage does not slow every
// later reconnect, and each new LISTEN wakes the engine once for the
// notifications it may have missed while it was down.
func (s *Store) Wakeups(ctx context.Context) <-chan struct{} {
	ch := make(chan struct{}, 1)
	go func() {
		b := listenBackoff{min: 100 * time.Millisecond, max: 10 * time.Second}
		for ctx.Err() == nil {
			err := s.listen(ctx, ch, b.reset)
			if ctx.Err() != nil {
				return
			}
			d := b.next()
			s.log.Warn("postgres LISTEN lost; polling meanwhile", "error", err, "retry_in_s", d.Seconds())
			if s.hooks.retry != nil {
				s.hooks.retry(d)
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(d):
			}
		}
	}()
	return ch
}

// listenBackoff doubles from min to max between failed connections and
// starts again from min once a connection succeeds.
type listenBackoff struct {
	min, max, cur time.Duration
}

func (b *listenBackoff) next() time.Duration {
	if b.cur == 0 {
		b.cur = b.min
	} else {
		b.cur = min(b.cur*2, b.max)
	}
	return b.cur
}

func (b *listenBackoff) reset() { b.cur = 0 }

// listenHooks are test signals: listening is called with the backend pid
// of each connection that reached LISTEN, retry with each chosen delay.
type listenHooks struct {
	listening func(pid uint32)
	retry     func(time.Duration)
}

func (s *Store) listen(ctx context.Context, ch chan<- struct{}, connected func()) error {
	cfg, err := pgx.ParseConfig(s.dsn)
	if err != nil {
		return err
	}
	cfg.RuntimeParams["application_name"] = "hookrunner-listen"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+Channel); err != nil {
		return err
	}
	connected()
	wake(ch) // runs may have been created while LISTEN was down
	if s.hooks.listening != nil {
		s.hooks.listening(conn.PgConn().PID())
	}
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return err
		}
		wake(ch)
	}
}

func wake(ch chan<- struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
