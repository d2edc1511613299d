// Package storetest is the conformance suite every store.Store passes:
// storetest.Run(t, newStore) from each backend's tests.
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

// Factory returns a fresh, empty store for one subtest.
type Factory func(t *testing.T) store.Store

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func event(source, delivery string, at time.Time) *store.Event {
	return &store.Event{
		ID: store.NewID(), Source: source, Provider: "github", Event: "push", DeliveryID: delivery,
		Headers: map[string]string{"x-github-event": "push"}, Body: []byte(`{"ref":"refs/heads/main"}`),
		RemoteIP: "127.0.0.1", ReceivedAt: at, Verification: "ok", Matched: []string{"deploy"}, ConfigHash: "abc",
	}
}

func run(ev *store.Event, rule string, at time.Time) *store.Run {
	return &store.Run{ID: store.NewID(), EventID: ev.ID, Rule: rule, ConfigHash: "abc", State: store.Pending,
		NextAttemptAt: at, CreatedAt: at, UpdatedAt: at}
}

func ingest(t *testing.T, s store.Store, ev *store.Event, runs ...*store.Run) store.IngestResult {
	t.Helper()
	res, err := s.Ingest(context.Background(), ev, runs, ev.ReceivedAt.Add(-7*24*time.Hour))
	if err != nil {
		t.Fatalf("ingest: %v", err)
	}
	return res
}

func claim(t *testing.T, s store.Store, owner string, limit int, now time.Time, conc map[string]int) []*store.Run {
	t.Helper()
	runs, err := s.Claim(context.Background(), store.ClaimOptions{Owner: owner, Limit: limit, Lease: 30 * time.Second, Now: now, Concurrency: conc})
	if err != nil {
		t.Fatalf("claim: %v", err)
	}
	return runs
}

