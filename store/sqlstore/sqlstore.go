// Package sqlstore implements store.Store over database/sql for both SQLite
// and PostgreSQL; a Dialect holds what differs (placeholders, DDL, locking).
// Writes go through group commit: concurrent callers' writes share one
// transaction and one fsync.
package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hookrunner/hookrunner/store"
)

// Dialect is what differs between SQL backends.
type Dialect struct {
	Name string
	// Rebind turns ?-placeholders into the backend's form.
	Rebind func(string) string
	// Migrations are applied in order, each in its own transaction.
	Migrations []string
	// ClaimLock is run first in a claim transaction to serialize claims
	// across processes (so per-rule concurrency holds); empty for none.
	ClaimLock string
	// ForUpdate is appended to the claim's SELECT.
	ForUpdate string
	// Writers is the number of concurrent group-commit writers.
	Writers int
	// Relax makes the next transaction on conn skip (relaxed=true) or keep
	// the fsync at commit; nil when the backend has no such switch.
	Relax func(ctx context.Context, conn *sql.DB, tx *sql.Tx, relaxed bool) error
	// RelaxInTx is run first in a relaxed transaction (PostgreSQL's
	// SET LOCAL synchronous_commit = off).
	RelaxInTx string
	// Notify, when set, is executed in every transaction that creates due
	// runs, to wake other processes (PostgreSQL NOTIFY).
	Notify string
	// Check, when set, is called before and after every write transaction;
	// an error means the database written to is no longer the store (the
	// SQLite file was deleted or replaced): the write fails, and every
	// later one, so nothing is acknowledged into a file that is gone.
	Check func() error
}

// Options tunes a Store.
type Options struct {
	// MaxBatch caps the writes that share one transaction.
	MaxBatch int
	// OnCommit, when set, is called after each committed batch.
	OnCommit func(n int)
}

// Store implements store.Store.
type Store struct {
	d     Dialect
	write *sql.DB
	read  *sql.DB
	ops   chan *op
	stop  chan struct{}
	done  chan struct{}
	opt   Options
	q     queries
	// prepared caches statements prepared on the write connection.
	prepared sync.Map
	writers  sync.WaitGroup
	// relaxedNow is the durability the write connection is set to (only
	// touched by the single SQLite writer).
	relaxedNow bool
	health     health
}

type op struct {
	ctx  context.Context
	fn   func(ctx context.Context, tx *sql.Tx) error
	done chan error
	// relaxed ops are run-state changes (claim, lease, progress, finish):
	// losing one to a power cut only makes a run execute again, which
	// at-least-once delivery allows, so they skip the fsync. Ingest,
	// replays and new runs are always durable.
	relaxed bool
}

var _ store.Store = (*Store)(nil)

// New starts a Store on the given connections (they may be the same) and
// applies migrations.
func New(ctx context.Context, d Dialect, write, read *sql.DB, opt Options) (*Store, error) {
	if opt.MaxBatch <= 0 {
		opt.MaxBatch = 512
	}
	if d.Writers <= 0 {
		d.Writers = 1
	}
	s := &Store{d: d, write: write, read: read, ops: make(chan *op, 4096), stop: make(chan struct{}), done: make(chan struct{}), opt: opt}
	s.q = buildQueries(d)
	if err := s.migrate(ctx); err != nil {
		return nil, err
	}
	if err := s.prepare(ctx); err != nil {
		return nil, err
	}
	for i := 0; i < d.Writers; i++ {
		s.writers.Add(1)
		go func() { defer s.writers.Done(); s.writer() }()
	}
	go func() {
		<-s.stop
		close(s.done)
	}()
	return s, nil
}

func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	for i, m := range s.d.Migrations {
		v := i + 1
		// Each migration and its version row commit together, so a process
		// killed mid-migration leaves it unapplied and the next start redoes it.
		tx, err := s.write.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("migrate %d: %w", v, err)
		}
		var n int
		if err := tx.QueryRowContext(ctx, s.d.Rebind(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`), v).Scan(&n); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrate %d: %w", v, err)
		}
		if n > 0 {
			tx.Rollback()
			continue
		}
		for _, stmt := range strings.Split(m, ";\n") {
			if strings.TrimSpace(stmt) == "" {
				continue
			}
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				tx.Rollback()
				return fmt.Errorf("migrate %d: %w", v, err)
			}
		}
		if _, err := tx.ExecContext(ctx, s.d.Rebind(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`), v, time.Now().UnixNano()); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrate %d: %w", v, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migrate %d: commit: %w", v, err)
		}
	}
	return nil
}

// SchemaVersion returns the number of applied migrations.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var n int
	err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&n)
	return n, err
}

// Close stops the writers and closes the connections.
func (s *Store) Close() error {
	select {
	case <-s.stop:
		return nil
	default:
	}
	close(s.stop)
	<-s.done
	s.writers.Wait()
	s.prepared.Range(func(_, v any) bool { v.(*sql.Stmt).Close(); return true })
	err := s.write.Close()
	if s.read != s.write {
		if e := s.read.Close(); err == nil {
			err = e
		}
	}
	return err
}

// ErrClosed is returned by writes after Close.
var ErrClosed = errors.New("store closed")

