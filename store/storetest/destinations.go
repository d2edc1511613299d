package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/store"
)

// destinationsFamily: a waiting run spends no attempt and is due again at
// its time; rate places are spaced and atomic under contention; slots are
// capped, leased and freed.
func destinationsFamily(t *testing.T, newStore Factory) {
	ctx := context.Background()

	t.Run("WaitSpendsNoAttempt", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		ev := event("gh", "", t0)
		r := run(ev, "a", t0)
		ingest(t, s, ev, r)
		got := claim(t, s, "w1", 1, t0, nil)
		if len(got) != 1 || got[0].Attempt != 1 {
			t.Fatalf("claim = %+v", got)
		}
		if err := s.Wait(ctx, "w2", r.ID, 1, t0.Add(time.Minute), "x"); !errors.Is(err, store.ErrLeaseLost) {
			t.Fatalf("wait by a non-owner: %v", err)
		}
		if err := s.Wait(ctx, "w1", r.ID, 1, t0.Add(time.Minute), "circuit open"); err != nil {
			t.Fatal(err)
		}
		gr, atts, err := s.GetRun(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if gr.State != store.Waiting || gr.Attempt != 0 || gr.Step != 1 || gr.LastError != "circuit open" || len(atts) != 0 || gr.ClaimedBy != "" {
			t.Fatalf("waiting run = %+v, attempts %v", gr, atts)
		}
		if counts, _ := s.CountStates(ctx); counts[store.Waiting] != 1 {
			t.Fatalf("counts = %v", counts)
		}
		if early := claim(t, s, "w1", 1, t0.Add(30*time.Second), nil); len(early) != 0 {
			t.Fatalf("a waiting run was claimed before its time: %+v", early)
		}
		got = claim(t, s, "w1", 1, t0.Add(time.Minute), nil)
		if len(got) != 1 || got[0].ID != r.ID || got[0].Attempt != 1 || got[0].Step != 1 {
			t.Fatalf("claim after the wait = %+v", got)
		}
	})

	t.Run("RateSpacesAndBursts", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		const iv = 100 * time.Millisecond
		req := store.RateRequest{Now: t0, Interval: iv, Burst: 2, Horizon: 250 * time.Millisecond}
		// burst 2: two places now, then one every interval, up to the
		// horizon; then refusals that say when the next place is.
		want := []struct {
			at time.Duration
			ok bool
		}{{0, true}, {0, true}, {100 * time.Millisecond, true}, {200 * time.Millisecond, true}, {300 * time.Millisecond, false}, {300 * time.Millisecond, false}}
		for i, w := range want {
			at, ok, err := s.ReserveRate(ctx, "api.example.com", req)
			if err != nil {
				t.Fatal(err)
			}
			if ok != w.ok || !at.Equal(t0.Add(w.at)) {
				t.Fatalf("reservation %d = %v ok=%v, want +%v ok=%v", i, at.Sub(t0), ok, w.at, w.ok)
			}
		}
		// Another destination has its own places; later, places are free.
		if at, ok, _ := s.ReserveRate(ctx, "other:8443", req); !ok || !at.Equal(t0) {
			t.Fatalf("other destination = %v %v", at, ok)
		}
		later := req
		later.Now = t0.Add(time.Hour)
		if at, ok, _ := s.ReserveRate(ctx, "api.example.com", later); !ok || !at.Equal(later.Now) {
			t.Fatalf("after an idle hour = %v %v", at, ok)
		}
	})

	t.Run("RateIsAtomic", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		const n = 20
		req := store.RateRequest{Now: t0, Interval: time.Second, Burst: 1, Horizon: time.Hour}
		var mu sync.Mutex
		seen := map[int64]bool{}
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				at, ok, err := s.ReserveRate(ctx, "d", req)
				if err != nil || !ok {
					t.Errorf("reserve: %v %v", ok, err)
					return
				}
				mu.Lock()
				seen[at.UnixNano()] = true
				mu.Unlock()
			}()
		}
		wg.Wait()
		if len(seen) != n {
			t.Fatalf("%d concurrent reservations got %d distinct places", n, len(seen))
		}
		for i := 0; i < n; i++ {
			if !seen[t0.Add(time.Duration(i)*time.Second).UnixNano()] {
				t.Fatalf("place %d missing: %v", i, seen)
			}
		}
	})

	t.Run("Slots", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		until := t0.Add(time.Minute)
		for _, h := range []string{"h1", "h2"} {
			if ok, err := s.AcquireSlot(ctx, "d", 2, h, t0, until); err != nil || !ok {
				t.Fatalf("slot for %s: %v %v", h, ok, err)
			}
		}
		if ok, _ := s.AcquireSlot(ctx, "d", 2, "h3", t0, until); ok {
			t.Fatal("a third slot of 2 was taken")
		}
		if ok, _ := s.AcquireSlot(ctx, "e", 2, "h3", t0, until); !ok {
			t.Fatal("another destination's slots are not shared")
		}
		if err := s.ReleaseSlot(ctx, "d", "h1"); err != nil {
			t.Fatal(err)
		}
		if ok, _ := s.AcquireSlot(ctx, "d", 2, "h3", t0, until); !ok {
			t.Fatal("a released slot was not free")
		}
		// h2's lease ends at t0+1m unless extended: h3's is extended.
		if err := s.ExtendSlot(ctx, "d", "h3", t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		after := t0.Add(2 * time.Minute)
		if ok, _ := s.AcquireSlot(ctx, "d", 2, "h4", after, after.Add(time.Minute)); !ok {
			t.Fatal("an expired lease did not free its slot")
		}
		if ok, _ := s.AcquireSlot(ctx, "d", 2, "h5", after, after.Add(time.Minute)); ok {
			t.Fatal("an extended lease was taken over")
		}
	})
}
