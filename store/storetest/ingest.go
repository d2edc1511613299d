package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/store"
)

// ingestFamily: ingest, read back and dedupe by delivery id, alone and concurrently.
func ingestFamily(t *testing.T, newStore Factory) {
	ctx := context.Background()

	t.Run("IngestAndRead", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		ev := event("gh", "d1", t0)
		r := run(ev, "deploy", t0)
		res := ingest(t, s, ev, r)
		if res.Duplicate || res.EventID != ev.ID {
			t.Fatalf("result = %+v", res)
		}
		got, err := s.GetEvent(ctx, ev.ID)
		if err != nil {
			t.Fatal(err)
		}
		if string(got.Body) != string(ev.Body) || got.Headers["x-github-event"] != "push" || !got.ReceivedAt.Equal(t0) || got.Matched[0] != "deploy" ||
			got.RemoteIP != "127.0.0.1" || got.RemoteAddr != "127.0.0.1:40122" {
			t.Fatalf("event round trip: %+v", got)
		}
		gr, atts, err := s.GetRun(ctx, r.ID)
		if err != nil || gr.State != store.Pending || len(atts) != 0 || gr.EventID != ev.ID {
			t.Fatalf("run = %+v, %v, %v", gr, atts, err)
		}
		if _, err := s.GetEvent(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing event: %v", err)
		}
		if _, _, err := s.GetRun(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing run: %v", err)
		}
	})
	t.Run("DedupeWithinWindow", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		first := event("gh", "same", t0)
		ingest(t, s, first, run(first, "deploy", t0))
		again := event("gh", "same", t0.Add(time.Hour))
		res := ingest(t, s, again, run(again, "deploy", t0))
		if !res.Duplicate || res.EventID != first.ID {
			t.Fatalf("second delivery: %+v", res)
		}
		if _, err := s.GetEvent(ctx, again.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatal("duplicate event was stored")
		}
		runs, _ := s.ListRuns(ctx, store.RunFilter{})
		if len(runs) != 1 {
			t.Fatalf("runs after duplicate = %d, want 1", len(runs))
		}
		// Same delivery id on another source is not a duplicate.
		other := event("gl", "same", t0)
		if res := ingest(t, s, other); res.Duplicate {
			t.Fatal("other source treated as duplicate")
		}
		// Past the window the id is accepted again.
		late := event("gh", "same", t0.Add(8*24*time.Hour))
		if res := ingest(t, s, late); res.Duplicate {
			t.Fatal("delivery outside the window treated as duplicate")
		}
		// No delivery id: never a duplicate.
		a, b := event("gh", "", t0), event("gh", "", t0)
		if ingest(t, s, a).Duplicate || ingest(t, s, b).Duplicate {
			t.Fatal("events without delivery id deduped")
		}
	})
	t.Run("SeenWithinWindow", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		window := t0.Add(-7 * 24 * time.Hour)
		seen := func(source, delivery string, since time.Time) (string, bool) {
			t.Helper()
			id, ok, err := s.Seen(ctx, source, delivery, since)
			if err != nil {
				t.Fatalf("seen %s/%s: %v", source, delivery, err)
			}
			return id, ok
		}
		if _, ok := seen("gh", "d1", window); ok {
			t.Fatal("an unknown delivery is seen")
		}
		first := event("gh", "d1", t0)
		ingest(t, s, first, run(first, "deploy", t0))
		if id, ok := seen("gh", "d1", window); !ok || id != first.ID {
			t.Fatalf("stored delivery: seen = %q, %v; want %q", id, ok, first.ID)
		}
		if _, ok := seen("gl", "d1", window); ok {
			t.Fatal("the delivery id of another source is seen")
		}
		if _, ok := seen("gh", "d1", t0.Add(time.Nanosecond)); ok {
			t.Fatal("a delivery older than the window is seen")
		}
		if _, ok := seen("gh", "", window); ok {
			t.Fatal("an empty delivery id is seen")
		}
		noID := event("gh", "", t0)
		ingest(t, s, noID)
		if _, ok := seen("gh", "", window); ok {
			t.Fatal("an event without delivery id made the empty id seen")
		}
		// A delivery re-accepted past the window is seen as the new event.
		late := event("gh", "d1", t0.Add(8*24*time.Hour))
		ingest(t, s, late)
		if id, ok := seen("gh", "d1", t0.Add(24*time.Hour)); !ok || id != late.ID {
			t.Fatalf("re-accepted delivery: seen = %q, %v; want %q", id, ok, late.ID)
		}
	})
	t.Run("ConcurrentIngestSameDelivery", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		var wg sync.WaitGroup
		var mu sync.Mutex
		stored := 0
		for i := 0; i < 20; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ev := event("gh", "race", t0)
				res, err := s.Ingest(ctx, ev, []*store.Run{run(ev, "deploy", t0)}, t0.Add(-time.Hour))
				if err != nil {
					t.Error(err)
					return
				}
				if !res.Duplicate {
					mu.Lock()
					stored++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if stored != 1 {
			t.Fatalf("stored %d copies of one delivery", stored)
		}
	})
	t.Run("GroupCommitManyWriters", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		var wg sync.WaitGroup
		const n = 200
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				ev := event("gh", fmt.Sprint("g", i), t0)
				if _, err := s.Ingest(ctx, ev, []*store.Run{run(ev, "a", t0)}, t0.Add(-time.Hour)); err != nil {
					t.Error(err)
				}
			}(i)
		}
		wg.Wait()
		counts, _ := s.CountStates(ctx)
		if counts[store.Pending] != n {
			t.Fatalf("pending = %d, want %d", counts[store.Pending], n)
		}
	})
}