// do runs fn inside a group-commit transaction and waits for the commit.
func (s *Store) do(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	return s.submit(&op{ctx: ctx, fn: fn, done: make(chan error, 1)})
}

// doRelaxed is do for run-state changes that need not be fsynced.
func (s *Store) doRelaxed(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	return s.submit(&op{ctx: ctx, fn: fn, done: make(chan error, 1), relaxed: true})
}

func (s *Store) submit(o *op) error {
	ctx := o.ctx
	select {
	case s.ops <- o:
	case <-s.stop:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-o.done:
		return err
	case <-s.stop:
		// The writer may still finish it; wait for a bounded time.
		select {
		case err := <-o.done:
			return err
		case <-time.After(5 * time.Second):
			return ErrClosed
		}
	}
}

func (s *Store) writer() {
	batch := make([]*op, 0, s.opt.MaxBatch)
	for {
		select {
		case <-s.stop:
			// Drain what is queued so no caller waits forever.
			for {
				select {
				case o := <-s.ops:
					s.commit([]*op{o})
				default:
					return
				}
			}
		case o := <-s.ops:
			batch = append(batch[:0], o)
		drain:
			for len(batch) < s.opt.MaxBatch {
				select {
				case o := <-s.ops:
					batch = append(batch, o)
				default:
					break drain
				}
			}
			s.commit(batch)
		}
	}
}

func (s *Store) commit(batch []*op) {
	live := batch[:0:0]
	for _, o := range batch {
		if err := o.ctx.Err(); err != nil {
			o.done <- err
			continue
		}
		live = append(live, o)
	}
	if len(live) == 0 {
		return
	}
	// Fast path: the whole batch in one transaction, one commit (one fsync).
	errs, err := s.runBatch(live)
	if err == nil {
		if s.opt.OnCommit != nil {
			s.opt.OnCommit(len(live))
		}
		for i, o := range live {
			o.done <- errs[i]
		}
		return
	}
	if len(live) == 1 {
		live[0].done <- err
		return
	}
	// Something in the batch failed: run each op alone so that one bad
	// write fails only its own caller.
	for _, o := range live {
		errs, err := s.runBatch([]*op{o})
		if err == nil {
			err = errs[0]
		}
		o.done <- err
	}
}

// runBatch runs ops in one transaction. It returns a nil error only when
// every op succeeded and the transaction committed; the outcome is what
// Writable reports.
func (s *Store) runBatch(ops []*op) ([]error, error) {
	errs, err := s.runBatchTx(ops)
	now := time.Now()
	switch {
	case err == nil:
		if err = s.check(); err == nil {
			s.health.ok(now)
		}
	case isFault(err):
		s.health.fail(err, now, false)
	}
	return errs, err
}

// check asks the dialect whether the database is still the store's.
func (s *Store) check() error {
	if s.d.Check == nil {
		return nil
	}
	if err := s.d.Check(); err != nil {
		err = fmt.Errorf("%w: %w", ErrUnwritable, err)
		s.health.fail(err, time.Now(), true)
		return err
	}
	return nil
}

