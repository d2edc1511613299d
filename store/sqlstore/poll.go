package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/hookrunner/hookrunner/store"
)

// Poll state: one row per polled source with its cursor and a lease, so
// one process at a time polls a source.

// AcquirePoll implements store.Store.
func (s *Store) AcquirePoll(ctx context.Context, source, owner string, now, until time.Time) (bool, error) {
	var ok bool
	err := s.doRelaxed(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q.createPoll, source); err != nil {
			return fmt.Errorf("poll state: %w", err)
		}
		res, err := tx.ExecContext(ctx, s.q.acquirePoll, owner, nanos(until), source, owner, nanos(now))
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
	err := s.read.QueryRowContext(ctx, s.q.getPoll, source).
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
		if err := tx.QueryRowContext(ctx, s.q.pollOwner, b.Source).Scan(&owner); err != nil {
			return fmt.Errorf("poll state: %w", err)
		}
		if owner != b.Owner {
			return store.ErrLeaseLost
		}
		for _, id := range b.SeenOnly {
			if _, err := tx.ExecContext(ctx, s.q.seenOnly, b.Source, id, nanos(b.Now)); err != nil {
				return fmt.Errorf("record seen item: %w", err)
			}
			s.filter.add(b.Source, id)
		}
		runs := 0
		for _, it := range b.Items {
			dup, _, err := s.ingestTx(ctx, tx, it.Event, eventArgs(it.Event), it.Runs, b.DedupeSince)
			if err != nil {
				return err
			}
			if !dup {
				stored = append(stored, it.Event)
				runs += len(it.Runs)
			}
		}
		args := []any{nanos(b.Now)}
		if b.Cursor != nil {
			args = append(args, *b.Cursor)
		}
		args = append(args, b.Source)
		if _, err := tx.ExecContext(ctx, s.q.savePoll(b.Cursor != nil, b.Initialize), args...); err != nil {
			return fmt.Errorf("save cursor: %w", err)
		}
		return s.notify(ctx, tx, runs)
	})
	return stored, err
}

// ReleasePoll implements store.Store.
func (s *Store) ReleasePoll(ctx context.Context, source, owner string) error {
	return s.doRelaxed(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.q.releasePoll, source, owner)
		return err
	})
}

// PollFailed implements store.Store.
func (s *Store) PollFailed(ctx context.Context, source, msg string, at time.Time) error {
	return s.doRelaxed(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.q.pollFailed, msg, nanos(at), source)
		return err
	})
}