// Run runs the whole suite.
func Run(t *testing.T, newStore Factory) {
	revisions(t, newStore)
	ctx := context.Background()

	t.Run("IngestAndRead", func(t *testing.T) {
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
		if string(got.Body) != string(ev.Body) || got.Headers["x-github-event"] != "push" || !got.ReceivedAt.Equal(t0) || got.Matched[0] != "deploy" {
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

	t.Run("ClaimLeaseFinish", func(t *testing.T) {
		s := newStore(t)
		ev := event("gh", "", t0)
		r1, r2 := run(ev, "a", t0), run(ev, "b", t0.Add(time.Minute))
		ingest(t, s, ev, r1, r2)
		got := claim(t, s, "w1", 10, t0.Add(time.Second), nil)
		if len(got) != 1 || got[0].ID != r1.ID || got[0].Attempt != 1 || got[0].State != store.Running {
			t.Fatalf("claim before r2 is due = %+v", got)
		}
		if again := claim(t, s, "w2", 10, t0.Add(2*time.Second), nil); len(again) != 0 {
			t.Fatalf("a leased run was claimed twice: %+v", again)
		}
		if err := s.Progress(ctx, "w1", r1.ID, 1); err != nil {
			t.Fatal(err)
		}
		if err := s.Progress(ctx, "w2", r1.ID, 1); !errors.Is(err, store.ErrLeaseLost) {
			t.Fatalf("progress by non-owner: %v", err)
		}
		code := 3
		err := s.Finish(ctx, "w1", r1.ID, store.Outcome{State: store.Retrying, NextAttemptAt: t0.Add(time.Hour), Step: 1,
			Attempt: store.Attempt{N: 1, Step: 1, StartedAt: t0, Duration: time.Second, Error: "exit status 3", ExitCode: &code, Output: "boom"}})
		if err != nil {
			t.Fatal(err)
		}
		gr, atts, _ := s.GetRun(ctx, r1.ID)
		if gr.State != store.Retrying || gr.Step != 1 || gr.LastError != "exit status 3" || *gr.ExitCode != 3 || len(atts) != 1 || atts[0].Output != "boom" {
			t.Fatalf("after finish: %+v %+v", gr, atts)
		}
		if err := s.Finish(ctx, "w1", r1.ID, store.Outcome{State: store.Succeeded, Attempt: store.Attempt{N: 1}}); !errors.Is(err, store.ErrLeaseLost) {
			t.Fatalf("finishing a run not held: %v", err)
		}
		// Due again after its backoff, with attempt 2.
		got = claim(t, s, "w1", 1, t0.Add(2*time.Hour), nil)
		if len(got) != 1 || got[0].Attempt != 2 {
			// r2 may come first (due earlier); take both.
			got = append(got, claim(t, s, "w1", 1, t0.Add(2*time.Hour), nil)...)
		}
		var again *store.Run
		for _, r := range got {
			if r.ID == r1.ID {
				again = r
			}
		}
		if again == nil || again.Attempt != 2 || again.Step != 1 {
			t.Fatalf("retry claim = %+v", got)
		}
		if err := s.Finish(ctx, "w1", r1.ID, store.Outcome{State: store.Succeeded, Step: 2, Attempt: store.Attempt{N: 2, OK: true}}); err != nil {
			t.Fatal(err)
		}
		gr, atts, _ = s.GetRun(ctx, r1.ID)
		if gr.State != store.Succeeded || gr.FinishedAt == nil || len(atts) != 2 {
			t.Fatalf("succeeded run: %+v, %d attempts", gr, len(atts))
		}
	})

	t.Run("ExpiredLeaseIsTakenOver", func(t *testing.T) {
		s := newStore(t)
		ev := event("gh", "", t0)
		r := run(ev, "a", t0)
		ingest(t, s, ev, r)
		claim(t, s, "dead-replica", 1, t0, nil)
		if got := claim(t, s, "w2", 1, t0.Add(10*time.Second), nil); len(got) != 0 {
			t.Fatal("taken over before the lease ended")
		}
		got := claim(t, s, "w2", 1, t0.Add(31*time.Second), nil)
		if len(got) != 1 || got[0].Attempt != 2 {
			t.Fatalf("takeover = %+v", got)
		}
		if err := s.Finish(ctx, "dead-replica", r.ID, store.Outcome{State: store.Succeeded, Attempt: store.Attempt{N: 1}}); !errors.Is(err, store.ErrLeaseLost) {
			t.Fatalf("old owner finished a run it lost: %v", err)
		}
	})

	t.Run("ExtendKeepsLease", func(t *testing.T) {
		s := newStore(t)
		ev := event("gh", "", t0)
		r := run(ev, "a", t0)
		ingest(t, s, ev, r)
		claim(t, s, "w1", 1, t0, nil)
		if err := s.Extend(ctx, "w1", []string{r.ID}, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if got := claim(t, s, "w2", 1, t0.Add(time.Minute), nil); len(got) != 0 {
			t.Fatal("extended lease was taken over")
		}
	})

	t.Run("ConcurrencyLimit", func(t *testing.T) {
		s := newStore(t)
		for i := 0; i < 5; i++ {
			ev := event("gh", "", t0)
			ingest(t, s, ev, run(ev, "deploy", t0.Add(time.Duration(i)*time.Millisecond)), run(ev, "notify", t0.Add(time.Duration(i)*time.Millisecond)))
		}
		conc := map[string]int{"deploy": 1}
		got := claim(t, s, "w1", 10, t0.Add(time.Second), conc)
		deploys := 0
		for _, r := range got {
			if r.Rule == "deploy" {
				deploys++
			}
		}
		if deploys != 1 || len(got) != 6 {
			t.Fatalf("claimed %d runs, %d deploys; want 6 and 1", len(got), deploys)
		}
		if more := claim(t, s, "w2", 10, t0.Add(2*time.Second), conc); len(more) != 0 {
			t.Fatalf("claimed past the limit: %d", len(more))
		}
	})

	t.Run("ReleaseAndRecover", func(t *testing.T) {
		s := newStore(t)
		ev := event("gh", "", t0)
		r1, r2 := run(ev, "a", t0), run(ev, "b", t0)
		ingest(t, s, ev, r1, r2)
		claim(t, s, "w1", 2, t0, nil)
		if err := s.Release(ctx, "w1", []string{r1.ID}); err != nil {
			t.Fatal(err)
		}
		gr, _, _ := s.GetRun(ctx, r1.ID)
		if gr.State != store.Pending || gr.Attempt != 0 {
			t.Fatalf("released run = %+v", gr)
		}
		n, err := s.RecoverAll(ctx, t0.Add(time.Second))
		if err != nil || n != 1 {
			t.Fatalf("recover = %d, %v", n, err)
		}
		got := claim(t, s, "w2", 2, t0.Add(time.Second), nil)
		if len(got) != 2 {
			t.Fatalf("after recovery claimed %d, want 2", len(got))
		}
	})

	t.Run("ReplayDead", func(t *testing.T) {
		s := newStore(t)
		ev := event("gh", "", t0)
		r := run(ev, "a", t0)
		ingest(t, s, ev, r)
		if _, err := s.Replay(ctx, r.ID, "abc", t0); !errors.Is(err, store.ErrNotReplayable) {
			t.Fatalf("replaying a pending run: %v", err)
		}
		claim(t, s, "w1", 1, t0, nil)
		if err := s.Finish(ctx, "w1", r.ID, store.Outcome{State: store.Dead, Attempt: store.Attempt{N: 1, Error: "boom"}}); err != nil {
			t.Fatal(err)
		}
		dead, _ := s.ListRuns(ctx, store.RunFilter{State: store.Dead})
		if len(dead) != 1 {
			t.Fatalf("dead list = %d", len(dead))
		}
		nr, err := s.Replay(ctx, r.ID, "def", t0.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if nr.ReplayOf != r.ID || nr.State != store.Pending || nr.EventID != ev.ID || nr.ConfigHash != "def" {
			t.Fatalf("replay run = %+v", nr)
		}
		old, _, _ := s.GetRun(ctx, r.ID)
		if old.State != store.Replayed {
			t.Fatalf("original state = %s", old.State)
		}
		if _, err := s.Replay(ctx, r.ID, "abc", t0); !errors.Is(err, store.ErrNotReplayable) {
			t.Fatalf("replaying twice: %v", err)
		}
		if got := claim(t, s, "w1", 5, t0.Add(2*time.Minute), nil); len(got) != 1 || got[0].ID != nr.ID {
			t.Fatalf("claim of replay = %+v", got)
		}
	})

	t.Run("ReplayRule", func(t *testing.T) {
		s := newStore(t)
		for i := 0; i < 3; i++ {
			ev := event("gh", "", t0)
			r := run(ev, "flaky", t0)
			ingest(t, s, ev, r, run(ev, "fine", t0))
		}
		for _, r := range claim(t, s, "w", 10, t0, nil) {
			st := store.Succeeded
			if r.Rule == "flaky" {
				st = store.Dead
			}
			if err := s.Finish(ctx, "w", r.ID, store.Outcome{State: st, Attempt: store.Attempt{N: 1}}); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.ReplayRule(ctx, "flaky", "", "abc", t0)
		if err != nil || len(got) != 3 {
			t.Fatalf("replay rule = %d, %v", len(got), err)
		}
		if dead, _ := s.ListRuns(ctx, store.RunFilter{Rule: "flaky", State: store.Dead}); len(dead) != 0 {
			t.Fatalf("%d dead runs left", len(dead))
		}
	})

	t.Run("ListFiltersAndCounts", func(t *testing.T) {
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

	t.Run("PollLeaseCursorAndDedupe", func(t *testing.T) {
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

	t.Run("InterruptedAttemptIsNotSpent", func(t *testing.T) {
		s := newStore(t)
		ev := event("gh", "", t0)
		r := run(ev, "deploy", t0)
		ingest(t, s, ev, r)
		claim(t, s, "w1", 1, t0, nil)
		o := store.Outcome{State: store.Pending, Step: 1, NextAttemptAt: t0,
			Attempt: store.Attempt{N: 1, Step: 1, Error: "interrupted by shutdown", Interrupted: true}}
		if err := s.Finish(ctx, "w1", r.ID, o); err != nil {
			t.Fatal(err)
		}
		gr, atts, err := s.GetRun(ctx, r.ID)
		if err != nil || gr.State != store.Pending || gr.Attempt != 1 || gr.Interrupted != 1 || gr.Spent() != 0 || gr.Step != 1 || gr.FinishedAt != nil {
			t.Fatalf("interrupted run = %+v, %v", gr, err)
		}
		if len(atts) != 1 || !atts[0].Interrupted || atts[0].Error != "interrupted by shutdown" {
			t.Fatalf("attempts = %+v", atts)
		}
		got := claim(t, s, "w2", 1, t0.Add(time.Second), nil)
		if len(got) != 1 || got[0].Attempt != 2 || got[0].Interrupted != 1 || got[0].Spent() != 1 {
			t.Fatalf("reclaimed = %+v", got)
		}
		if err := s.Finish(ctx, "w2", r.ID, store.Outcome{State: store.Succeeded, Step: 1, Attempt: store.Attempt{N: 2, Step: 1, OK: true}}); err != nil {
			t.Fatal(err)
		}
		gr, atts, _ = s.GetRun(ctx, r.ID)
		if gr.State != store.Succeeded || gr.Interrupted != 1 || len(atts) != 2 || atts[1].Interrupted || !atts[0].Interrupted {
			t.Fatalf("after success: %+v %+v", gr, atts)
		}
	})

	t.Run("ProcessRecords", func(t *testing.T) {
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

	t.Run("GroupCommitManyWriters", func(t *testing.T) {
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
