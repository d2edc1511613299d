package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/store"
)

// limitsFamily: each run is held to the concurrency limit it recorded when
// it was created (the rule of its own revision), counted per rule name
// against the running runs, whatever the limits in force say; a run
// claimed at birth (a sync run) is held to it in the ingest transaction.
func limitsFamily(t *testing.T, newStore Factory) {
	ctx := context.Background()
	limited := func(ev *store.Event, rule string, at time.Time, limit int) *store.Run {
		r := run(ev, rule, at)
		r.Concurrency = limit
		return r
	}
	// queue stores one event per limit, each with one run of rule.
	queue := func(t *testing.T, s store.Store, rule string, limits ...int) {
		for i, l := range limits {
			ev := event("gh", "", t0)
			ingest(t, s, ev, limited(ev, rule, t0.Add(time.Duration(i)*time.Millisecond), l))
		}
	}
	for _, tc := range []struct {
		name    string
		limits  []int          // of the queued runs of "deploy", oldest first
		inForce map[string]int // the config in force
		want    []int          // runs each claim takes, in turn
	}{
		// The rule was renamed (or dropped) by a reload: its queued runs
		// keep the limit of their revision.
		{"RecordedLimitWithoutRuleInForce", []int{1, 1, 1, 1}, map[string]int{"deploy-v2": 1}, []int{1, 0}},
		{"RecordedLimitBeatsLooserInForce", []int{1, 1, 1}, map[string]int{"deploy": 5}, []int{1, 0}},
		{"RecordedUnlimitedBeatsLimitInForce", []int{store.Unlimited, store.Unlimited, store.Unlimited}, map[string]int{"deploy": 1}, []int{3}},
		// Runs stored before limits were recorded: the limit in force.
		{"NotRecordedTakesLimitInForce", []int{0, 0, 0}, map[string]int{"deploy": 2}, []int{2, 0}},
		// Two revisions queued: each run against its own limit, all the
		// runs of the name counted (1 taken, 3 allows a 2nd, 1 does not,
		// 3 allows a 3rd).
		{"EachRunItsOwnLimit", []int{1, 3, 1, 3}, nil, []int{3, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t)
			queue(t, s, "deploy", tc.limits...)
			for i, want := range tc.want {
				got := claim(t, s, "w", 10, t0.Add(time.Duration(i+1)*time.Second), tc.inForce)
				if len(got) != want {
					t.Fatalf("claim %d took %d runs, want %d", i+1, len(got), want)
				}
			}
		})
	}
	t.Run("BlockedRecordedLimitDoesNotStarveOthers", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		deep := make([]int, 60)
		for i := range deep {
			deep[i] = 1
		}
		queue(t, s, "deploy", deep...)
		ev := event("gh", "", t0.Add(time.Second))
		ingest(t, s, ev, run(ev, "notify", t0.Add(time.Second)))
		if got := claim(t, s, "w", 1, t0.Add(2*time.Second), nil); len(got) != 1 || got[0].Rule != "deploy" {
			t.Fatalf("first claim = %+v", got)
		}
		// 59 blocked deploy runs are due before notify: the claim must
		// not read only those.
		got := claim(t, s, "w", 2, t0.Add(3*time.Second), nil)
		if len(got) != 1 || got[0].Rule != "notify" {
			t.Fatalf("second claim = %d runs %+v; want the notify run", len(got), got)
		}
	})
	// A rule's concurrency raised from 1 to 5: a run of the new revision
	// runs, recording 5, and 60 queued runs recorded 1. They are all held
	// back by the one running, though no running run recorded a limit as
	// strict as theirs: the claim must not read only them.
	t.Run("LooserRunningRunDoesNotStarveOthers", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		queue(t, s, "deploy", 5)
		if got := claim(t, s, "w", 1, t0.Add(time.Second), map[string]int{"deploy": 5}); len(got) != 1 {
			t.Fatalf("first claim = %+v", got)
		}
		for i := 0; i < 60; i++ {
			ev := event("gh", "", t0)
			ingest(t, s, ev, limited(ev, "deploy", t0.Add(time.Duration(i+1)*time.Millisecond), 1))
		}
		ev := event("gh", "", t0.Add(2*time.Second))
		ingest(t, s, ev, run(ev, "notify", t0.Add(2*time.Second)))
		got := claim(t, s, "w", 2, t0.Add(3*time.Second), map[string]int{"deploy": 5})
		if len(got) != 1 || got[0].Rule != "notify" {
			t.Fatalf("claim = %d runs %+v; want the notify run", len(got), got)
		}
	})
	// born is a sync run: stored running, claimed at birth by owner.
	born := func(ev *store.Event, rule string, at time.Time, limit int) *store.Run {
		r := limited(ev, rule, at, limit)
		r.State, r.ClaimedBy, r.Attempt, r.NextAttemptAt = store.Running, "sync", 1, at.Add(time.Hour)
		return r
	}
	t.Run("ClaimAtBirthHeldToLimit", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		ev1, ev2 := event("gh", "", t0), event("gh", "", t0)
		first, second := born(ev1, "deploy", t0, 1), born(ev2, "deploy", t0.Add(time.Millisecond), 1)
		if res := ingest(t, s, ev1, first); len(res.Queued) != 0 {
			t.Fatalf("first sync run queued: %v", res.Queued)
		}
		res := ingest(t, s, ev2, second)
		if !slices.Equal(res.Queued, []string{second.ID}) {
			t.Fatalf("second sync run: queued %v, want [%s]", res.Queued, second.ID)
		}
		if second.State != store.Running {
			t.Fatal("Ingest changed the caller's run")
		}
		gr, _, err := s.GetRun(ctx, second.ID)
		if err != nil || gr.State != store.Pending || gr.ClaimedBy != "" || gr.Attempt != 0 || !gr.NextAttemptAt.Equal(second.CreatedAt) || gr.Concurrency != 1 {
			t.Fatalf("queued sync run = %+v, %v; want pending, unclaimed, due at once, limit 1", gr, err)
		}
		// The running sync run holds the slot against a claim too, even
		// with no limit in force.
		if got := claim(t, s, "w", 10, t0.Add(time.Second), nil); len(got) != 0 {
			t.Fatalf("claimed %d runs beside the running sync run", len(got))
		}
		if err := s.Finish(ctx, "sync", first.ID, store.Outcome{State: store.Succeeded, Attempt: store.Attempt{N: 1, OK: true}}); err != nil {
			t.Fatal(err)
		}
		if got := claim(t, s, "w", 10, t0.Add(2*time.Second), nil); len(got) != 1 || got[0].ID != second.ID {
			t.Fatalf("after the slot freed claimed %+v; want the queued sync run", got)
		}
	})
	t.Run("ClaimAtBirthCountsClaimedRuns", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		queue(t, s, "deploy", 2, 2)
		if got := claim(t, s, "w", 10, t0.Add(time.Second), nil); len(got) != 2 {
			t.Fatalf("claimed %d, want 2", len(got))
		}
		ev := event("gh", "", t0)
		r := born(ev, "deploy", t0.Add(2*time.Second), 2)
		if res := ingest(t, s, ev, r); !slices.Equal(res.Queued, []string{r.ID}) {
			t.Fatalf("sync run beside 2 running of limit 2: queued %v", res.Queued)
		}
		// Another rule's name is not counted; a lease run out is not.
		ev2 := event("gh", "", t0)
		other := born(ev2, "other", t0.Add(2*time.Second), 1)
		if res := ingest(t, s, ev2, other); len(res.Queued) != 0 {
			t.Fatalf("sync run of another rule queued: %v", res.Queued)
		}
		ev3 := event("gh", "", t0)
		late := born(ev3, "deploy", t0.Add(time.Hour), 2)
		if res := ingest(t, s, ev3, late); len(res.Queued) != 0 {
			t.Fatalf("sync run after the leases ran out queued: %v", res.Queued)
		}
	})
	t.Run("ReplayRecordsLimitOfConfig", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		queue(t, s, "deploy", store.Unlimited, store.Unlimited, store.Unlimited)
		for _, r := range claim(t, s, "w", 10, t0.Add(time.Second), nil) {
			if err := s.Finish(ctx, "w", r.ID, store.Outcome{State: store.Dead, Attempt: store.Attempt{N: 1}}); err != nil {
				t.Fatal(err)
			}
		}
		under := store.Config{Hash: "new", Concurrency: map[string]int{"deploy": 1}}
		rs, err := s.ReplayRule(ctx, store.ReplayFilter{Rule: "deploy"}, under, t0.Add(2*time.Second))
		if err != nil || len(rs) != 3 || rs[0].Concurrency != 1 {
			t.Fatalf("replayed %+v, %v; want 3 runs of limit 1", rs, err)
		}
		// Under a config in force that no longer limits the rule.
		if got := claim(t, s, "w", 10, t0.Add(3*time.Second), nil); len(got) != 1 {
			t.Fatalf("claimed %d replayed runs, want 1", len(got))
		}
	})
	t.Run("LimitKeptByRestore", func(t *testing.T) {
		t.Parallel()
		src, dst := newStore(t), newStore(t)
		queue(t, src, "deploy", 1, store.Unlimited)
		items := readBack(t, src)
		if _, err := dst.Restore(ctx, items); err != nil {
			t.Fatal(err)
		}
		var got []int
		for _, it := range readBack(t, dst) {
			for _, r := range it.Runs {
				got = append(got, r.Concurrency)
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, []int{store.Unlimited, 1}) {
			t.Fatalf("restored limits = %v, want [-1 1]", got)
		}
	})
}
