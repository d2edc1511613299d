package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sort"

	"github.com/hookrunner/hookrunner/store"
)

// Concurrency limits are per run (store.Run.Concurrency, written when the
// run is created from the rule of its own revision) and counted per rule
// name: a run may start while fewer runs of its rule's name are running
// than its own limit. The config in force only fills in the limit of runs
// that recorded none. Claims and claims at birth count the same way, one
// at a time (Dialect.ClaimLock, or SQLite's single writer).

// limits is what a claim knows of the running runs, and takes as it goes.
type limits struct {
	rules map[string]*ruleRunning
	// limited: some running run recorded a limit.
	limited bool
}

// ruleRunning counts the running runs of a rule name (and those a claim
// took); least is the smallest limit they recorded (0: none).
type ruleRunning struct{ n, least int }

// take reports whether r may start now, and counts it if so.
func (l *limits) take(r *store.Run, inForce map[string]int) bool {
	c := l.rules[r.Rule]
	if c == nil {
		c = &ruleRunning{}
		l.rules[r.Rule] = c
	}
	if lim := r.Limit(inForce); lim > 0 && c.n >= lim {
		return false
	}
	c.n++
	return true
}

// blockedRange is the runs of a rule that cannot start now: those whose
// recorded limit is in [lo, hi] (lo 0: those that recorded none, held to
// the limit in force).
type blockedRange struct {
	rule   string
	lo, hi int
}

// blocked lists, by rule name, the runs the running runs already hold to
// their limit, for rules where that is known to be the case: the limit in
// force, or one a running run recorded, is reached. Any other run is
// still checked one by one (take); this list only spares reading them.
func (l *limits) blocked(inForce map[string]int) []blockedRange {
	var out []blockedRange
	for rule, c := range l.rules {
		if c.n == 0 {
			continue
		}
		held := inForce[rule] > 0 && inForce[rule] <= c.n
		if !held && (c.least == 0 || c.least > c.n) {
			continue
		}
		lo := 1
		if held {
			lo = 0
		}
		out = append(out, blockedRange{rule: rule, lo: lo, hi: c.n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].rule < out[j].rule })
	return out
}

// heldBack lists, for every rule with running runs, every run their count
// rules out: a recorded limit of at most the count, and, where the limit
// in force is reached, runs that recorded none.
func (l *limits) heldBack(inForce map[string]int) []blockedRange {
	var out []blockedRange
	for rule, c := range l.rules {
		if c.n == 0 {
			continue
		}
		lo := 1
		if inForce[rule] > 0 && inForce[rule] <= c.n {
			lo = 0
		}
		out = append(out, blockedRange{rule: rule, lo: lo, hi: c.n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].rule < out[j].rule })
	return out
}

// admit holds the runs given as Running (claimed at birth: a sync run)
// to their own concurrency limit inside the ingest transaction, counted
// as a claim counts: a run without room is stored Pending instead, due
// now, for a worker to claim when a slot frees. It returns the runs to
// insert (the caller's, or copies where one was queued) and the ids of
// those queued.
func (s *Store) admit(ctx context.Context, tx *sql.Tx, runs []*store.Run) ([]*store.Run, []string, error) {
	var out []*store.Run
	var queued []string
	locked := false
	for i, r := range runs {
		if r.State != store.Running || r.Concurrency <= 0 {
			continue
		}
		if !locked && s.d.ClaimLock != "" {
			if _, err := tx.ExecContext(ctx, s.d.ClaimLock); err != nil {
				return nil, nil, fmt.Errorf("claim lock: %w", err)
			}
		}
		locked = true
		// The run's creation is the caller's now (its clock), as
		// ClaimOptions.Now is a claim's.
		now := r.CreatedAt
		if now.IsZero() {
			now = s.now()
		}
		var n int
		if err := s.queryRow(ctx, tx, s.q.runningRule, r.Rule, nanos(now)).Scan(&n); err != nil {
			return nil, nil, fmt.Errorf("count running runs of rule %s: %w", r.Rule, err)
		}
		for _, o := range runs[:i] {
			if o.Rule == r.Rule && o.State == store.Running && !slices.Contains(queued, o.ID) {
				n++ // not inserted yet
			}
		}
		if n < r.Concurrency {
			continue
		}
		if out == nil {
			out = slices.Clone(runs)
		}
		q := *r
		q.State, q.ClaimedBy, q.Attempt, q.NextAttemptAt = store.Pending, "", 0, now
		out[i] = &q
		queued = append(queued, r.ID)
	}
	if out == nil {
		return runs, nil, nil
	}
	return out, queued, nil
}