func (s *Store) runBatchTx(ops []*op) ([]error, error) {
	ctx := context.Background()
	if err := s.check(); err != nil {
		return nil, err
	}
	relaxed := true
	for _, o := range ops {
		relaxed = relaxed && o.relaxed
	}
	if s.d.Relax != nil && s.relaxedNow != relaxed {
		// Outside the transaction (SQLite's synchronous pragma).
		if err := s.d.Relax(ctx, s.write, nil, relaxed); err != nil {
			return nil, fmt.Errorf("set durability: %w", err)
		}
		s.relaxedNow = relaxed
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	if s.d.RelaxInTx != "" && relaxed {
		if _, err := tx.ExecContext(ctx, s.d.RelaxInTx); err != nil {
			_ = tx.Rollback()
			return nil, fmt.Errorf("set durability: %w", err)
		}
	}
	errs := make([]error, len(ops))
	for i, o := range ops {
		if errs[i] = o.fn(ctx, tx); errs[i] != nil {
			_ = tx.Rollback()
			return nil, errs[i]
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	return errs, nil
}

// prepare prepares the hot statements once on the write connection (before
// any transaction holds it).
func (s *Store) prepare(ctx context.Context) error {
	for _, q := range []string{s.q.insertDelivery, s.q.existingDelivery, s.q.insertEvent, s.q.insertRun, s.q.finish,
		s.q.insertAttempt, s.q.progress, s.q.extend} {
		st, err := s.write.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("prepare: %w", err)
		}
		s.prepared.Store(q, st)
	}
	return nil
}

// stmt returns the prepared statement for query bound to tx, or nil.
func (s *Store) stmt(ctx context.Context, tx *sql.Tx, query string) *sql.Stmt {
	if v, ok := s.prepared.Load(query); ok {
		return tx.StmtContext(ctx, v.(*sql.Stmt))
	}
	return nil
}

func (s *Store) exec(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	if st := s.stmt(ctx, tx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, query, args...)
}

func (s *Store) queryRow(ctx context.Context, tx *sql.Tx, query string, args ...any) *sql.Row {
	if st := s.stmt(ctx, tx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return tx.QueryRowContext(ctx, query, args...)
}

// --- queries ---

type queries struct {
	insertDelivery, existingDelivery, seenDelivery, insertEvent, insertRun      string
	probe                                                                       string
	due, runningCounts, claim, extend, progress, finish, insertAttempt, release string
	recover, getEvent, getRun, attempts, markReplayed, countStates, countRules  string
	pruneEvents, pruneDeliveries                                                string
}

const runCols = `id, event_id, rule, config_hash, state, attempt, step, next_attempt_at, claimed_by, last_error, exit_code, http_status, output, detail, created_at, updated_at, finished_at, replay_of, interrupted`
const eventCols = `id, source, provider, event, delivery_id, headers, query, body, remote_ip, received_at, verification, matched, config_hash`

func buildQueries(d Dialect) queries {
	r := d.Rebind
	return queries{
		insertDelivery: r(`INSERT INTO deliveries (source, delivery_id, event_id, received_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (source, delivery_id) DO UPDATE SET event_id = excluded.event_id, received_at = excluded.received_at
			WHERE deliveries.received_at < ? RETURNING event_id`),
		existingDelivery: r(`SELECT event_id FROM deliveries WHERE source = ? AND delivery_id = ?`),
		// The probe row (source '' is no source's name) proves a durable write.
		probe: r(`INSERT INTO deliveries (source, delivery_id, event_id, received_at) VALUES ('', 'hookrunner-write-probe', '', ?)
			ON CONFLICT (source, delivery_id) DO UPDATE SET received_at = excluded.received_at`),
		seenDelivery: r(`SELECT event_id FROM deliveries WHERE source = ? AND delivery_id = ? AND received_at >= ?`),
		insertEvent:  r(`INSERT INTO events (` + eventCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		insertRun:    r(`INSERT INTO runs (` + runCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		due: r(`SELECT id, rule FROM runs WHERE state IN ('pending', 'retrying', 'running') AND next_attempt_at <= ?
			ORDER BY next_attempt_at, id LIMIT ?`),
		runningCounts: r(`SELECT rule, COUNT(*) FROM runs WHERE state = 'running' AND next_attempt_at > ? GROUP BY rule`),
		extend:        r(`UPDATE runs SET next_attempt_at = ?, updated_at = ? WHERE id = ? AND claimed_by = ? AND state = 'running'`),
		progress:      r(`UPDATE runs SET step = ?, updated_at = ? WHERE id = ? AND claimed_by = ? AND state = 'running'`),
		finish: r(`UPDATE runs SET state = ?, step = ?, next_attempt_at = ?, last_error = ?, exit_code = ?, http_status = ?, output = ?, detail = ?,
			updated_at = ?, finished_at = ?, claimed_by = '', interrupted = interrupted + ?
			WHERE id = ? AND claimed_by = ? AND state = 'running'`),
		insertAttempt: r(`INSERT INTO attempts (run_id, n, step, started_at, duration_ns, ok, error, exit_code, http_status, output, detail, interrupted)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (run_id, n) DO UPDATE SET step = excluded.step, started_at = excluded.started_at, duration_ns = excluded.duration_ns,
			ok = excluded.ok, error = excluded.error, exit_code = excluded.exit_code, http_status = excluded.http_status,
			output = excluded.output, detail = excluded.detail, interrupted = excluded.interrupted`),
		release:      r(`UPDATE runs SET state = 'pending', attempt = attempt - 1, claimed_by = '', next_attempt_at = ?, updated_at = ? WHERE id = ? AND claimed_by = ? AND state = 'running'`),
		recover:      r(`UPDATE runs SET next_attempt_at = ?, updated_at = ? WHERE state = 'running'`),
		getEvent:     r(`SELECT ` + eventCols + ` FROM events WHERE id = ?`),
		getRun:       r(`SELECT ` + runCols + ` FROM runs WHERE id = ?`),
		attempts:     r(`SELECT run_id, n, step, started_at, duration_ns, ok, error, exit_code, http_status, output, detail, interrupted FROM attempts WHERE run_id = ? ORDER BY n`),
		markReplayed: r(`UPDATE runs SET state = 'replayed', updated_at = ? WHERE id = ? AND state = 'dead'`),
		countStates:  `SELECT state, COUNT(*) FROM runs GROUP BY state`,
		countRules: r(`SELECT e.source, r.rule, r.state, COUNT(*) FROM runs r JOIN events e ON e.id = r.event_id
			WHERE r.created_at >= ? GROUP BY e.source, r.rule, r.state`),
		pruneEvents: r(`DELETE FROM events WHERE received_at < ? AND NOT EXISTS (
			SELECT 1 FROM runs r WHERE r.event_id = events.id AND r.state NOT IN ('succeeded', 'replayed'))`),
		pruneDeliveries: r(`DELETE FROM deliveries WHERE received_at < ?`),
	}
}

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func nullInt(p *int) any {
	if p == nil {
		return nil
	}
	return int64(*p)
}

func nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixNano()
}

func (s *Store) insertRun(ctx context.Context, tx *sql.Tx, r *store.Run) error {
	_, err := s.exec(ctx, tx, s.q.insertRun, r.ID, r.EventID, r.Rule, r.ConfigHash, string(r.State), r.Attempt, r.Step,
		nanos(r.NextAttemptAt), r.ClaimedBy, r.LastError, nullInt(r.ExitCode), r.HTTPStatus, r.Output, r.Detail,
		nanos(r.CreatedAt), nanos(r.UpdatedAt), nullTime(r.FinishedAt), r.ReplayOf, r.Interrupted)
	if err != nil {
		return fmt.Errorf("insert run %s: %w", r.ID, err)
	}
	return nil
}

// Ingest implements store.Store.
func (s *Store) Ingest(ctx context.Context, ev *store.Event, runs []*store.Run, dedupeSince time.Time) (store.IngestResult, error) {
	res := store.IngestResult{EventID: ev.ID}
	headers, matched := encodeEvent(ev)
	err := s.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		dup, existing, err := s.ingestTx(ctx, tx, ev, headers, matched, runs, dedupeSince)
		if err != nil {
			return err
		}
		res.Duplicate, res.EventID = dup, ev.ID
		if dup {
			res.EventID = existing
			return nil
		}
		return s.notify(ctx, tx, len(runs))
	})
	return res, err
}

// Seen implements store.Store: one primary-key lookup on the read pool.
func (s *Store) Seen(ctx context.Context, source, deliveryID string, since time.Time) (string, bool, error) {
	if deliveryID == "" {
		return "", false, nil
	}
	var id string
	err := s.read.QueryRowContext(ctx, s.q.seenDelivery, source, deliveryID, nanos(since)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("look up delivery %s/%s: %w", source, deliveryID, err)
	}
	return id, true, nil
}

// ingestTx stores one event and its runs unless its delivery id was seen
// since dedupeSince (then it returns the earlier event's id).
func (s *Store) ingestTx(ctx context.Context, tx *sql.Tx, ev *store.Event, headers, matched string, runs []*store.Run, dedupeSince time.Time) (bool, string, error) {
	if ev.DeliveryID != "" {
		var got string
		err := s.queryRow(ctx, tx, s.q.insertDelivery, ev.Source, ev.DeliveryID, ev.ID, nanos(ev.ReceivedAt), nanos(dedupeSince)).Scan(&got)
		if errors.Is(err, sql.ErrNoRows) {
			var existing string
			if err := s.queryRow(ctx, tx, s.q.existingDelivery, ev.Source, ev.DeliveryID).Scan(&existing); err != nil {
				return false, "", fmt.Errorf("read duplicate delivery: %w", err)
			}
			return true, existing, nil
		}
		if err != nil {
			return false, "", fmt.Errorf("record delivery: %w", err)
		}
	}
	if _, err := s.exec(ctx, tx, s.q.insertEvent, ev.ID, ev.Source, ev.Provider, ev.Event, ev.DeliveryID, headers, ev.Query,
		ev.Body, ev.RemoteIP, nanos(ev.ReceivedAt), ev.Verification, matched, ev.ConfigHash); err != nil {
		return false, "", fmt.Errorf("insert event: %w", err)
	}
	for _, r := range runs {
		if err := s.insertRun(ctx, tx, r); err != nil {
			return false, "", err
		}
	}
	return false, "", nil
}

func encodeEvent(ev *store.Event) (string, string) {
	headers, _ := json.Marshal(ev.Headers)
	matched, _ := json.Marshal(ev.Matched)
	if ev.Matched == nil {
		matched = []byte("[]")
	}
	return string(headers), string(matched)
}

// AcquirePoll implements store.Store.
func (s *Store) AcquirePoll(ctx context.Context, source, owner string, now, until time.Time) (bool, error) {
	var ok bool
	err := s.doRelaxed(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.d.Rebind(`INSERT INTO poll_state (source) VALUES (?) ON CONFLICT (source) DO NOTHING`), source); err != nil {
			return fmt.Errorf("poll state: %w", err)
		}
		res, err := tx.ExecContext(ctx, s.d.Rebind(`UPDATE poll_state SET lease_owner = ?, lease_until = ?
			WHERE source = ? AND (lease_owner = ? OR lease_owner = '' OR lease_until < ?)`), owner, nanos(until), source, owner, nanos(now))
		if err != nil {
			return fmt.Errorf("poll lease: %w", err)
		}
		n, _ := res.RowsAffected()
		ok = n == 1
		return nil
	})
	return ok, err
}

