// Package storetest is the conformance suite every store.Store passes:
// storetest.Run(t, newStore) from each backend's tests. Each family of
// behaviour has its own file; every subtest runs in parallel on its own
// store.
package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/store"
)

// Factory returns a fresh, empty store for one subtest, independent of
// every other store it returns (its own SQLite file, its own PostgreSQL
// schema): the subtests run in parallel.
type Factory func(t *testing.T) store.Store

// Run runs the whole suite.
func Run(t *testing.T, newStore Factory) {
	for _, family := range []func(*testing.T, Factory){
		ingestFamily,       // ingest.go
		dedupeFamily,       // dedupe.go
		queueFamily,        // queue.go
		replayFamily,       // replay.go
		listFamily,         // list.go
		browseFamily,       // browse.go
		pollFamily,         // poll.go
		processFamily,      // processes.go
		revisionsFamily,    // revisions.go
		sequenceFamily,     // sequence.go
		destinationsFamily, // destinations.go
		restoreFamily,      // restore.go
		limitsFamily,       // limits.go
	} {
		family(t, newStore)
	}
}

// Await returns the next value from ch, a signal from the code under test,
// or fails the test when none comes within d.
func Await[T any](t testing.TB, what string, d time.Duration, ch <-chan T) T {
	t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case v := <-ch:
		return v
	case <-timer.C:
		t.Fatalf("timed out after %s waiting for %s", d, what)
		panic("unreachable")
	}
}

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func event(source, delivery string, at time.Time) *store.Event {
	return &store.Event{
		ID: store.NewID(), Source: source, Provider: "github", Event: "push", DeliveryID: delivery,
		Headers: map[string]string{"x-github-event": "push"}, Body: []byte(`{"ref":"refs/heads/main"}`),
		RemoteIP: "127.0.0.1", RemoteAddr: "127.0.0.1:40122", ReceivedAt: at, Verification: "ok", Matched: []string{"deploy"}, ConfigHash: "abc",
	}
}

func run(ev *store.Event, rule string, at time.Time) *store.Run {
	return &store.Run{ID: store.NewID(), EventID: ev.ID, Rule: rule, ConfigHash: "abc", State: store.Pending,
		NextAttemptAt: at, CreatedAt: at, UpdatedAt: at}
}

func ingest(t *testing.T, s store.Store, ev *store.Event, runs ...*store.Run) store.IngestResult {
	t.Helper()
	res, err := s.Ingest(context.Background(), ev, runs, ev.ReceivedAt.Add(-7*24*time.Hour))
	if err != nil {
		t.Fatalf("ingest: %v", err)
	}
	return res
}

func claim(t *testing.T, s store.Store, owner string, limit int, now time.Time, conc map[string]int) []*store.Run {
	t.Helper()
	runs, err := s.Claim(context.Background(), store.ClaimOptions{Owner: owner, Limit: limit, Lease: 30 * time.Second, Now: now, Concurrency: conc})
	if err != nil {
		t.Fatalf("claim: %v", err)
	}
	return runs
}
