package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/store"
)

// listFamily: listing, counting and pruning.
func listFamily(t *testing.T, newStore Factory) {
	ctx := context.Background()

	t.Run("ListFiltersAndCounts", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		for i := 0; i < 4; i++ {
			src := "gh"
			if i%2 == 1 {
				src = "stripe"
			}
			ev := event(src, fmt.Sprint(i), t0.Add(time.Duration(i)*time.Minute))
			ingest(t, s, ev, run(ev, src+"-rule", t0))
		}
		evs, err := s.ListEvents(ctx, store.EventFilter{Source: "stripe"})
		if err != nil || len(evs) != 2 || evs[0].ReceivedAt.Before(evs[1].ReceivedAt) {
			t.Fatalf("list stripe events = %d (newest first?), %v", len(evs), err)
		}
		evs, _ = s.ListEvents(ctx, store.EventFilter{Since: t0.Add(2 * time.Minute)})
		if len(evs) != 2 {
			t.Fatalf("since filter = %d", len(evs))
		}
		evs, _ = s.ListEvents(ctx, store.EventFilter{Limit: 1})
		if len(evs) != 1 {
			t.Fatalf("limit = %d", len(evs))
		}
		counts, err := s.CountStates(ctx)
		if err != nil || counts[store.Pending] != 4 {
			t.Fatalf("counts = %v, %v", counts, err)
		}
		rc, err := s.CountRules(ctx, t0.Add(-time.Hour))
		if err != nil || len(rc) != 2 {
			t.Fatalf("rule counts = %+v, %v", rc, err)
		}
	})
	t.Run("PruneKeepsDeadAndPending", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		old := t0.Add(-40 * 24 * time.Hour)
		done, dead, pending, recent := event("gh", "1", old), event("gh", "2", old), event("gh", "3", old), event("gh", "4", t0)
		rd, rx, rp, rr := run(done, "a", old), run(dead, "a", old), run(pending, "a", t0.Add(time.Hour)), run(recent, "a", t0.Add(time.Hour))
		ingest(t, s, done, rd)
		ingest(t, s, dead, rx)
		ingest(t, s, pending, rp)
		ingest(t, s, recent, rr)
		for _, r := range claim(t, s, "w", 10, old.Add(time.Second), nil) {
			st := store.Succeeded
			if r.ID == rx.ID {
				st = store.Dead
			}
			if err := s.Finish(ctx, "w", r.ID, store.Outcome{State: st, Attempt: store.Attempt{N: 1}}); err != nil {
				t.Fatal(err)
			}
		}
		n, err := s.Prune(ctx, t0.Add(-30*24*time.Hour), t0.Add(-7*24*time.Hour))
		if err != nil || n != 1 {
			t.Fatalf("pruned %d, %v; want 1", n, err)
		}
		if _, err := s.GetEvent(ctx, done.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatal("succeeded old event kept")
		}
		for _, e := range []*store.Event{dead, pending, recent} {
			if _, err := s.GetEvent(ctx, e.ID); err != nil {
				t.Fatalf("event %s pruned: %v", e.DeliveryID, err)
			}
		}
		if _, _, err := s.GetRun(ctx, rd.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatal("run of pruned event kept")
		}
		// The old delivery records are gone, so the id is accepted again.
		if res := ingest(t, s, event("gh", "1", t0)); res.Duplicate {
			t.Fatal("pruned delivery still deduped")
		}
	})
}