// GetPoll implements store.Store.
func (s *Store) GetPoll(ctx context.Context, source string) (store.PollState, error) {
	st := store.PollState{Source: source}
	var until, last int64
	err := s.read.QueryRowContext(ctx, s.d.Rebind(`SELECT cursor, initialized, lease_owner, lease_until, last_poll_at, last_error FROM poll_state WHERE source = ?`), source).
		Scan(&st.Cursor, &st.Initialized, &st.LeaseOwner, &until, &last, &st.LastError)
	if errors.Is(err, sql.ErrNoRows) {
		return st, nil
	}
	st.LeaseUntil, st.LastPollAt = fromNanos(until), fromNanos(last)
	return st, err
}

// IngestPoll implements store.Store.
func (s *Store) IngestPoll(ctx context.Context, b store.PollBatch) ([]*store.Event, error) {
	var stored []*store.Event
	err := s.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		stored = stored[:0]
		var owner string
		if err := tx.QueryRowContext(ctx, s.d.Rebind(`SELECT lease_owner FROM poll_state WHERE source = ?`), b.Source).Scan(&owner); err != nil {
			return fmt.Errorf("poll state: %w", err)
		}
		if owner != b.Owner {
			return store.ErrLeaseLost
		}
		for _, id := range b.SeenOnly {
			if _, err := tx.ExecContext(ctx, s.d.Rebind(`INSERT INTO deliveries (source, delivery_id, event_id, received_at) VALUES (?, ?, '', ?)
				ON CONFLICT (source, delivery_id) DO NOTHING`), b.Source, id, nanos(b.Now)); err != nil {
				return fmt.Errorf("record seen item: %w", err)
			}
		}
		runs := 0
		for _, it := range b.Items {
			headers, matched := encodeEvent(it.Event)
			dup, _, err := s.ingestTx(ctx, tx, it.Event, headers, matched, it.Runs, b.DedupeSince)
			if err != nil {
				return err
			}
			if !dup {
				stored = append(stored, it.Event)
				runs += len(it.Runs)
			}
		}
		q := `UPDATE poll_state SET last_poll_at = ?, last_error = ''`
		args := []any{nanos(b.Now)}
		if b.Cursor != nil {
			q += `, cursor = ?`
			args = append(args, *b.Cursor)
		}
		if b.Initialize {
			q += `, initialized = TRUE`
		}
		q += ` WHERE source = ?`
		args = append(args, b.Source)
		if _, err := tx.ExecContext(ctx, s.d.Rebind(q), args...); err != nil {
			return fmt.Errorf("save cursor: %w", err)
		}
		return s.notify(ctx, tx, runs)
	})
	return stored, err
}

