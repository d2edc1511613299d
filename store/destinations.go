package store

import (
	"context"
	"time"
)

// RateRequest asks for one request's place in a destination's rate limit,
// a generic cell rate algorithm (GCRA): requests are spaced Interval apart
// (1/rate) and Burst of them may go at once.
type RateRequest struct {
	Now      time.Time
	Interval time.Duration
	// Burst is how many requests may go at once (at least 1).
	Burst int
	// Horizon is how far ahead of Now a place may be reserved; a request
	// whose place is further is refused and reserves nothing.
	Horizon time.Duration
}

// Destinations is what the store keeps for the destinations of actions:
// runs that wait for one, and the state of destination limits shared by
// every process using the store.
type Destinations interface {
	// Wait puts a run owner holds back in the queue, state Waiting, due at
	// until, its next step step and its last error reason; the attempt it
	// was claimed for is not counted (nor recorded). It fails with
	// ErrLeaseLost when owner no longer holds the run.
	Wait(ctx context.Context, owner, runID string, step int, until time.Time, reason string) error
	// ReserveRate reserves the next place of dest's rate limit if it is
	// within r.Horizon: ok, and at is when the request may go (not before
	// r.Now). Otherwise nothing is reserved and at is when the next place
	// will be. Reservations are atomic across processes.
	ReserveRate(ctx context.Context, dest string, r RateRequest) (at time.Time, ok bool, err error)
	// AcquireSlot takes one of dest's limit concurrency slots for holder
	// until `until` (a lease: a slot whose lease ended is free again), and
	// reports false when all are held.
	AcquireSlot(ctx context.Context, dest string, limit int, holder string, now, until time.Time) (bool, error)
	// ExtendSlot renews the lease of holder's slot of dest.
	ExtendSlot(ctx context.Context, dest, holder string, until time.Time) error
	// ReleaseSlot frees holder's slot of dest.
	ReleaseSlot(ctx context.Context, dest, holder string) error
}
