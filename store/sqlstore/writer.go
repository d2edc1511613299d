package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"runtime"
	"time"
)

// op is one caller's write, run by a writer inside a shared transaction.
type op struct {
	ctx  context.Context
	fn   func(ctx context.Context, tx *sql.Tx) error
	done chan error
	// relaxed ops are run-state changes (claim, lease, progress, finish):
	// losing one to a power cut only makes a run execute again, which
	// at-least-once delivery allows, so they skip the fsync. Ingest,
	// replays and new runs are always durable.
	relaxed bool
	// lingers: nothing waits on this write to go on (a run's outcome:
	// the worker's slot is free already), so it may wait for company
	// (relaxedLinger). Only relaxed writes linger.
	lingers bool
}

// do runs fn inside a group-commit transaction and waits for the commit.
func (s *Store) do(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	return s.submit(&op{ctx: ctx, fn: fn, done: make(chan error, 1)})
}

// doRelaxed is do for run-state changes that need not be fsynced.
func (s *Store) doRelaxed(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	return s.submit(&op{ctx: ctx, fn: fn, done: make(chan error, 1), relaxed: true})
}

// doLingering is doRelaxed for a write nothing waits on to go on: it may
// wait up to relaxedLinger for others to share its commit.
func (s *Store) doLingering(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	return s.submit(&op{ctx: ctx, fn: fn, done: make(chan error, 1), relaxed: true, lingers: true})
}

func (s *Store) submit(o *op) error {
	ctx := o.ctx
	select {
	case <-s.stop: // closed: queue nothing (it would wait out the bound below)
		return ErrClosed
	default:
	}
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

// conflictTries bounds the runs of a batch whose transaction keeps losing
// to concurrent ones.
const conflictTries = 3

// relaxedLinger is how long a batch of run outcomes alone waits for more
// writes before it commits. Nothing waits on these to go on (a worker's
// slot is free before its outcome is written), so the writer trades a
// millisecond of their latency for fewer commits: each commit writes every
// page it touched again, and the runs of a drain touch the same index
// pages. Any other write (an ingest, a claim) ends the wait and commits
// with the batch.
const relaxedLinger = time.Millisecond

// A batch of busyBatch writes or more shows that writes arrive faster than
// the writer commits them: it then waits for more while they keep coming
// (none for busyGap ends the wait) for at most busyLinger. On a loaded
// store this makes fewer, larger commits (a commit costs about 150 µs of
// CPU in fsync alone here, and writes every page it touched again); once
// every writer is waiting, the gap ends the wait; a lightly loaded store
// never waits. Ingest: 64 connections, CPU per request −8 %, req/s +4 %;
// 16 connections, req/s +8 % against a fixed 500 µs wait
// (bench/RESULTS.md).
const (
	busyBatch  = 8
	busyGap    = 200 * time.Microsecond
	busyLinger = 500 * time.Microsecond
)

// linger adds to batch what arrives while it waits: up to relaxedLinger
// for a batch of lingering writes (until another kind arrives), or while
// writes keep coming for a busy batch (busyGap, busyLinger); up to
// MaxBatch. Any other batch returns at once.
func (s *Store) linger(batch []*op, t *time.Timer) []*op {
	lingering := true
	for _, o := range batch {
		lingering = lingering && o.lingers
	}
	busy := !lingering && len(batch) >= busyBatch
	if !lingering && !busy {
		return batch
	}
	start := time.Now()
	defer t.Stop()
	for len(batch) < s.opt.MaxBatch {
		wait := relaxedLinger - time.Since(start)
		if busy {
			wait = min(busyGap, busyLinger-time.Since(start))
		}
		if wait <= 0 {
			return batch
		}
		t.Reset(wait)
		select {
		case o := <-s.ops:
			batch = append(batch, o)
			if lingering && !o.lingers {
				return batch
			}
		case <-t.C:
			return batch
		case <-s.stop:
			return batch
		}
	}
	return batch
}

func (s *Store) writer() {
	batch := make([]*op, 0, s.opt.MaxBatch)
	linger := time.NewTimer(time.Hour)
	linger.Stop()
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
			if o.relaxed && len(s.ops) < 2 {
				// A run-state change is not waited on by a request: let
				// the goroutines ready to write (other workers finishing)
				// submit theirs, so they share this commit.
				runtime.Gosched()
			}
		drain:
			for len(batch) < s.opt.MaxBatch {
				select {
				case o := <-s.ops:
					batch = append(batch, o)
				default:
					break drain
				}
			}
			batch = s.linger(batch, linger)
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
	// A transaction that lost to a concurrent one (a deadlock between
	// replicas' or a heartbeat's writes to the same runs) is run again.
	for try := 1; try < conflictTries && isConflict(err); try++ {
		errs, err = s.runBatchTx(ops)
	}
	now := s.now()
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
		s.health.fail(err, s.now(), true)
		return err
	}
	return nil
}

// runBatchTx runs ops in one transaction and commits it. Whether the
// database is still the store's is asked once, after the commit (runBatch):
// a file deleted or replaced before or during the transaction fails that
// check, so nothing written to it is acknowledged.
func (s *Store) runBatchTx(ops []*op) ([]error, error) {
	ctx := context.Background()
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
	if err := s.checkFilter(ctx, tx); err != nil {
		_ = tx.Rollback()
		return nil, err
	}
	errs := make([]error, len(ops))
	var seqs seqBatch
	octx := withSeqBatch(ctx, &seqs)
	for i, o := range ops {
		if errs[i] = o.fn(octx, tx); errs[i] != nil {
			_ = tx.Rollback()
			return nil, errs[i]
		}
	}
	// Last before the commit: the counter's lock is held the least.
	if err := s.assignSeqs(ctx, tx, &seqs); err != nil {
		_ = tx.Rollback()
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	return errs, nil
}

// prepare prepares the hot statements once on the write connection (before
// any transaction holds it).
func (s *Store) prepare(ctx context.Context) error {
	for _, q := range s.q.hot() {
		st, err := s.write.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("prepare: %w", err)
		}
		s.prepared.Store(q, st)
	}
	st, err := s.read.PrepareContext(ctx, s.q.seenDelivery)
	if err != nil {
		return fmt.Errorf("prepare: %w", err)
	}
	s.seen = st
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

func (s *Store) query(ctx context.Context, tx *sql.Tx, query string, args ...any) (*sql.Rows, error) {
	if st := s.stmt(ctx, tx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return tx.QueryContext(ctx, query, args...)
}

func (s *Store) queryRow(ctx context.Context, tx *sql.Tx, query string, args ...any) *sql.Row {
	if st := s.stmt(ctx, tx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return tx.QueryRowContext(ctx, query, args...)
}

// notify wakes other processes when a transaction created n due runs.
func (s *Store) notify(ctx context.Context, tx *sql.Tx, n int) error {
	if s.d.Notify == "" || n == 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, s.d.Notify); err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	return nil
}