// ReleasePoll implements store.Store.
func (s *Store) ReleasePoll(ctx context.Context, source, owner string) error {
	return s.doRelaxed(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.d.Rebind(`UPDATE poll_state SET lease_owner = '', lease_until = 0 WHERE source = ? AND lease_owner = ?`), source, owner)
		return err
	})
}

// PollFailed implements store.Store.
func (s *Store) PollFailed(ctx context.Context, source, msg string, at time.Time) error {
	return s.doRelaxed(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.d.Rebind(`UPDATE poll_state SET last_error = ?, last_poll_at = ? WHERE source = ?`), msg, nanos(at), source)
		return err
	})
}

func (s *Store) notify(ctx context.Context, tx *sql.Tx, n int) error {
	if s.d.Notify == "" || n == 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, s.d.Notify); err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	return nil
}

// AddRuns implements store.Store.
func (s *Store) AddRuns(ctx context.Context, runs []*store.Run) error {
	return s.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		for _, r := range runs {
			if err := s.insertRun(ctx, tx, r); err != nil {
				return err
			}
		}
		return s.notify(ctx, tx, len(runs))
	})
}

// Claim implements store.Store.
func (s *Store) Claim(ctx context.Context, o store.ClaimOptions) ([]*store.Run, error) {
	if o.Limit <= 0 {
		return nil, nil
	}
	var out []*store.Run
	err := s.doRelaxed(ctx, func(ctx context.Context, tx *sql.Tx) error {
		out = out[:0]
		if s.d.ClaimLock != "" {
			if _, err := tx.ExecContext(ctx, s.d.ClaimLock); err != nil {
				return fmt.Errorf("claim lock: %w", err)
			}
		}
		now := nanos(o.Now)
		room := map[string]int{}
		if len(o.Concurrency) > 0 {
			for rule, limit := range o.Concurrency {
				room[rule] = limit
			}
			rows, err := tx.QueryContext(ctx, s.q.runningCounts, now)
			if err != nil {
				return fmt.Errorf("count running: %w", err)
			}
			for rows.Next() {
				var rule string
				var n int
				if err := rows.Scan(&rule, &n); err != nil {
					rows.Close()
					return err
				}
				if _, limited := room[rule]; limited {
					room[rule] -= n
				}
			}
			rows.Close()
		}
		// Rules at their limit are left out of the query so that a queue of
		// one blocked rule does not starve the others.
		q, args := s.q.due, []any{now, o.Limit * 4}
		var blocked []string
		for rule, left := range room {
			if left <= 0 {
				blocked = append(blocked, rule)
			}
		}
		if len(blocked) > 0 {
			sort.Strings(blocked)
			ph := strings.TrimSuffix(strings.Repeat("?, ", len(blocked)), ", ")
			q = s.d.Rebind(`SELECT id, rule FROM runs WHERE state IN ('pending', 'retrying', 'running') AND next_attempt_at <= ? AND rule NOT IN (` + ph + `)
				ORDER BY next_attempt_at, id LIMIT ?`)
			args = []any{now}
			for _, b := range blocked {
				args = append(args, b)
			}
			args = append(args, o.Limit*4)
		}
		rows, err := tx.QueryContext(ctx, q+" "+s.d.ForUpdate, args...)
		if err != nil {
			return fmt.Errorf("select due runs: %w", err)
		}
		var ids []string
		for rows.Next() && len(ids) < o.Limit {
			var id, rule string
			if err := rows.Scan(&id, &rule); err != nil {
				rows.Close()
				return err
			}
			if left, limited := room[rule]; limited {
				if left <= 0 {
					continue
				}
				room[rule] = left - 1
			}
			ids = append(ids, id)
		}
		rows.Close()
		if len(ids) == 0 {
			return nil
		}
		lease := nanos(o.Now.Add(o.Lease))
		ph := strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ")
		args = []any{o.Owner, lease, now}
		for _, id := range ids {
			args = append(args, id)
		}
		rows, err = tx.QueryContext(ctx, s.d.Rebind(`UPDATE runs SET state = 'running', claimed_by = ?, next_attempt_at = ?, attempt = attempt + 1, updated_at = ?
			WHERE id IN (`+ph+`) RETURNING `+runCols), args...)
		if err != nil {
			return fmt.Errorf("claim runs: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanRun(rows)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out, nil
}

// Extend implements store.Store.
func (s *Store) Extend(ctx context.Context, owner string, ids []string, until time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	now := time.Now().UnixNano()
	return s.doRelaxed(ctx, func(ctx context.Context, tx *sql.Tx) error {
		for _, id := range ids {
			if _, err := s.exec(ctx, tx, s.q.extend, nanos(until), now, id, owner); err != nil {
				return fmt.Errorf("extend lease of %s: %w", id, err)
			}
		}
		return nil
	})
}

// Progress implements store.Store.
func (s *Store) Progress(ctx context.Context, owner, runID string, step int) error {
	return s.doRelaxed(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := s.exec(ctx, tx, s.q.progress, step, time.Now().UnixNano(), runID, owner)
		if err != nil {
			return fmt.Errorf("record progress of %s: %w", runID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrLeaseLost
		}
		return nil
	})
}

// Finish implements store.Store.
func (s *Store) Finish(ctx context.Context, owner, runID string, o store.Outcome) error {
	a := o.Attempt
	now := time.Now()
	var finished *time.Time
	if o.State.Terminal() {
		finished = &now
	}
	interrupted := 0
	if a.Interrupted {
		interrupted = 1
	}
	return s.doRelaxed(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := s.exec(ctx, tx, s.q.finish, string(o.State), o.Step, nanos(o.NextAttemptAt), a.Error, nullInt(a.ExitCode), a.HTTPStatus,
			a.Output, a.Detail, nanos(now), nullTime(finished), interrupted, runID, owner)
		if err != nil {
			return fmt.Errorf("finish run %s: %w", runID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrLeaseLost
		}
		if _, err := s.exec(ctx, tx, s.q.insertAttempt, runID, a.N, a.Step, nanos(a.StartedAt), int64(a.Duration), a.OK, a.Error,
			nullInt(a.ExitCode), a.HTTPStatus, a.Output, a.Detail, a.Interrupted); err != nil {
			return fmt.Errorf("record attempt of %s: %w", runID, err)
		}
		return nil
	})
}

// Release implements store.Store.
func (s *Store) Release(ctx context.Context, owner string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	now := time.Now().UnixNano()
	return s.doRelaxed(ctx, func(ctx context.Context, tx *sql.Tx) error {
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, s.q.release, 0, now, id, owner); err != nil {
				return fmt.Errorf("release %s: %w", id, err)
			}
		}
		return nil
	})
}

// RecoverAll implements store.Store.
func (s *Store) RecoverAll(ctx context.Context, now time.Time) (int, error) {
	var n int64
	err := s.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q.recover, nanos(now), nanos(now))
		if err != nil {
			return fmt.Errorf("recover running runs: %w", err)
		}
		n, _ = res.RowsAffected()
		// The only process using this store polls again at once.
		if _, err := tx.ExecContext(ctx, `UPDATE poll_state SET lease_owner = '', lease_until = 0`); err != nil {
			return fmt.Errorf("recover poll leases: %w", err)
		}
		return nil
	})
	return int(n), err
}

