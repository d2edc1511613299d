package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookrunner/hookrunner/internal/pgtest"

	"github.com/hookrunner/hookrunner/store"
	"github.com/hookrunner/hookrunner/store/postgres"
	"github.com/hookrunner/hookrunner/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := postgres.Open(context.Background(), pgtest.DSN(t), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestNotifyWakesOtherReplicas(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, err := postgres.Open(ctx, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := postgres.Open(ctx, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	listening := make(chan uint32, 4)
	postgres.SetListenHooks(b, func(pid uint32) { listening <- pid }, nil)
	wake := b.Wakeups(ctx)
	storetest.Await(t, "LISTEN", 5*time.Second, listening)
	storetest.Await(t, "the wake-up every new LISTEN sends for what it may have missed", 5*time.Second, wake)
	now := time.Now()
	ev := &store.Event{ID: store.NewID(), Source: "s", Provider: "generic", Headers: map[string]string{}, Body: []byte("{}"), ReceivedAt: now}
	run := &store.Run{ID: store.NewID(), EventID: ev.ID, Rule: "r", State: store.Pending, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now}
	if _, err := a.Ingest(ctx, ev, []*store.Run{run}, now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	storetest.Await(t, "replica b to be notified of the new run", 5*time.Second, wake)
}

func TestConcurrentMigrations(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	errs := make(chan error, 3)
	for i := 0; i < 3; i++ {
		go func() {
			s, err := postgres.Open(context.Background(), dsn, nil)
			if err == nil {
				s.Close()
			}
			errs <- err
		}()
	}
	for i := 0; i < 3; i++ {
		if err := <-errs; err != nil {
			t.Fatalf("replica start: %v", err)
		}
	}
}

// TestListenBackoffResets kills the LISTEN connection twice: each reconnect
// waits the minimum delay (the backoff restarts after a good connection),
// and notifications flow again after each.
func TestListenBackoffResets(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := postgres.Open(ctx, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	listening := make(chan uint32, 8)
	retries := make(chan time.Duration, 8)
	postgres.SetListenHooks(s, func(pid uint32) { listening <- pid }, func(d time.Duration) { retries <- d })
	wake := s.Wakeups(ctx)
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	const d = 10 * time.Second
	pid := storetest.Await(t, "LISTEN", d, listening)
	storetest.Await(t, "the first wake-up", d, wake)
	var delays []time.Duration
	for kill := 0; kill < 2; kill++ {
		if _, err := admin.Exec(ctx, "SELECT pg_terminate_backend($1)", int32(pid)); err != nil {
			t.Fatal(err)
		}
		delays = append(delays, storetest.Await(t, "the LISTEN connection loss to be noticed", d, retries))
		pid = storetest.Await(t, "LISTEN to reconnect", d, listening)
		storetest.Await(t, "the catch-up wake-up after a reconnect", d, wake)
		if _, err := admin.Exec(ctx, "SELECT pg_notify($1, '')", postgres.Channel); err != nil {
			t.Fatal(err)
		}
		storetest.Await(t, fmt.Sprintf("a notification after reconnect %d", kill+1), d, wake)
	}
	if delays[0] != delays[1] {
		t.Fatalf("reconnect delays %v: the backoff did not restart after a good connection", delays)
	}
}
