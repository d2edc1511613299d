package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/store"
)

// pollFamily: poll leases, cursors and dedupe of polled items.
func pollFamily(t *testing.T, newStore Factory) {
	ctx := context.Background()

	t.Run("PollLeaseCursorAndDedupe", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		ok, err := s.AcquirePoll(ctx, "orders", "a", t0, t0.Add(time.Minute))
		if err != nil || !ok {
			t.Fatalf("first acquire: %v %v", ok, err)
		}
		if ok, _ := s.AcquirePoll(ctx, "orders", "b", t0.Add(time.Second), t0.Add(time.Minute)); ok {
			t.Fatal("second owner got a held lease")
		}
		item := func(id string) store.PollItem {
			ev := event("orders", id, t0)
			return store.PollItem{Event: ev, Runs: []*store.Run{run(ev, "r", t0)}}
		}
		cur := "c1"
		got, err := s.IngestPoll(ctx, store.PollBatch{Source: "orders", Owner: "a", Items: []store.PollItem{item("1"), item("2")},
			Cursor: &cur, Initialize: true, Now: t0, DedupeSince: t0.Add(-time.Hour)})
		if err != nil || len(got) != 2 {
			t.Fatalf("first poll stored %d: %v", len(got), err)
		}
		st, err := s.GetPoll(ctx, "orders")
		if err != nil || st.Cursor != "c1" || !st.Initialized || st.LeaseOwner != "a" {
			t.Fatalf("state = %+v, %v", st, err)
		}
		// Item 2 again plus 3: only 3 is new.
		got, _ = s.IngestPoll(ctx, store.PollBatch{Source: "orders", Owner: "a", Items: []store.PollItem{item("2"), item("3")}, Now: t0, DedupeSince: t0.Add(-time.Hour)})
		if len(got) != 1 || got[0].DeliveryID != "3" {
			t.Fatalf("second poll stored %v", got)
		}
		// Seen-only ids are remembered without events.
		if _, err := s.IngestPoll(ctx, store.PollBatch{Source: "orders", Owner: "a", SeenOnly: []string{"4"}, Now: t0, DedupeSince: t0.Add(-time.Hour)}); err != nil {
			t.Fatal(err)
		}
		got, _ = s.IngestPoll(ctx, store.PollBatch{Source: "orders", Owner: "a", Items: []store.PollItem{item("4")}, Now: t0, DedupeSince: t0.Add(-time.Hour)})
		if len(got) != 0 {
			t.Fatal("a seen-only id was emitted")
		}
		// A non-owner stores nothing; after the lease ends another takes over.
		if _, err := s.IngestPoll(ctx, store.PollBatch{Source: "orders", Owner: "b", Items: []store.PollItem{item("9")}, Now: t0}); !errors.Is(err, store.ErrLeaseLost) {
			t.Fatalf("non-owner ingest: %v", err)
		}
		if ok, _ := s.AcquirePoll(ctx, "orders", "b", t0.Add(2*time.Minute), t0.Add(3*time.Minute)); !ok {
			t.Fatal("expired lease not taken over")
		}
		if err := s.PollFailed(ctx, "orders", "HTTP 500", t0); err != nil {
			t.Fatal(err)
		}
		if st, _ := s.GetPoll(ctx, "orders"); st.LastError != "HTTP 500" || st.Cursor != "c1" {
			t.Fatalf("after failure: %+v", st)
		}
	})
}