func newReplayRun(src *store.Run, id, configHash string, now time.Time) *store.Run {
	return &store.Run{
		ID: id, EventID: src.EventID, Rule: src.Rule, ConfigHash: configHash, State: store.Pending,
		NextAttemptAt: now, CreatedAt: now, UpdatedAt: now, ReplayOf: src.ID,
	}
}

// Replay implements store.Store.
func (s *Store) Replay(ctx context.Context, runID, configHash string, now time.Time) (*store.Run, error) {
	var out *store.Run
	err := s.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		src, err := scanRun(tx.QueryRowContext(ctx, s.q.getRun, runID))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("run %s: %w", runID, store.ErrNotFound)
		}
		if err != nil {
			return err
		}
		if src.State != store.Dead && src.State != store.Succeeded {
			return fmt.Errorf("run %s is %s: %w", runID, src.State, store.ErrNotReplayable)
		}
		out = newReplayRun(src, store.NewID(), configHash, now)
		if err := s.insertRun(ctx, tx, out); err != nil {
			return err
		}
		if _, err = tx.ExecContext(ctx, s.q.markReplayed, nanos(now), runID); err != nil {
			return err
		}
		return s.notify(ctx, tx, 1)
	})
	return out, err
}

// ReplayRule implements store.Store.
func (s *Store) ReplayRule(ctx context.Context, rule string, state store.State, configHash string, now time.Time) ([]*store.Run, error) {
	if state == "" {
		state = store.Dead
	}
	if state != store.Dead && state != store.Succeeded {
		return nil, fmt.Errorf("state %s: %w", state, store.ErrNotReplayable)
	}
	var out []*store.Run
	err := s.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		out = out[:0]
		rows, err := tx.QueryContext(ctx, s.d.Rebind(`SELECT `+runCols+` FROM runs WHERE rule = ? AND state = ? ORDER BY created_at LIMIT 10000`), rule, string(state))
		if err != nil {
			return err
		}
		var srcs []*store.Run
		for rows.Next() {
			r, err := scanRun(rows)
			if err != nil {
				rows.Close()
				return err
			}
			srcs = append(srcs, r)
		}
		rows.Close()
		for _, src := range srcs {
			r := newReplayRun(src, store.NewID(), configHash, now)
			if err := s.insertRun(ctx, tx, r); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, s.q.markReplayed, nanos(now), src.ID); err != nil {
				return err
			}
			out = append(out, r)
		}
		return s.notify(ctx, tx, len(out))
	})
	return out, err
}

