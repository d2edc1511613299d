package storetest

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/store"
)

// queueFamily: claim, lease, progress and finish: one owner at a time, leases expire and extend, per-rule concurrency, release and recovery, interrupted attempts.
func queueFamily(t *testing.T, newStore Factory) {
	ctx := context.Background()

	t.Run("ClaimLeaseFinish", func(t *testing.T) {
		t.Parallel()
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
		t.Parallel()
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
		t.Parallel()
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
		t.Parallel()
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
		t.Parallel()
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
		// A run written at or after `before` is a live process's own.
		if n, err := s.RecoverAll(ctx, t0.Add(time.Second), t0); err != nil || n != 0 {
			t.Fatalf("recover of runs written before t0 = %d, %v; want 0", n, err)
		}
		n, err := s.RecoverAll(ctx, t0.Add(time.Second), t0.Add(time.Second))
		if err != nil || n != 1 {
			t.Fatalf("recover = %d, %v", n, err)
		}
		got := claim(t, s, "w2", 2, t0.Add(time.Second), nil)
		if len(got) != 2 {
			t.Fatalf("after recovery claimed %d, want 2", len(got))
		}
	})
	t.Run("InterruptedAttemptIsNotSpent", func(t *testing.T) {
		t.Parallel()
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
	t.Run("AddRunsManyAtOnce", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		ev := event("gh", "", t0)
		ingest(t, s, ev)
		// More runs than one multi-row INSERT holds, so the last
		// statement is a partial one; each comes back intact, in due order.
		runs := make([]*store.Run, 1203)
		for i := range runs {
			runs[i] = run(ev, "r"+strconv.Itoa(i%7), t0.Add(time.Duration(i)*time.Millisecond))
		}
		code := 2
		runs[1202].ExitCode, runs[1202].Output = &code, "kept"
		if err := s.AddRuns(ctx, runs); err != nil {
			t.Fatal(err)
		}
		got := claim(t, s, "w", 2000, t0.Add(time.Hour), nil)
		if len(got) != len(runs) {
			t.Fatalf("claimed %d of %d runs", len(got), len(runs))
		}
		for i, r := range got {
			if r.ID != runs[i].ID || r.Rule != runs[i].Rule || r.Attempt != 1 {
				t.Fatalf("run %d = %+v, want %+v", i, r, runs[i])
			}
		}
		last, _, err := s.GetRun(ctx, runs[1202].ID)
		if err != nil || last.ExitCode == nil || *last.ExitCode != 2 || last.Output != "kept" {
			t.Fatalf("last run = %+v, %v", last, err)
		}
		// A batch with a duplicate id is refused whole.
		dup := []*store.Run{run(ev, "x", t0), run(ev, "x", t0), runs[0]}
		if err := s.AddRuns(ctx, dup); err == nil {
			t.Fatal("AddRuns with an existing id succeeded")
		}
		if _, _, err := s.GetRun(ctx, dup[0].ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a run of a refused batch was stored: %v", err)
		}
	})

	t.Run("ClaimLoadsEvents", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		ev1, ev2 := event("gh", "", t0), event("gh", "", t0)
		ev2.Body = []byte(`{"ref":"refs/heads/other"}`)
		a, b, c := run(ev1, "a", t0), run(ev1, "b", t0.Add(time.Millisecond)), run(ev2, "a", t0.Add(2*time.Millisecond))
		ingest(t, s, ev1, a, b)
		ingest(t, s, ev2, c)
		got := claim(t, s, "w1", 10, t0.Add(time.Second), nil)
		if len(got) != 3 {
			t.Fatalf("claimed %d runs", len(got))
		}
		for _, r := range got {
			want := ev1
			if r.EventID == ev2.ID {
				want = ev2
			}
			if r.Event == nil || r.Event.ID != want.ID || string(r.Event.Body) != string(want.Body) ||
				r.Event.Headers["x-github-event"] != "push" || r.Event.ConfigHash != want.ConfigHash {
				t.Fatalf("run %s came with event %+v, want %+v", r.ID, r.Event, want)
			}
		}
	})
}
