package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/store"
)

// window is the dedupe window of this family: an ingest at time at
// dedupes since at-window, and a prune at now forgets the delivery ids
// received before now-window, as the engine calls them.
const window = 7 * 24 * time.Hour

// dedupeFamily: a delivery id stays a duplicate for the whole window,
// whether its event is still stored or was pruned meanwhile (on SQLite the
// event is its own delivery record and prune leaves one behind), and only
// for the window.
func dedupeFamily(t *testing.T, newStore Factory) {
	ctx := context.Background()

	t.Run("PrunedWithinWindowStaysDuplicate", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		// Pruned at t0+1h, forgetting the delivery ids received before t0.
		prunedAt, dedupeBefore := t0.Add(time.Hour), t0
		cases := []struct {
			name     string
			ev       *store.Event
			finished bool // a run that succeeded (else it matched no rule)
			kept     bool // its delivery id outlives the event
		}{
			{"inside the window", event("gh", "inside", t0.Add(30*time.Minute)), false, true},
			{"inside, with a finished run", event("gh", "finished", t0.Add(40*time.Minute)), true, true},
			{"on the window's edge", event("gh", "edge", t0), false, true},
			{"before the window", event("gh", "outside", t0.Add(-time.Nanosecond)), false, false},
		}
		for _, tc := range cases {
			if tc.finished {
				ingest(t, s, tc.ev, run(tc.ev, "deploy", tc.ev.ReceivedAt))
			} else {
				ingest(t, s, tc.ev)
			}
		}
		finishAll(t, s, t0.Add(50*time.Minute))
		if n, err := s.Prune(ctx, prunedAt, dedupeBefore); err != nil || n != len(cases) {
			t.Fatalf("pruned %d, %v; want %d", n, err, len(cases))
		}
		for _, tc := range cases {
			if _, err := s.GetEvent(ctx, tc.ev.ID); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("%s: event not pruned: %v", tc.name, err)
			}
		}
		// Sent again, deduped since before any of them (and Seen since
		// then): the ids kept are duplicates of the pruned events.
		since := t0.Add(-time.Hour)
		for _, tc := range cases {
			id, ok := seen(t, s, "gh", tc.ev.DeliveryID, since)
			if ok != tc.kept || (ok && id != tc.ev.ID) {
				t.Errorf("%s: seen after the prune = %q, %v; want %v (event %s)", tc.name, id, ok, tc.kept, tc.ev.ID)
			}
			again := event("gh", tc.ev.DeliveryID, prunedAt.Add(time.Minute))
			res := ingestSince(t, s, again, since)
			switch {
			case tc.kept && (!res.Duplicate || res.EventID != tc.ev.ID):
				t.Errorf("%s: sent again after the prune = %+v; want a duplicate of the pruned %s", tc.name, res, tc.ev.ID)
			case !tc.kept && res.Duplicate:
				t.Errorf("%s: sent again after the prune = %+v; want a new event (pruned outside the window)", tc.name, res)
			}
			if _, err := s.GetEvent(ctx, again.ID); tc.kept && !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s: the duplicate was stored: %v", tc.name, err)
			}
		}
		if n, err := s.Prune(ctx, prunedAt, t0); err != nil || n != 0 {
			t.Fatalf("prune again with the same window = %d, %v", n, err)
		}
		if _, ok := seen(t, s, "gh", "edge", since); !ok {
			t.Fatal("a delivery received at dedupeBefore was forgotten")
		}
		// The window passes: a prune forgets the ids received before
		// t0+35m, and those are accepted again (deduped since before
		// them: only the forgetting lets them in).
		if _, err := s.Prune(ctx, prunedAt, t0.Add(35*time.Minute)); err != nil {
			t.Fatal(err)
		}
		for _, tc := range cases[:3] {
			forgotten := tc.ev.ReceivedAt.Before(t0.Add(35 * time.Minute))
			if _, ok := seen(t, s, "gh", tc.ev.DeliveryID, since); ok == forgotten {
				t.Errorf("%s: seen after the window passed = %v, want %v", tc.name, ok, !forgotten)
			}
			late := event("gh", tc.ev.DeliveryID, t0.Add(2*time.Hour))
			res := ingestSince(t, s, late, since)
			if forgotten && (res.Duplicate || res.EventID != late.ID) {
				t.Errorf("%s: sent after the window = %+v; want the new event %s", tc.name, res, late.ID)
			}
			if !forgotten && (!res.Duplicate || res.EventID != tc.ev.ID) {
				t.Errorf("%s: sent within the window = %+v; want a duplicate of %s", tc.name, res, tc.ev.ID)
			}
			if forgotten {
				if got, err := s.GetEvent(ctx, late.ID); err != nil || got.DeliveryID != tc.ev.DeliveryID {
					t.Errorf("%s: the new event = %v, %v", tc.name, got, err)
				}
			}
		}
	})

	t.Run("ResentAfterWindowIsNewEvent", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		first := event("gh", "d", t0)
		ingest(t, s, first)
		// Past the window of the first, which is still stored.
		second := event("gh", "d", t0.Add(window+time.Hour))
		if res := ingest(t, s, second); res.Duplicate || res.EventID != second.ID {
			t.Fatalf("sent after the window = %+v, want the new event %s", res, second.ID)
		}
		for _, ev := range []*store.Event{first, second} {
			if _, err := s.GetEvent(ctx, ev.ID); err != nil {
				t.Fatalf("event %s: %v", ev.ID, err)
			}
		}
		if id, ok := seen(t, s, "gh", "d", second.ReceivedAt.Add(-window)); !ok || id != second.ID {
			t.Fatalf("seen within the second's window = %q, %v; want %s", id, ok, second.ID)
		}
		// A third send, within the window of the second only.
		third := event("gh", "d", second.ReceivedAt.Add(time.Hour))
		if res := ingest(t, s, third); !res.Duplicate || res.EventID != second.ID {
			t.Fatalf("sent within the second's window = %+v, want a duplicate of the second %s (the first is %s)", res, second.ID, first.ID)
		}
		if _, err := s.GetEvent(ctx, third.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("the duplicate was stored: %v", err)
		}
		evs, err := s.ListEvents(ctx, store.EventFilter{DeliveryID: "d"})
		if err != nil || len(evs) != 2 {
			t.Fatalf("events of the delivery: %d, %v; want 2", len(evs), err)
		}
	})

	t.Run("SameDeliveryIDOtherSource", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		gh, gl := event("gh", "d", t0), event("gl", "d", t0.Add(time.Minute))
		for _, ev := range []*store.Event{gh, gl} {
			if res := ingest(t, s, ev); res.Duplicate || res.EventID != ev.ID {
				t.Fatalf("%s: %+v, want stored", ev.Source, res)
			}
		}
		check := func(when string) {
			t.Helper()
			for _, ev := range []*store.Event{gh, gl} {
				if id, ok := seen(t, s, ev.Source, "d", t0.Add(-time.Hour)); !ok || id != ev.ID {
					t.Errorf("%s: seen %s = %q, %v; want %s", when, ev.Source, id, ok, ev.ID)
				}
				again := event(ev.Source, "d", t0.Add(2*time.Hour))
				if res := ingest(t, s, again); !res.Duplicate || res.EventID != ev.ID {
					t.Errorf("%s: sent again to %s = %+v, want a duplicate of %s", when, ev.Source, res, ev.ID)
				}
			}
			if _, ok := seen(t, s, "other", "d", t0.Add(-time.Hour)); ok {
				t.Errorf("%s: seen on a source that never had it", when)
			}
		}
		check("stored")
		// Both pruned within the window: each source keeps its own.
		if n, err := s.Prune(ctx, t0.Add(time.Hour), t0.Add(-time.Hour)); err != nil || n != 2 {
			t.Fatalf("pruned %d, %v; want 2", n, err)
		}
		check("pruned")
		third := event("other", "d", t0.Add(3*time.Hour))
		if res := ingest(t, s, third); res.Duplicate {
			t.Fatalf("a third source = %+v, want stored", res)
		}
	})

	// A delivery id re-accepted past the window, whose new event is then
	// pruned within its window by the prune that forgets the old event's
	// record: the id stays a duplicate of the new event. The engine's
	// calls (dedupe since now-window, prune with dedupeBefore now-window
	// and a retention shorter than the window).
	t.Run("ReacceptedThenPrunedStaysDuplicate", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		const retention = time.Hour
		prune := func(now time.Time) {
			t.Helper()
			if _, err := s.Prune(ctx, now.Add(-retention), now.Add(-window)); err != nil {
				t.Fatal(err)
			}
		}
		a := event("gh", "d", t0)
		ingest(t, s, a)
		prune(t0.Add(2 * time.Hour)) // a pruned within its window
		if id, ok := seen(t, s, "gh", "d", t0.Add(3*time.Hour).Add(-window)); !ok || id != a.ID {
			t.Fatalf("after a was pruned: seen = %q, %v; want %s", id, ok, a.ID)
		}
		b := event("gh", "d", t0.Add(window+time.Hour))
		if res := ingest(t, s, b); res.Duplicate {
			t.Fatalf("sent after a's window = %+v, want a new event", res)
		}
		now := b.ReceivedAt.Add(2 * time.Hour)
		prune(now) // b pruned within its window; a's window is over
		if _, err := s.GetEvent(ctx, b.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("b not pruned: %v", err)
		}
		if id, ok := seen(t, s, "gh", "d", now.Add(-window)); !ok || id != b.ID {
			t.Errorf("after b was pruned within its window: seen = %q, %v; want %s", id, ok, b.ID)
		}
		c := event("gh", "d", now.Add(time.Minute))
		if res := ingest(t, s, c); !res.Duplicate || res.EventID != b.ID {
			t.Errorf("sent within b's window after b was pruned = %+v, want a duplicate of %s", res, b.ID)
		}
	})
}

// ingestSince is ingest deduping since `since`.
func ingestSince(t *testing.T, s store.Store, ev *store.Event, since time.Time, runs ...*store.Run) store.IngestResult {
	t.Helper()
	res, err := s.Ingest(context.Background(), ev, runs, since)
	if err != nil {
		t.Fatalf("ingest: %v", err)
	}
	return res
}

// seen is s.Seen, failing the test on an error.
func seen(t *testing.T, s store.Store, source, delivery string, since time.Time) (string, bool) {
	t.Helper()
	id, ok, err := s.Seen(context.Background(), source, delivery, since)
	if err != nil {
		t.Fatalf("seen %s/%s: %v", source, delivery, err)
	}
	return id, ok
}

// finishAll claims every due run at now and finishes it as succeeded.
func finishAll(t *testing.T, s store.Store, now time.Time) {
	t.Helper()
	for _, r := range claim(t, s, "w", 100, now, nil) {
		if err := s.Finish(context.Background(), "w", r.ID, store.Outcome{State: store.Succeeded, Attempt: store.Attempt{N: r.Attempt, StartedAt: now}}); err != nil {
			t.Fatal(err)
		}
	}
}
