package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"time"

	"github.com/hookrunner/hookrunner/store"
)

// The run queue: runs are inserted pending, claimed under a lease by one
// owner, kept by extending the lease, and finished (or released) by that
// owner only; an expired lease makes the run due again for anyone.

func (s *Store) insertRun(ctx context.Context, tx *sql.Tx, r *store.Run) error {
	if _, err := s.exec(ctx, tx, s.q.insertRun, runArgs(r)...); err != nil {
		return fmt.Errorf("insert run %s: %w", r.ID, err)
	}
	return nil
}

// runsPerInsert caps the rows of one multi-row INSERT: 19 parameters a
// row stays under SQLite's 32,766 and PostgreSQL's 65,535.
const runsPerInsert = 500

// insertRuns inserts runs with one statement per runsPerInsert of them
// (a single run uses the prepared one-row statement).
func (s *Store) insertRuns(ctx context.Context, tx *sql.Tx, runs []*store.Run) error {
	for len(runs) > 0 {
		n := min(len(runs), runsPerInsert)
		chunk := runs[:n]
		runs = runs[n:]
		if n == 1 {
			if err := s.insertRun(ctx, tx, chunk[0]); err != nil {
				return err
			}
			continue
		}
		args := make([]any, 0, n*runColCount)
		for _, r := range chunk {
			args = append(args, runArgs(r)...)
		}
		if _, err := tx.ExecContext(ctx, s.q.insertRuns(n), args...); err != nil {
			return fmt.Errorf("insert %d runs from %s: %w", n, chunk[0].ID, err)
		}
	}
	return nil
}

// AddRuns implements store.Store.
func (s *Store) AddRuns(ctx context.Context, runs []*store.Run) error {
	return s.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := s.insertRuns(ctx, tx, runs); err != nil {
			return err
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
		ids, err := s.due(ctx, tx, o)
		if err != nil || len(ids) == 0 {
			return err
		}
		args := []any{o.Owner, nanos(o.Now.Add(o.Lease)), nanos(o.Now)}
		q := s.q.claimRunsIn
		if s.q.inIDs {
			args = append(args, s.d.IDList(ids))
		} else {
			q = s.q.claimRuns(len(ids))
			for _, id := range ids {
				args = append(args, id)
			}
		}
		rows, err := s.query(ctx, tx, q, args...)
		if err != nil {
			return fmt.Errorf("claim runs: %w", err)
		}
		out, err = scanAll(rows, scanRun)
		return err
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	s.loadEvents(ctx, out)
	return out, nil
}

// loadEvents attaches their events to claimed runs with one read on the
// read connections, outside the write transaction, so the executor needs
// no read per run. A run whose event cannot be read here is left without
// (the executor reads it itself and decides).
func (s *Store) loadEvents(ctx context.Context, runs []*store.Run) {
	if s.claimEvents == nil || len(runs) == 0 {
		return
	}
	ids := make([]string, 0, len(runs))
	seen := make(map[string]bool, len(runs))
	for _, r := range runs {
		if !seen[r.EventID] {
			seen[r.EventID] = true
			ids = append(ids, r.EventID)
		}
	}
	rows, err := s.claimEvents.QueryContext(ctx, s.d.IDList(ids))
	if err != nil {
		return
	}
	evs, err := scanAll(rows, scanEvent)
	if err != nil {
		return
	}
	byID := make(map[string]*store.Event, len(evs))
	for _, ev := range evs {
		byID[ev.ID] = ev
	}
	for _, r := range runs {
		r.Event = byID[r.EventID]
	}
}

// due picks up to o.Limit due runs, oldest due first, each within its
// own concurrency limit (store.Run.Limit) counted against the running
// runs of its rule's name.
func (s *Store) due(ctx context.Context, tx *sql.Tx, o store.ClaimOptions) ([]string, error) {
	now := nanos(o.Now)
	running, err := s.running(ctx, tx, o.Now)
	if err != nil {
		return nil, err
	}
	// Runs a rule's running runs already hold to their limit are left out
	// of the query so that a queue of one blocked rule does not starve the
	// others. Rows of limited rules may still be skipped, so more are read
	// where limits are in play; with none every row read is taken (and, on
	// PostgreSQL, every row read is locked until the commit).
	limit := o.Limit
	if len(o.Concurrency) > 0 || running.limited {
		limit *= 4
	}
	ids, skipped, err := s.dueRows(ctx, tx, o, running, running.blocked(o.Concurrency), now, limit)
	if err != nil || len(ids) > 0 || skipped == 0 {
		return ids, err
	}
	// Every row read was a run its rule's running runs hold back, though
	// the list above did not say so (runs that recorded a stricter limit
	// than a running run of their rule: a rule whose concurrency was
	// raised). Read again without any run a running run's count rules out,
	// so the other rules are not starved.
	return firstOf(s.dueRows(ctx, tx, o, running, running.heldBack(o.Concurrency), now, limit))
}

func firstOf(ids []string, _ int, err error) ([]string, error) { return ids, err }

// dueRows reads up to limit due runs, leaving out the ranges in blocked,
// and takes those running allows; skipped is how many it read and could
// not take.
func (s *Store) dueRows(ctx context.Context, tx *sql.Tx, o store.ClaimOptions, running *limits, blocked []blockedRange, now int64, limit int) (ids []string, skipped int, err error) {
	q, args := s.q.due, []any{now, limit}
	if len(blocked) > 0 {
		q = s.q.dueExcept(len(blocked), s.d.ForUpdate)
		args = []any{now}
		for _, b := range blocked {
			args = append(args, b.rule, b.lo, b.hi)
		}
		args = append(args, limit)
	}
	rows, err := s.query(ctx, tx, q, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("select due runs: %w", err)
	}
	defer rows.Close()
	for rows.Next() && len(ids) < o.Limit {
		r := store.Run{}
		if err := rows.Scan(&r.ID, &r.Rule, &r.Concurrency); err != nil {
			return nil, 0, err
		}
		if !running.take(&r, o.Concurrency) {
			skipped++
			continue
		}
		ids = append(ids, r.ID)
	}
	return ids, skipped, rows.Err()
}

// running reads the running runs of every rule name (runningCounts).
func (s *Store) running(ctx context.Context, tx *sql.Tx, now time.Time) (*limits, error) {
	rows, err := s.query(ctx, tx, s.q.runningCounts, nanos(now))
	if err != nil {
		return nil, fmt.Errorf("count running: %w", err)
	}
	defer rows.Close()
	l := &limits{rules: map[string]*ruleRunning{}}
	for rows.Next() {
		c := &ruleRunning{}
		var rule string
		var least sql.NullInt64
		if err := rows.Scan(&rule, &c.n, &least); err != nil {
			return nil, err
		}
		c.least = int(least.Int64)
		l.limited = l.limited || c.least > 0
		l.rules[rule] = c
	}
	return l, rows.Err()
}

// Extend implements store.Store.
func (s *Store) Extend(ctx context.Context, owner string, ids []string, until time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	now := s.now().UnixNano()
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
		res, err := s.exec(ctx, tx, s.q.progress, step, s.now().UnixNano(), runID, owner)
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
	now := s.now()
	var finished *time.Time
	if o.State.Terminal() {
		finished = &now
	}
	interrupted := 0
	if a.Interrupted {
		interrupted = 1
	}
	return s.doLingering(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := s.exec(ctx, tx, s.q.finish, string(o.State), o.Step, nanos(o.NextAttemptAt), a.Error, nullInt(a.ExitCode), a.HTTPStatus,
			a.Output, a.Detail, nanos(now), nullTime(finished), interrupted, runID, owner)
		if err != nil {
			return fmt.Errorf("finish run %s: %w", runID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrLeaseLost
		}
		if _, err := s.exec(ctx, tx, s.q.insertAttempt, attemptArgs(runID, a)...); err != nil {
			return fmt.Errorf("record attempt of %s: %w", runID, err)
		}
		for _, p := range o.Forget {
			if _, err := s.exec(ctx, tx, s.q.forgetProcess, p.BootID, p.PGID, int64(p.StartTicks)); err != nil {
				return fmt.Errorf("forget process group %d of run %s: %w", p.PGID, runID, err)
			}
		}
		return nil
	})
}

// Release implements store.Store.
func (s *Store) Release(ctx context.Context, owner string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	now := s.now().UnixNano()
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
func (s *Store) RecoverAll(ctx context.Context, now, before time.Time) (int, error) {
	var n int64
	err := s.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q.recover, nanos(now), nanos(now), nanos(before))
		if err != nil {
			return fmt.Errorf("recover running runs: %w", err)
		}
		n, _ = res.RowsAffected()
		// The only process using this store polls again at once.
		if _, err := tx.ExecContext(ctx, s.q.recoverPolls); err != nil {
			return fmt.Errorf("recover poll leases: %w", err)
		}
		return nil
	})
	return int(n), err
}