type scanner interface{ Scan(dest ...any) error }

func scanRun(sc scanner) (*store.Run, error) {
	var r store.Run
	var state string
	var next, created, updated int64
	var exit, finished sql.NullInt64
	if err := sc.Scan(&r.ID, &r.EventID, &r.Rule, &r.ConfigHash, &state, &r.Attempt, &r.Step, &next, &r.ClaimedBy, &r.LastError,
		&exit, &r.HTTPStatus, &r.Output, &r.Detail, &created, &updated, &finished, &r.ReplayOf, &r.Interrupted); err != nil {
		return nil, err
	}
	r.State = store.State(state)
	r.NextAttemptAt, r.CreatedAt, r.UpdatedAt = fromNanos(next), fromNanos(created), fromNanos(updated)
	if exit.Valid {
		v := int(exit.Int64)
		r.ExitCode = &v
	}
	if finished.Valid {
		t := fromNanos(finished.Int64)
		r.FinishedAt = &t
	}
	return &r, nil
}

func scanEvent(sc scanner) (*store.Event, error) {
	var e store.Event
	var headers, matched string
	var received int64
	if err := sc.Scan(&e.ID, &e.Source, &e.Provider, &e.Event, &e.DeliveryID, &headers, &e.Query, &e.Body, &e.RemoteIP, &received,
		&e.Verification, &matched, &e.ConfigHash); err != nil {
		return nil, err
	}
	e.ReceivedAt = fromNanos(received)
	_ = json.Unmarshal([]byte(headers), &e.Headers)
	_ = json.Unmarshal([]byte(matched), &e.Matched)
	return &e, nil
}

