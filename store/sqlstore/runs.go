package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/hookrunner/hookrunner/store"
)

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
	atts, err := scanAll(rows, scanAttempt)
	if err != nil {
		return nil, nil, err
	}
	return r, atts, nil
}

// ListRuns implements store.Store.
func (s *Store) ListRuns(ctx context.Context, f store.RunFilter) ([]*store.Run, error) {
	q, args := s.q.listRuns(f)
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	return scanAll(rows, scanRun)
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
	return scanAll(rows, func(sc scanner) (store.RuleCount, error) {
		var c store.RuleCount
		var st string
		err := sc.Scan(&c.Source, &c.Rule, &st, &c.Count)
		c.State = store.State(st)
		return c, err
	})
}

func newReplayRun(src *store.Run, id string, c store.Config, now time.Time) *store.Run {
	return &store.Run{
		ID: id, EventID: src.EventID, Rule: src.Rule, ConfigHash: c.Hash, State: store.Pending,
		NextAttemptAt: now, CreatedAt: now, UpdatedAt: now, ReplayOf: src.ID, Concurrency: store.RunLimit(c.Concurrency[src.Rule]),
	}
}

// replayTx adds a new pending run for src and marks src replayed.
func (s *Store) replayTx(ctx context.Context, tx *sql.Tx, src *store.Run, c store.Config, now time.Time) (*store.Run, error) {
	r := newReplayRun(src, store.NewID(), c, now)
	if err := s.insertRun(ctx, tx, r); err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, s.q.markReplayed, nanos(now), src.ID); err != nil {
		return nil, err
	}
	return r, nil
}

// Replay implements store.Store.
func (s *Store) Replay(ctx context.Context, runID string, c store.Config, now time.Time) (*store.Run, error) {
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
		if out, err = s.replayTx(ctx, tx, src, c, now); err != nil {
			return err
		}
		return s.notify(ctx, tx, 1)
	})
	return out, err
}

// ReplayRule implements store.Store.
func (s *Store) ReplayRule(ctx context.Context, f store.ReplayFilter, c store.Config, now time.Time) ([]*store.Run, error) {
	f, err := replayFilter(f)
	if err != nil {
		return nil, err
	}
	q, args := s.q.replaySources(f)
	var out []*store.Run
	err = s.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		out = out[:0]
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		srcs, err := scanAll(rows, scanRun)
		if err != nil {
			return err
		}
		for _, src := range srcs {
			r, err := s.replayTx(ctx, tx, src, c, now)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return s.notify(ctx, tx, len(out))
	})
	return out, err
}

// CountReplay implements store.Store.
func (s *Store) CountReplay(ctx context.Context, f store.ReplayFilter) (int, error) {
	f, err := replayFilter(f)
	if err != nil {
		return 0, err
	}
	q, args := s.q.countReplay(f)
	var n int
	if err := s.read.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count runs to replay: %w", err)
	}
	return n, nil
}

// replayFilter defaults the state to dead and refuses states that cannot
// be replayed.
func replayFilter(f store.ReplayFilter) (store.ReplayFilter, error) {
	if f.State == "" {
		f.State = store.Dead
	}
	if f.State != store.Dead && f.State != store.Succeeded {
		return f, fmt.Errorf("state %s: %w", f.State, store.ErrNotReplayable)
	}
	return f, nil
}