// ExplainQueries returns the plans of the run queries whose cost must not
// grow with the backlog, by name: the claim's due-run query with no rule at
// its limit ("claim") and with one ("claim, a rule at its limit"), the
// per-rule running counts ("running counts"), the counts by state
// ("count by state") and a rule's runs to replay ("replay"). explain
// prefixes each ("EXPLAIN QUERY PLAN" in SQLite, "EXPLAIN" in
// PostgreSQL); a plan is one line per plan row. Tests use it to check
// which index serves each.
func (s *Store) ExplainQueries(ctx context.Context, explain string) (map[string][]string, error) {
	now := s.now().UnixNano()
	out := map[string][]string{}
	replay, replayArgs := s.q.replaySources(store.ReplayFilter{Rule: "rule", State: store.Dead})
	for _, q := range []struct {
		name, text string
		args       []any
	}{
		{"claim", s.q.due, []any{now, 32}},
		{"claim, a rule at its limit", s.q.dueExcept(1, s.d.ForUpdate), []any{now, "blocked", 1, 1, 32}},
		{"running counts", s.q.runningCounts, []any{now}},
		{"count by state", s.q.countStates, nil},
		{"replay", replay, replayArgs},
	} {
		plan, err := s.explain(ctx, explain+" "+q.text, q.args)
		if err != nil {
			return nil, fmt.Errorf("explain %s: %w", q.name, err)
		}
		out[q.name] = plan
	}
	return out, nil
}

// explain runs an EXPLAIN and returns the last column of each row.
func (s *Store) explain(ctx context.Context, query string, args []any) ([]string, error) {
	rows, err := s.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		for i := range vals {
			vals[i] = new(any)
		}
		if err := rows.Scan(vals...); err != nil {
			return nil, err
		}
		out = append(out, fmt.Sprint(*vals[len(vals)-1].(*any)))
	}
	return out, rows.Err()
}