// GetEvent implements store.Store.
func (s *Store) GetEvent(ctx context.Context, id string) (*store.Event, error) {
	e, err := scanEvent(s.read.QueryRowContext(ctx, s.q.getEvent, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("event %s: %w", id, store.ErrNotFound)
	}
	return e, err
}

// ListEvents implements store.Store.
func (s *Store) ListEvents(ctx context.Context, f store.EventFilter) ([]*store.Event, error) {
	var where []string
	var args []any
	if f.Source != "" {
		where, args = append(where, "source = ?"), append(args, f.Source)
	}
	if f.Event != "" {
		where, args = append(where, "event = ?"), append(args, f.Event)
	}
	if !f.Since.IsZero() {
		where, args = append(where, "received_at >= ?"), append(args, nanos(f.Since))
	}
	if !f.Before.IsZero() {
		where, args = append(where, "received_at < ?"), append(args, nanos(f.Before))
	}
	q := `SELECT ` + eventCols + ` FROM events`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY received_at DESC, id DESC LIMIT " + strconv.Itoa(limit(f.Limit))
	rows, err := s.read.QueryContext(ctx, s.d.Rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	defer rows.Close()
	var out []*store.Event
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func limit(n int) int {
	if n <= 0 || n > 10000 {
		return 100
	}
	return n
}

// GetRun implements store.Store.
func (s *Store) GetRun(ctx context.Context, id string) (*store.Run, []*store.Attempt, error) {
	r, err := scanRun(s.read.QueryRowContext(ctx, s.q.getRun, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, fmt.Errorf("run %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, nil, err
	}
	rows, err := s.read.QueryContext(ctx, s.q.attempts, id)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var atts []*store.Attempt
	for rows.Next() {
		var a store.Attempt
		var started, dur int64
		var exit sql.NullInt64
		if err := rows.Scan(&a.RunID, &a.N, &a.Step, &started, &dur, &a.OK, &a.Error, &exit, &a.HTTPStatus, &a.Output, &a.Detail, &a.Interrupted); err != nil {
			return nil, nil, err
		}
		a.StartedAt, a.Duration = fromNanos(started), time.Duration(dur)
		if exit.Valid {
			v := int(exit.Int64)
			a.ExitCode = &v
		}
		atts = append(atts, &a)
	}
	return r, atts, rows.Err()
}

// ListRuns implements store.Store.
func (s *Store) ListRuns(ctx context.Context, f store.RunFilter) ([]*store.Run, error) {
	var where []string
	var args []any
	if f.EventID != "" {
		where, args = append(where, "event_id = ?"), append(args, f.EventID)
	}
	if f.Rule != "" {
		where, args = append(where, "rule = ?"), append(args, f.Rule)
	}
	if f.State != "" {
		where, args = append(where, "state = ?"), append(args, string(f.State))
	}
	if !f.Since.IsZero() {
		where, args = append(where, "created_at >= ?"), append(args, nanos(f.Since))
	}
	q := `SELECT ` + runCols + ` FROM runs`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY created_at DESC, id DESC LIMIT " + strconv.Itoa(limit(f.Limit))
	rows, err := s.read.QueryContext(ctx, s.d.Rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	defer rows.Close()
	var out []*store.Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// CountStates implements store.Store.
func (s *Store) CountStates(ctx context.Context) (map[store.State]int, error) {
	rows, err := s.read.QueryContext(ctx, s.q.countStates)
	if err != nil {
		return nil, fmt.Errorf("count runs: %w", err)
	}
	defer rows.Close()
	out := map[store.State]int{}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, err
		}
		out[store.State(st)] = n
	}
	return out, rows.Err()
}

// CountRules implements store.Store.
func (s *Store) CountRules(ctx context.Context, since time.Time) ([]store.RuleCount, error) {
	rows, err := s.read.QueryContext(ctx, s.q.countRules, nanos(since))
	if err != nil {
		return nil, fmt.Errorf("count rules: %w", err)
	}
	defer rows.Close()
	var out []store.RuleCount
	for rows.Next() {
		var c store.RuleCount
		var st string
		if err := rows.Scan(&c.Source, &c.Rule, &st, &c.Count); err != nil {
			return nil, err
		}
		c.State = store.State(st)
		out = append(out, c)
	}
	return out, rows.Err()
}

// Prune implements store.Store.
func (s *Store) Prune(ctx context.Context, olderThan, dedupeBefore time.Time) (int, error) {
	var n int64
	err := s.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		// Runs and attempts of the pruned events go first (no reliance on
		// foreign-key cascades, which SQLite leaves off by default).
		sub := `SELECT id FROM events WHERE received_at < ? AND NOT EXISTS (
			SELECT 1 FROM runs r WHERE r.event_id = events.id AND r.state NOT IN ('succeeded', 'replayed'))`
		if _, err := tx.ExecContext(ctx, s.d.Rebind(`DELETE FROM attempts WHERE run_id IN (SELECT id FROM runs WHERE event_id IN (`+sub+`))`), nanos(olderThan)); err != nil {
			return fmt.Errorf("prune attempts: %w", err)
		}
		if _, err := tx.ExecContext(ctx, s.d.Rebind(`DELETE FROM runs WHERE event_id IN (`+sub+`)`), nanos(olderThan)); err != nil {
			return fmt.Errorf("prune runs: %w", err)
		}
		res, err := tx.ExecContext(ctx, s.q.pruneEvents, nanos(olderThan))
		if err != nil {
			return fmt.Errorf("prune events: %w", err)
		}
		n, _ = res.RowsAffected()
		if _, err := tx.ExecContext(ctx, s.q.pruneDeliveries, nanos(dedupeBefore)); err != nil {
			return fmt.Errorf("prune deliveries: %w", err)
		}
		return nil
	})
	return int(n), err
}

const processCols = `boot_id, pgid, start_ticks, run_id, host, owner, owner_pid, owner_start_ticks, started_at`

// RecordProcess implements store.Store. Relaxed like other run-state
// changes: in WAL mode it survives a process crash, the case it is for.
func (s *Store) RecordProcess(ctx context.Context, p store.Process) error {
	return s.doRelaxed(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.d.Rebind(`INSERT INTO processes (`+processCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (boot_id, pgid, start_ticks) DO UPDATE SET run_id = excluded.run_id, host = excluded.host, owner = excluded.owner,
			owner_pid = excluded.owner_pid, owner_start_ticks = excluded.owner_start_ticks, started_at = excluded.started_at`),
			p.BootID, p.PGID, int64(p.StartTicks), p.RunID, p.Host, p.Owner, p.OwnerPID, int64(p.OwnerStartTicks), nanos(p.StartedAt))
		if err != nil {
			return fmt.Errorf("record process group %d of run %s: %w", p.PGID, p.RunID, err)
		}
		return nil
	})
}

// ForgetProcess implements store.Store.
func (s *Store) ForgetProcess(ctx context.Context, p store.Process) error {
	return s.doRelaxed(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.d.Rebind(`DELETE FROM processes WHERE boot_id = ? AND pgid = ? AND start_ticks = ?`),
			p.BootID, p.PGID, int64(p.StartTicks))
		if err != nil {
			return fmt.Errorf("forget process group %d of run %s: %w", p.PGID, p.RunID, err)
		}
		return nil
	})
}

// Processes implements store.Store.
func (s *Store) Processes(ctx context.Context) ([]store.Process, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+processCols+` FROM processes ORDER BY started_at, pgid`)
	if err != nil {
		return nil, fmt.Errorf("list process groups: %w", err)
	}
	defer rows.Close()
	var out []store.Process
	for rows.Next() {
		var p store.Process
		var start, ownerStart, at int64
		if err := rows.Scan(&p.BootID, &p.PGID, &start, &p.RunID, &p.Host, &p.Owner, &p.OwnerPID, &ownerStart, &at); err != nil {
			return nil, fmt.Errorf("list process groups: %w", err)
		}
		p.StartTicks, p.OwnerStartTicks, p.StartedAt = uint64(start), uint64(ownerStart), fromNanos(at)
		out = append(out, p)
	}
	return out, rows.Err()
}
