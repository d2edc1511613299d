package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/hookrunner/hookrunner/store"
)

// Restore implements store.Store: the items in one transaction, each kept
// as exported; what is already stored wins (an event id, a delivery id of
// the source naming another event, a run id, an attempt).
func (s *Store) Restore(ctx context.Context, items []store.Restored) (int, error) {
	added := 0
	err := s.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		added = 0
		due := 0
		for _, it := range items {
			ok, err := s.restoreOne(ctx, tx, it)
			if err != nil {
				return err
			}
			if ok {
				added++
				for _, r := range it.Runs {
					if !r.State.Terminal() {
						due++
					}
				}
			}
		}
		return s.notify(ctx, tx, due)
	})
	return added, err
}

// restoreOne stores one item unless its event or its delivery is there.
func (s *Store) restoreOne(ctx context.Context, tx *sql.Tx, it store.Restored) (bool, error) {
	ev := it.Event
	if ev == nil || ev.ID == "" {
		return false, errors.New("restore: an item without an event id")
	}
	if ev.DeliveryID != "" {
		// A stored event is its delivery's record too (Dialect.Serialized).
		if existing, dup, err := s.seenTx(ctx, tx, ev.Source, ev.DeliveryID, time.Time{}); err != nil {
			return false, fmt.Errorf("restore: look up delivery of %s: %w", ev.ID, err)
		} else if dup && existing != ev.ID {
			return false, nil // another event holds this delivery: a duplicate
		}
		s.filter.add(ev.Source, ev.DeliveryID)
		res, err := s.exec(ctx, tx, s.q.restoreDelivery, ev.Source, ev.DeliveryID, ev.ID, nanos(ev.ReceivedAt))
		if err != nil {
			return false, fmt.Errorf("restore delivery of %s: %w", ev.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var existing string
			if err := s.queryRow(ctx, tx, s.q.existingDelivery, ev.Source, ev.DeliveryID).Scan(&existing); err != nil {
				return false, fmt.Errorf("restore: read delivery of %s: %w", ev.ID, err)
			}
			if existing != ev.ID {
				return false, nil // another event holds this delivery: a duplicate
			}
		}
	}
	res, err := s.exec(ctx, tx, s.q.restoreEvent, eventArgs(ev)...)
	if err != nil {
		return false, fmt.Errorf("restore event %s: %w", ev.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil // already stored, with its runs
	}
	needSeq(ctx, ev) // a place in the event sequence, as a new event gets (listen)
	mine := map[string]bool{}
	for _, r := range it.Runs {
		mine[r.ID] = true
		if r.EventID != ev.ID {
			return false, fmt.Errorf("restore: run %s belongs to event %s, not %s", r.ID, r.EventID, ev.ID)
		}
		if _, err := s.exec(ctx, tx, s.q.restoreRun, runArgs(r)...); err != nil {
			return false, fmt.Errorf("restore run %s: %w", r.ID, err)
		}
	}
	for _, a := range it.Attempts {
		if !mine[a.RunID] {
			return false, fmt.Errorf("restore: attempt of run %s, not a run of event %s", a.RunID, ev.ID)
		}
		if _, err := s.exec(ctx, tx, s.q.restoreAttempt, attemptArgs(a.RunID, *a)...); err != nil {
			return false, fmt.Errorf("restore attempt %s/%d: %w", a.RunID, a.N, err)
		}
	}
	return true, nil
}
