package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/store"
)

// processFamily: records of running action process groups.
func processFamily(t *testing.T, newStore Factory) {
	ctx := context.Background()

	t.Run("ProcessRecords", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		if ps, err := s.Processes(ctx); err != nil || len(ps) != 0 {
			t.Fatalf("empty store: %v, %v", ps, err)
		}
		a := store.Process{RunID: "r1", PGID: 4242, StartTicks: 1 << 40, BootID: "boot-a", Host: "h1", Owner: "h1-1-x",
			OwnerPID: 7, OwnerStartTicks: 99, StartedAt: t0}
		b := a
		b.RunID, b.PGID, b.StartTicks, b.StartedAt = "r2", 4243, 5, t0.Add(time.Second)
		for _, p := range []store.Process{a, b} {
			if err := s.RecordProcess(ctx, p); err != nil {
				t.Fatal(err)
			}
		}
		// Recording the same group again replaces it.
		if err := s.RecordProcess(ctx, a); err != nil {
			t.Fatal(err)
		}
		ps, err := s.Processes(ctx)
		if err != nil || len(ps) != 2 || ps[0] != a || ps[1] != b {
			t.Fatalf("processes = %+v, %v; want %+v, %+v", ps, err, a, b)
		}
		// The same pgid with another start time is another process.
		other := a
		other.StartTicks++
		if err := s.ForgetProcess(ctx, other); err != nil {
			t.Fatal(err)
		}
		if ps, _ := s.Processes(ctx); len(ps) != 2 {
			t.Fatalf("forgetting a recycled pid removed a record: %+v", ps)
		}
		if err := s.ForgetProcess(ctx, a); err != nil {
			t.Fatal(err)
		}
		if ps, _ := s.Processes(ctx); len(ps) != 1 || ps[0] != b {
			t.Fatalf("after forget: %+v", ps)
		}
	})

	t.Run("FinishForgetsProcesses", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		ev := event("gh", "", t0)
		r := run(ev, "a", t0)
		ingest(t, s, ev, r)
		got := claim(t, s, "w1", 1, t0, nil)
		if len(got) != 1 {
			t.Fatalf("claimed %d runs", len(got))
		}
		a := store.Process{RunID: r.ID, PGID: 4242, StartTicks: 77, BootID: "boot-a", Host: "h1", Owner: "w1", StartedAt: t0}
		b := a
		b.PGID = 4343
		for _, p := range []store.Process{a, b} {
			if err := s.RecordProcess(ctx, p); err != nil {
				t.Fatal(err)
			}
		}
		// An outcome that is not written (lease lost) forgets nothing.
		err := s.Finish(ctx, "w2", r.ID, store.Outcome{State: store.Succeeded, Attempt: store.Attempt{N: 1, OK: true}, Forget: []store.Process{a}})
		if !errors.Is(err, store.ErrLeaseLost) {
			t.Fatalf("finish by another owner: %v", err)
		}
		if ps, _ := s.Processes(ctx); len(ps) != 2 {
			t.Fatalf("a refused finish forgot records: %+v", ps)
		}
		if err := s.Finish(ctx, "w1", r.ID, store.Outcome{State: store.Succeeded, Attempt: store.Attempt{N: 1, OK: true}, Forget: []store.Process{a}}); err != nil {
			t.Fatal(err)
		}
		if ps, _ := s.Processes(ctx); len(ps) != 1 || ps[0] != b {
			t.Fatalf("after finish: %+v; want only %+v", ps, b)
		}
	})
}
