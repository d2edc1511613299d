package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/store"
)

// sequenceFamily: the event sequence listen pages by (EventsAfter,
// EventCursor).
func sequenceFamily(t *testing.T, newStore Factory) {
	ctx := context.Background()

	t.Run("EventsAfterPagesInOrderBySource", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		head, err := s.EventCursor(ctx, time.Time{})
		if err != nil || head != 0 {
			t.Fatalf("head of an empty store = %d, %v", head, err)
		}
		var want []string
		for i := 0; i < 7; i++ {
			src := []string{"gh", "stripe", "other"}[i%3]
			ev := event(src, fmt.Sprint(i), t0.Add(time.Duration(i)*time.Minute))
			ingest(t, s, ev)
			if ev.Seq == 0 {
				t.Fatalf("event %d: Seq not set by Ingest", i)
			}
			if src != "other" {
				want = append(want, ev.ID)
			}
		}
		// A duplicate delivery takes no number.
		ingest(t, s, event("gh", "0", t0.Add(time.Hour)))
		var got []string
		cursor, last := int64(0), int64(0)
		for page := 0; ; page++ {
			evs, err := s.EventsAfter(ctx, cursor, []string{"gh", "stripe"}, 2)
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) == 0 {
				break
			}
			if len(evs) > 2 {
				t.Fatalf("page of %d events, limit 2", len(evs))
			}
			for _, ev := range evs {
				if ev.Seq <= last {
					t.Fatalf("seq %d after %d: not increasing", ev.Seq, last)
				}
				if ev.Source == "other" {
					t.Fatalf("event of source %q returned", ev.Source)
				}
				if string(ev.Body) != `{"ref":"refs/heads/main"}` || ev.Headers["x-github-event"] != "push" {
					t.Fatalf("event not read whole: %q %v", ev.Body, ev.Headers)
				}
				last = ev.Seq
				got = append(got, ev.ID)
			}
			cursor = last
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("paged %v, want %v", got, want)
		}
		all, err := s.EventsAfter(ctx, 0, nil, 100)
		if err != nil || len(all) != 7 {
			t.Fatalf("every source: %d events, %v", len(all), err)
		}
		if head, _ = s.EventCursor(ctx, time.Time{}); head != all[6].Seq {
			t.Fatalf("head = %d, want the last seq %d", head, all[6].Seq)
		}
		// Since: the cursor just before the first event received then.
		c, err := s.EventCursor(ctx, t0.Add(4*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		evs, _ := s.EventsAfter(ctx, c, nil, 100)
		if len(evs) != 3 || evs[0].ID != all[4].ID {
			t.Fatalf("since 4m: %d events from %v, want 3 from %s", len(evs), evs, all[4].ID)
		}
		if c, _ = s.EventCursor(ctx, t0.Add(time.Hour)); c != head {
			t.Fatalf("since after the last event = %d, want the head %d", c, head)
		}
	})

	t.Run("SeqNotReusedAfterPrune", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		a := event("gh", "a", t0)
		ingest(t, s, a)
		if _, err := s.Prune(ctx, t0.Add(time.Hour), t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		b := event("gh", "b", t0.Add(2*time.Hour))
		ingest(t, s, b)
		if b.Seq <= a.Seq {
			t.Fatalf("seq %d given again after the newest event was pruned (was %d)", b.Seq, a.Seq)
		}
		evs, _ := s.EventsAfter(ctx, a.Seq, []string{"gh"}, 10)
		if len(evs) != 1 || evs[0].ID != b.ID {
			t.Fatalf("after the pruned event's cursor: %v", evs)
		}
	})

	t.Run("GroupCommitGapFreeAndDuplicatesTakeNone", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		early := event("gh", "early", t0)
		ingest(t, s, early)
		head, err := s.EventCursor(ctx, time.Time{})
		if err != nil || head != early.Seq {
			t.Fatalf("head = %d, %v; want %d", head, err, early.Seq)
		}
		// Writers released together so that their ingests share commits:
		// new deliveries, one delivery all of them send, a duplicate of
		// the stored one, and restores in the same batches.
		const writers, each = 6, 10
		var (
			mu     sync.Mutex
			stored = map[string]int64{} // event id -> Seq Ingest set (0: restored)
			wg     sync.WaitGroup
			start  = make(chan struct{})
		)
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				<-start
				last := int64(0)
				for i := 0; i < each; i++ {
					evs := []*store.Event{event("gh", fmt.Sprintf("%d-%d", w, i), t0), event("gh", "shared", t0), event("gh", "early", t0)}
					if i%3 == 0 {
						r := event("ci", fmt.Sprintf("restored-%d-%d", w, i), t0)
						if n, err := s.Restore(ctx, []store.Restored{{Event: r}}); err != nil || n != 1 {
							t.Errorf("restore = %d, %v", n, err)
							return
						}
						mu.Lock()
						stored[r.ID] = 0
						mu.Unlock()
					}
					for _, ev := range evs {
						res, err := s.Ingest(ctx, ev, nil, t0.Add(-time.Hour))
						if err != nil {
							t.Errorf("ingest: %v", err)
							return
						}
						if res.Duplicate {
							if ev.Seq != 0 {
								t.Errorf("duplicate of %s numbered %d", res.EventID, ev.Seq)
							}
							continue
						}
						// This writer's ingests commit one after another.
						if ev.Seq <= last {
							t.Errorf("writer %d: seq %d after its own %d", w, ev.Seq, last)
						}
						last = ev.Seq
						mu.Lock()
						stored[ev.ID] = ev.Seq
						mu.Unlock()
					}
				}
			}(w)
		}
		close(start)
		wg.Wait()
		if t.Failed() {
			return
		}
		restores := writers * ((each + 2) / 3)
		if want := writers*each + 1 + restores; len(stored) != want {
			t.Fatalf("stored %d events, want %d (the shared delivery once, early not again)", len(stored), want)
		}
		evs, err := s.EventsAfter(ctx, head, nil, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != len(stored) {
			t.Fatalf("after the head: %d events, want the %d new ones", len(evs), len(stored))
		}
		for i, ev := range evs {
			if want := head + int64(i) + 1; ev.Seq != want {
				t.Fatalf("event %d after the head has seq %d, want %d: a gap or a number taken twice", i, ev.Seq, want)
			}
			if got, ok := stored[ev.ID]; !ok || (got != 0 && got != ev.Seq) {
				t.Fatalf("event %s stored at seq %d; its writer was given %d (%v)", ev.ID, ev.Seq, got, ok)
			}
		}
		if now, _ := s.EventCursor(ctx, time.Time{}); now != head+int64(len(stored)) {
			t.Fatalf("head = %d, want %d", now, head+int64(len(stored)))
		}
	})

	t.Run("ConcurrentIngestNeverSkipsBehindCursor", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		// A reader advancing its cursor while writers commit concurrently
		// (group commit, several PostgreSQL writers) must see every event.
		const writers, each = 4, 25
		var wg sync.WaitGroup
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := 0; i < each; i++ {
					ev := event("gh", fmt.Sprintf("%d-%d", w, i), t0)
					if _, err := s.Ingest(ctx, ev, nil, t0.Add(-time.Hour)); err != nil {
						t.Errorf("ingest: %v", err)
						return
					}
				}
			}(w)
		}
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		seen := map[string]bool{}
		cursor := int64(0)
		read := func() {
			evs, err := s.EventsAfter(ctx, cursor, []string{"gh"}, 7)
			if err != nil {
				t.Fatal(err)
			}
			for _, ev := range evs {
				if seen[ev.ID] {
					t.Fatalf("event %s returned twice", ev.ID)
				}
				seen[ev.ID] = true
				cursor = ev.Seq
			}
		}
		for {
			select {
			case <-done:
				for before := -1; before != len(seen); {
					before = len(seen)
					read()
				}
				if len(seen) != writers*each {
					t.Fatalf("reader saw %d of %d events", len(seen), writers*each)
				}
				return
			default:
				read()
			}
		}
	})
}
