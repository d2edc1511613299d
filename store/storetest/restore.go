package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/store"
)

// restoreFamily: Restore (import of an export), batched Prune, and the
// indexed narrowing a search starts with (issue 27).
func restoreFamily(t *testing.T, newStore Factory) {
	ctx := context.Background()
	t.Run("RestoreKeepsIDsAndDedupes", func(t *testing.T) {
		t.Parallel()
		src, dst := newStore(t), newStore(t)
		a, b := event("gh", "d-1", t0), event("gh", "", t0.Add(time.Second))
		ra, rb := run(a, "deploy", t0), run(b, "notify", t0)
		ingest(t, src, a, ra)
		ingest(t, src, b, rb)
		for _, r := range claim(t, src, "w", 10, t0.Add(time.Minute), nil) {
			st := store.Succeeded
			if r.ID == rb.ID {
				st = store.Dead
			}
			if err := src.Finish(ctx, "w", r.ID, store.Outcome{State: st, Attempt: store.Attempt{N: 1, Error: "boom", StartedAt: t0}}); err != nil {
				t.Fatal(err)
			}
		}
		items := readBack(t, src)
		if n, err := dst.Restore(ctx, items); err != nil || n != 2 {
			t.Fatalf("restore = %d, %v; want 2", n, err)
		}
		if n, err := dst.Restore(ctx, items); err != nil || n != 0 {
			t.Fatalf("restore again = %d, %v; want 0 (nothing added twice)", n, err)
		}
		got := readBack(t, dst)
		if len(got) != 2 {
			t.Fatalf("restored %d events, want 2", len(got))
		}
		// Restored events take their place in the event sequence, as new
		// ones do, so a listen stream from before the import sees them.
		if seq, err := dst.EventsAfter(ctx, 0, nil, 10); err != nil || len(seq) != 2 || seq[0].Seq <= 0 || seq[1].Seq <= seq[0].Seq {
			t.Fatalf("restored events in the sequence: %d, %v", len(seq), err)
		}
		for i, it := range got {
			want := items[i]
			if it.Event.ID != want.Event.ID || string(it.Event.Body) != string(want.Event.Body) || !it.Event.ReceivedAt.Equal(want.Event.ReceivedAt) ||
				it.Event.DeliveryID != want.Event.DeliveryID {
				t.Errorf("event %d = %+v, want %+v", i, it.Event, want.Event)
			}
			if len(it.Runs) != 1 || it.Runs[0].ID != want.Runs[0].ID || it.Runs[0].State != want.Runs[0].State {
				t.Errorf("runs of %s = %+v, want %+v", it.Event.ID, it.Runs, want.Runs)
			}
			if len(it.Attempts) != 1 || it.Attempts[0].Error != "boom" {
				t.Errorf("attempts of %s = %+v", it.Event.ID, it.Attempts)
			}
		}
		// The delivery id stays deduplicated in the new store: a delivery
		// sent again, or another event claiming it, is not stored.
		if res := ingest(t, dst, event("gh", "d-1", t0.Add(time.Hour))); !res.Duplicate || res.EventID != a.ID {
			t.Fatalf("ingest of a restored delivery = %+v, want a duplicate of %s", res, a.ID)
		}
		other := event("gh", "d-1", t0)
		if n, err := dst.Restore(ctx, []store.Restored{{Event: other}}); err != nil || n != 0 {
			t.Fatalf("restore of another event with a stored delivery id = %d, %v; want 0", n, err)
		}
		if _, err := dst.GetEvent(ctx, other.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("duplicate delivery stored: %v", err)
		}
		// A dead run restored can be replayed.
		if _, err := dst.Replay(ctx, rb.ID, store.Config{Hash: "abc"}, t0.Add(time.Hour)); err != nil {
			t.Fatalf("replay a restored dead run: %v", err)
		}
	})
	t.Run("RestoreSkipsDeliveryOfIngestedEvent", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		// Stored by ingest (on SQLite the event is its delivery's only
		// record), and one pruned within the window (only the record left).
		held, pruned := event("gh", "held", t0), event("gh", "gone", t0.Add(-time.Hour))
		ingest(t, s, held)
		ingest(t, s, pruned)
		if n, err := s.Prune(ctx, t0.Add(-time.Minute), t0.Add(-2*time.Hour)); err != nil || n != 1 {
			t.Fatalf("pruned %d, %v; want 1", n, err)
		}
		head, err := s.EventCursor(ctx, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		exported := func(source, delivery string, at time.Time) store.Restored {
			ev := event(source, delivery, at)
			r := run(ev, "deploy", at)
			r.State = store.Succeeded
			return store.Restored{Event: ev, Runs: []*store.Run{r}, Attempts: []*store.Attempt{{RunID: r.ID, N: 1, OK: true, StartedAt: at}}}
		}
		dupHeld := exported("gh", "held", t0.Add(time.Minute))     // another event with held's delivery id
		dupGone := exported("gh", "gone", t0.Add(-time.Minute))    // with the pruned one's
		otherSource := exported("gl", "held", t0.Add(time.Minute)) // the id on another source: not a duplicate
		fresh := exported("gh", "fresh", t0.Add(2*time.Minute))
		// fresh twice in one call: added once.
		items := []store.Restored{dupHeld, dupGone, otherSource, fresh, fresh, {Event: held}}
		if n, err := s.Restore(ctx, items); err != nil || n != 2 {
			t.Fatalf("restore = %d, %v; want 2 (the other source's and fresh, once)", n, err)
		}
		if n, err := s.Restore(ctx, items); err != nil || n != 0 {
			t.Fatalf("restore again = %d, %v; want 0", n, err)
		}
		for _, it := range []store.Restored{dupHeld, dupGone} {
			if _, err := s.GetEvent(ctx, it.Event.ID); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("event %s with a delivery id held by another event was restored: %v", it.Event.DeliveryID, err)
			}
			if _, _, err := s.GetRun(ctx, it.Runs[0].ID); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("run of the skipped event %s was restored: %v", it.Event.DeliveryID, err)
			}
		}
		for _, it := range []store.Restored{otherSource, fresh} {
			if _, err := s.GetEvent(ctx, it.Event.ID); err != nil {
				t.Errorf("event %s/%s not restored: %v", it.Event.Source, it.Event.DeliveryID, err)
			}
		}
		if evs, err := s.ListEvents(ctx, store.EventFilter{Source: "gh", DeliveryID: "held"}); err != nil || len(evs) != 1 || evs[0].ID != held.ID {
			t.Fatalf("events of gh/held = %v, %v; want only the ingested %s", evs, err, held.ID)
		}
		// The delivery ids name the events that held them.
		for _, want := range []*store.Event{held, pruned, otherSource.Event, fresh.Event} {
			if id, ok := seen(t, s, want.Source, want.DeliveryID, time.Time{}); !ok || id != want.ID {
				t.Errorf("seen %s/%s = %q, %v; want %s", want.Source, want.DeliveryID, id, ok, want.ID)
			}
		}
		if res := ingest(t, s, event("gh", "held", t0.Add(time.Hour))); !res.Duplicate || res.EventID != held.ID {
			t.Errorf("held sent again = %+v, want a duplicate of %s", res, held.ID)
		}
		// Only the two added took a place in the sequence, once each.
		evs, err := s.EventsAfter(ctx, head, nil, 10)
		if err != nil || len(evs) != 2 || evs[0].Seq != head+1 || evs[1].Seq != head+2 {
			t.Fatalf("sequence after the restores: %v, %v; want the two added at %d and %d", evs, err, head+1, head+2)
		}
	})
	t.Run("PruneInBatchesKeepsNewAndDead", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		old := t0.Add(-40 * 24 * time.Hour)
		n := store.PruneBatch*2 + 17
		items := make([]store.Restored, 0, n)
		for i := range n {
			ev := event("gh", fmt.Sprint("old-", i), old.Add(time.Duration(i)*time.Millisecond))
			r := run(ev, "deploy", ev.ReceivedAt)
			r.State = store.Succeeded
			items = append(items, store.Restored{Event: ev, Runs: []*store.Run{r}})
		}
		dead, recent := event("gh", "dead", old), event("gh", "new", t0)
		rd, rr := run(dead, "deploy", old), run(recent, "deploy", t0)
		rd.State, rr.State = store.Dead, store.Succeeded
		items = append(items, store.Restored{Event: dead, Runs: []*store.Run{rd}}, store.Restored{Event: recent, Runs: []*store.Run{rr}})
		if got, err := s.Restore(ctx, items); err != nil || got != len(items) {
			t.Fatalf("restore = %d, %v", got, err)
		}
		pruned, err := s.Prune(ctx, t0.Add(-30*24*time.Hour), t0.Add(-7*24*time.Hour))
		if err != nil || pruned != n {
			t.Fatalf("pruned %d, %v; want %d (more than one batch)", pruned, err, n)
		}
		left, err := s.ListEvents(ctx, store.EventFilter{Limit: 10})
		if err != nil || len(left) != 2 {
			t.Fatalf("left %d events, %v; want the dead one and the new one", len(left), err)
		}
		for _, r := range []*store.Run{rd, rr} {
			if _, _, err := s.GetRun(ctx, r.ID); err != nil {
				t.Errorf("run %s pruned: %v", r.ID, err)
			}
		}
		if _, _, err := s.GetRun(ctx, items[0].Runs[0].ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("run of a pruned event kept: %v", err)
		}
		if res := ingest(t, s, event("gh", "old-5", t0)); res.Duplicate {
			t.Error("an old delivery record outlived the dedupe window")
		}
	})
	t.Run("NarrowByIndexedFields", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		evs := []*store.Event{event("gh", "d-1", t0), event("gh", "d-2", t0.Add(time.Minute)), event("ci", "d-1", t0.Add(2*time.Minute))}
		evs[1].Event = "release"
		for _, ev := range evs {
			ingest(t, s, ev)
		}
		for _, tc := range []struct {
			name string
			f    store.EventFilter
			want []*store.Event
		}{
			{"delivery id across sources", store.EventFilter{DeliveryID: "d-1"}, []*store.Event{evs[2], evs[0]}},
			{"delivery id and source", store.EventFilter{DeliveryID: "d-1", Source: "gh"}, []*store.Event{evs[0]}},
			{"source, event and time", store.EventFilter{Source: "gh", Event: "push", Since: t0, Before: t0.Add(time.Minute)}, []*store.Event{evs[0]}},
			{"time range excludes", store.EventFilter{Source: "gh", Event: "release", Since: t0.Add(2 * time.Minute)}, nil},
			{"unknown delivery", store.EventFilter{DeliveryID: "nope"}, nil},
		} {
			got, err := s.ListEvents(ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Errorf("%s: %d events, want %d", tc.name, len(got), len(tc.want))
				continue
			}
			for i := range got {
				if got[i].ID != tc.want[i].ID {
					t.Errorf("%s: event %d = %s, want %s", tc.name, i, got[i].DeliveryID, tc.want[i].DeliveryID)
				}
			}
		}
	})
}

// readBack reads every event of s, oldest first, with its runs and attempts.
func readBack(t *testing.T, s store.Store) []store.Restored {
	t.Helper()
	ctx := context.Background()
	evs, err := s.ListEvents(ctx, store.EventFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var out []store.Restored
	for i := len(evs) - 1; i >= 0; i-- {
		it := store.Restored{Event: evs[i]}
		if it.Runs, err = s.ListRuns(ctx, store.RunFilter{EventID: evs[i].ID}); err != nil {
			t.Fatal(err)
		}
		for _, r := range it.Runs {
			_, atts, err := s.GetRun(ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			it.Attempts = append(it.Attempts, atts...)
		}
		out = append(out, it)
	}
	return out
}
