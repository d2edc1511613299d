package postgres_test

import (
	"context"
	"testing"
	"time"

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
	wake := b.Wakeups(ctx)
	time.Sleep(200 * time.Millisecond) // LISTEN established
	now := time.Now()
	ev := &store.Event{ID: store.NewID(), Source: "s", Provider: "generic", Headers: map[string]string{}, Body: []byte("{}"), ReceivedAt: now}
	run := &store.Run{ID: store.NewID(), EventID: ev.ID, Rule: "r", State: store.Pending, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now}
	if _, err := a.Ingest(ctx, ev, []*store.Run{run}, now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-wake:
	case <-time.After(5 * time.Second):
		t.Fatal("replica b was not notified of the new run")
	}
}

func TestConcurrentMigrations(t *testing.T) {
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
