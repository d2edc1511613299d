package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/store"
)

// replayFamily: replaying finished runs, one or all of a rule.
func replayFamily(t *testing.T, newStore Factory) {
	ctx := context.Background()

	t.Run("ReplayDead", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		ev := event("gh", "", t0)
		r := run(ev, "a", t0)
		ingest(t, s, ev, r)
		if _, err := s.Replay(ctx, r.ID, store.Config{Hash: "abc"}, t0); !errors.Is(err, store.ErrNotReplayable) {
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
		nr, err := s.Replay(ctx, r.ID, store.Config{Hash: "def"}, t0.Add(time.Minute))
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
		if _, err := s.Replay(ctx, r.ID, store.Config{Hash: "abc"}, t0); !errors.Is(err, store.ErrNotReplayable) {
			t.Fatalf("replaying twice: %v", err)
		}
		if got := claim(t, s, "w1", 5, t0.Add(2*time.Minute), nil); len(got) != 1 || got[0].ID != nr.ID {
			t.Fatalf("claim of replay = %+v", got)
		}
	})
	t.Run("ReplayRule", func(t *testing.T) {
		t.Parallel()
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
		got, err := s.ReplayRule(ctx, store.ReplayFilter{Rule: "flaky"}, store.Config{Hash: "abc"}, t0)
		if err != nil || len(got) != 3 {
			t.Fatalf("replay rule = %d, %v", len(got), err)
		}
		if dead, _ := s.ListRuns(ctx, store.RunFilter{Rule: "flaky", State: store.Dead}); len(dead) != 0 {
			t.Fatalf("%d dead runs left", len(dead))
		}
	})
	t.Run("ReplayRuleTimeRange", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		// One dead run of "flaky" per hour, t0 .. t0+4h; one of "other".
		var ids []string
		for i := 0; i < 5; i++ {
			at := t0.Add(time.Duration(i) * time.Hour)
			ev := event("gh", "", at)
			r := run(ev, "flaky", at)
			ids = append(ids, r.ID)
			ingest(t, s, ev, r, run(ev, "other", at))
		}
		for _, r := range claim(t, s, "w", 20, t0.Add(5*time.Hour), nil) {
			if err := s.Finish(ctx, "w", r.ID, store.Outcome{State: store.Dead, Attempt: store.Attempt{N: 1}}); err != nil {
				t.Fatal(err)
			}
		}
		f := store.ReplayFilter{Rule: "flaky", State: store.Dead, Since: t0.Add(time.Hour), Until: t0.Add(3 * time.Hour)}
		if n, err := s.CountReplay(ctx, f); err != nil || n != 2 {
			t.Fatalf("count in [1h, 3h) = %d, %v; want 2", n, err)
		}
		if n, err := s.CountReplay(ctx, store.ReplayFilter{Rule: "flaky", Since: t0.Add(3 * time.Hour)}); err != nil || n != 2 {
			t.Fatalf("count since 3h (state defaulted to dead) = %d, %v; want 2", n, err)
		}
		if _, err := s.CountReplay(ctx, store.ReplayFilter{Rule: "flaky", State: store.Running}); !errors.Is(err, store.ErrNotReplayable) {
			t.Fatalf("count of running runs: %v", err)
		}
		got, err := s.ReplayRule(ctx, f, store.Config{Hash: "new"}, t0.Add(6*time.Hour))
		if err != nil || len(got) != 2 {
			t.Fatalf("replay [1h, 3h) = %d, %v", len(got), err)
		}
		if got[0].ReplayOf != ids[1] || got[1].ReplayOf != ids[2] {
			t.Fatalf("replayed %s, %s; want the runs of 1h and 2h (%s, %s), oldest first", got[0].ReplayOf, got[1].ReplayOf, ids[1], ids[2])
		}
		for i, id := range ids {
			r, _, err := s.GetRun(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			want := store.Dead
			if i == 1 || i == 2 {
				want = store.Replayed
			}
			if r.State != want {
				t.Fatalf("run of %dh is %s, want %s", i, r.State, want)
			}
		}
		if n, _ := s.CountReplay(ctx, f); n != 0 {
			t.Fatalf("after the replay %d runs are left in the range", n)
		}
		if n, _ := s.CountReplay(ctx, store.ReplayFilter{Rule: "other"}); n != 5 {
			t.Fatalf("other rule's dead runs = %d, want 5 (untouched)", n)
		}
	})
}
