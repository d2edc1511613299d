package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hookrunner/hookrunner/store"
)

// health is the store's answer to "does a durable write work right now":
// every write transaction reports its outcome here, and Writable probes
// with a small durable write when nothing was written for a while.
type health struct {
	mu sync.Mutex
	// gone is sticky: the database the store writes to is no longer the
	// one its path names (the SQLite file was deleted or replaced). Every
	// write is refused until a restart.
	gone error
	// lastErr is the last failed write; lastOK the last committed one.
	lastErr   error
	lastErrAt time.Time
	lastOKAt  time.Time
}

// faultHold is how long a failed write keeps the store unwritable even if a
// later small write succeeds (a full disk may still take a one-page probe).
const faultHold = 2 * time.Second

// probeAfter is how old the last successful write may be before Writable
// proves durability again with a probe write.
const probeAfter = time.Second

func (h *health) ok(now time.Time) {
	h.mu.Lock()
	h.lastOKAt = now
	h.mu.Unlock()
}

func (h *health) fail(err error, now time.Time, sticky bool) {
	h.mu.Lock()
	if sticky && h.gone == nil {
		h.gone = err
	}
	h.lastErr, h.lastErrAt = err, now
	h.mu.Unlock()
}

// state returns the reason the store is not writable (nil when it is) and
// whether a probe is needed to know.
func (h *health) state(now time.Time) (err error, probe bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.gone != nil {
		return h.gone, false
	}
	if h.lastErr != nil && now.Sub(h.lastErrAt) < faultHold {
		return h.lastErr, false
	}
	if h.lastErr != nil && !h.lastOKAt.After(h.lastErrAt) {
		return nil, true // failed before and not proven since
	}
	return nil, now.Sub(h.lastOKAt) > probeAfter
}

// ErrUnwritable wraps the reason the store refuses writes.
var ErrUnwritable = errors.New("store not writable")

// isFault tells a store failure (the database cannot take writes) from a
// domain answer of one operation (not found, lease lost, cancelled).
func isFault(err error) bool {
	switch {
	case err == nil,
		errors.Is(err, store.ErrNotFound),
		errors.Is(err, store.ErrLeaseLost),
		errors.Is(err, store.ErrNotReplayable),
		errors.Is(err, context.Canceled),
		errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, ErrClosed),
		isConflict(err):
		return false
	}
	return true
}

// isConflict reports a transaction that lost to a concurrent one
// (PostgreSQL's deadlock_detected and serialization_failure): the
// database works, and the transaction may simply be run again.
func isConflict(err error) bool {
	var st interface{ SQLState() string }
	if errors.As(err, &st) {
		switch st.SQLState() {
		case "40P01", "40001":
			return true
		}
	}
	return false
}

// Writable reports whether a durable write succeeds now: nil when it does,
// else the reason. It probes with a one-row durable write when the store
// has not committed for a while, so it also notices a disk that filled up
// while the service was idle.
func (s *Store) Writable(ctx context.Context) error {
	err, probe := s.health.state(s.now())
	if err == nil && probe {
		err = s.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
			_, err := s.exec(ctx, tx, s.q.probe, nanos(s.now()))
			return err
		})
		if err == nil {
			err, _ = s.health.state(s.now())
		}
	}
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("%w: no answer in time: %w", ErrUnwritable, err)
		} else if !errors.Is(err, ErrUnwritable) {
			err = fmt.Errorf("%w: %w", ErrUnwritable, err)
		}
	}
	return err
}
