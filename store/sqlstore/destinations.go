package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/hookrunner/hookrunner/store"
)

// Runs waiting for their destination, and the shared state of destination
// limits (see store.Destinations).

const (
	waitRun = `UPDATE runs SET state = 'waiting', step = ?, attempt = attempt - 1, next_attempt_at = ?, last_error = ?,
		claimed_by = '', updated_at = ? WHERE id = ? AND claimed_by = ? AND state = 'running'`
	ensureRate = `INSERT INTO dest_rates (dest, tat) VALUES (?, 0) ON CONFLICT (dest) DO NOTHING`
	// reserveRate advances the theoretical arrival time from max(tat, now)
	// by one interval, only while tat is within the horizon; the row lock
	// of the UPDATE makes it atomic across replicas (PostgreSQL re-checks
	// the WHERE on the row it waited for).
	reserveRate = `UPDATE dest_rates SET tat = (CASE WHEN tat > ? THEN tat ELSE ? END) + ? WHERE dest = ? AND tat <= ? RETURNING tat`
	readRate    = `SELECT tat FROM dest_rates WHERE dest = ?`
	takeSlot    = `INSERT INTO dest_slots (dest, slot, holder, lease_until) VALUES (?, ?, ?, ?)
		ON CONFLICT (dest, slot) DO UPDATE SET holder = excluded.holder, lease_until = excluded.lease_until
		WHERE dest_slots.lease_until < ?`
	extendSlot  = `UPDATE dest_slots SET lease_until = ? WHERE dest = ? AND holder = ?`
	releaseSlot = `DELETE FROM dest_slots WHERE dest = ? AND holder = ?`
)

// Wait implements store.Store.
func (s *Store) Wait(ctx context.Context, owner, runID string, step int, until time.Time, reason string) error {
	now := s.now().UnixNano()
	return s.doRelaxed(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.d.Rebind(waitRun), step, nanos(until), reason, now, runID, owner)
		if err != nil {
			return fmt.Errorf("run %s waits: %w", runID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrLeaseLost
		}
		return nil
	})
}

// ReserveRate implements store.Store.
func (s *Store) ReserveRate(ctx context.Context, dest string, r store.RateRequest) (time.Time, bool, error) {
	if r.Burst < 1 {
		r.Burst = 1
	}
	tolerance := time.Duration(r.Burst-1) * r.Interval
	now := r.Now.UnixNano()
	var tat int64
	var ok bool
	err := s.doRelaxed(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.d.Rebind(ensureRate), dest); err != nil {
			return fmt.Errorf("rate of %s: %w", dest, err)
		}
		limit := now + int64(tolerance+r.Horizon)
		err := tx.QueryRowContext(ctx, s.d.Rebind(reserveRate), now, now, int64(r.Interval), dest, limit).Scan(&tat)
		if err == nil {
			ok = true
			tat -= int64(r.Interval) // the place reserved
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("reserve rate of %s: %w", dest, err)
		}
		ok = false
		if err := tx.QueryRowContext(ctx, s.d.Rebind(readRate), dest).Scan(&tat); err != nil {
			return fmt.Errorf("read rate of %s: %w", dest, err)
		}
		return nil
	})
	if err != nil {
		return time.Time{}, false, err
	}
	at := time.Unix(0, max(tat, now)-int64(tolerance))
	if at.Before(r.Now) {
		at = r.Now
	}
	return at, ok, nil
}

// AcquireSlot implements store.Store.
func (s *Store) AcquireSlot(ctx context.Context, dest string, limit int, holder string, now, until time.Time) (bool, error) {
	var got bool
	err := s.doRelaxed(ctx, func(ctx context.Context, tx *sql.Tx) error {
		got = false
		for slot := 0; slot < limit; slot++ {
			res, err := tx.ExecContext(ctx, s.d.Rebind(takeSlot), dest, slot, holder, nanos(until), nanos(now))
			if err != nil {
				return fmt.Errorf("take a slot of %s: %w", dest, err)
			}
			if n, _ := res.RowsAffected(); n > 0 {
				got = true
				return nil
			}
		}
		return nil
	})
	return got, err
}

// ExtendSlot implements store.Store.
func (s *Store) ExtendSlot(ctx context.Context, dest, holder string, until time.Time) error {
	return s.doRelaxed(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.d.Rebind(extendSlot), nanos(until), dest, holder); err != nil {
			return fmt.Errorf("extend a slot of %s: %w", dest, err)
		}
		return nil
	})
}

// ReleaseSlot implements store.Store.
func (s *Store) ReleaseSlot(ctx context.Context, dest, holder string) error {
	return s.doRelaxed(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.d.Rebind(releaseSlot), dest, holder); err != nil {
			return fmt.Errorf("release a slot of %s: %w", dest, err)
		}
		return nil
	})
}
