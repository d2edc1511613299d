package engine_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/engine"
	"github.com/hookrunner/hookrunner/providers"
	"github.com/hookrunner/hookrunner/store"
)

// releaseSpy is a store that records the runs given back with Release,
// once they are.
type releaseSpy struct {
	store.Store
	mu       sync.Mutex
	released []string
}

func (s *releaseSpy) Release(ctx context.Context, owner string, ids []string) error {
	err := s.Store.Release(ctx, owner, ids)
	s.mu.Lock()
	s.released = append(s.released, ids...)
	s.mu.Unlock()
	return err
}

func (s *releaseSpy) wasReleased(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Contains(s.released, id)
}

// TestClaimedAheadGoesBackUnspent: with the only worker busy on a slow
// action, a run the claim loop took ahead of a free worker is given back
// to the queue (pending, no attempt spent) instead of being held, then
// runs normally once the worker is free; a run still held at shutdown
// goes back the same way.
func TestClaimedAheadGoesBackUnspent(t *testing.T) {
	dir := t.TempDir()
	writeScript(t, filepath.Join(dir, "slow.sh"), `d="$1"
echo $$ > "$d/slow.pid"
while [ ! -e "$d/release" ]; do sleep 0.02; done
`)
	cfg := fmt.Sprintf(`
sources:
  hook: { provider: generic, verify: none }
rules:
  - name: slow
    source: hook
    actions:
      - shell: { command: [%[1]q, %[2]q] }
  - name: quick
    source: hook
    actions:
      - shell: { command: ["/bin/true"] }
`, filepath.Join(dir, "slow.sh"), dir)
	st := openStore(t, filepath.Join(dir, "hr.db"))
	defer st.Close()
	spy := &releaseSpy{Store: st}
	slow := addRun(t, st, "slow")
	quick := addRun(t, st, "quick")
	quick2 := addRun(t, st, "quick")

	stop := startEngineWorkers(t, spy, cfg, 1)
	waitFor(t, "the slow action to start", func() bool { return readFile(filepath.Join(dir, "slow.pid")) != "" })
	// The first claim filled the worker and found the queue deep, so the
	// next one took a run ahead; the worker stays busy, so it goes back.
	waitFor(t, "the run claimed ahead to be given back", func() bool { return spy.wasReleased(quick.ID) })
	if r, atts := runState(t, st, quick.ID); r.State != store.Pending || r.Attempt != 0 || r.ClaimedBy != "" || len(atts) != 0 {
		t.Fatalf("run given back = %+v, %d attempts; want pending, attempt 0, unclaimed", r, len(atts))
	}
	if err := os.WriteFile(filepath.Join(dir, "release"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{slow.ID, quick.ID, quick2.ID} {
		waitFor(t, "every run to succeed", func() bool { r, _ := runState(t, st, id); return r.State == store.Succeeded })
		if r, _ := runState(t, st, id); r.Attempt != 1 {
			t.Fatalf("run %s succeeded at attempt %d, want 1", id, r.Attempt)
		}
	}
	stop()

	// At shutdown: runs held ahead (the worker busy again) go back, and
	// the interrupted action's run spends no attempt either.
	if err := os.Remove(filepath.Join(dir, "release")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "slow.pid")); err != nil {
		t.Fatal(err)
	}
	slow2, quick3, quick4 := addRun(t, st, "slow"), addRun(t, st, "quick"), addRun(t, st, "quick")
	stop = startEngineWorkers(t, spy, cfg, 1)
	waitFor(t, "the slow action to start again", func() bool { return readFile(filepath.Join(dir, "slow.pid")) != "" })
	waitFor(t, "a run to be claimed ahead", func() bool {
		r3, _ := runState(t, st, quick3.ID)
		r4, _ := runState(t, st, quick4.ID)
		return r3.Attempt > 0 || r4.Attempt > 0 || spy.wasReleased(quick3.ID)
	})
	stop()
	for _, id := range []string{slow2.ID, quick3.ID, quick4.ID} {
		r, _ := runState(t, st, id)
		if r.State != store.Pending || r.Spent() != 0 || r.ClaimedBy != "" {
			t.Fatalf("run after shutdown = %+v; want pending, no attempt spent, unclaimed", r)
		}
	}
}

// startEngineWorkers is startEngine with n workers and a short grace.
func startEngineWorkers(t *testing.T, st store.Store, cfg string, n int) (stop func()) {
	t.Helper()
	e := engine.New(build(t, []byte(cfg)), engine.Options{Store: st, RecoverOnStart: true})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- e.Run(ctx, engine.RunOptions{Workers: n, PollInterval: 20 * time.Millisecond, Grace: 100 * time.Millisecond})
	}()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("engine Run: %v", err)
		}
	}
	t.Cleanup(stop)
	return stop
}

// quickConfig has one rule, "quick", whose action is /bin/true.
const quickConfig = `
sources:
  hook: { provider: generic, verify: none }
rules:
  - name: quick
    source: hook
    actions:
      - shell: { command: ["/bin/true"] }
`

// claimHeld is a store whose first claim takes its runs in the store, then
// holds them until the claiming context ends: a claim still under way
// when the engine stops.
type claimHeld struct {
	store.Store
	once    sync.Once
	claimed chan struct{}
}

func (s *claimHeld) Claim(ctx context.Context, o store.ClaimOptions) ([]*store.Run, error) {
	first := false
	s.once.Do(func() { first = true })
	if !first {
		return s.Store.Claim(ctx, o)
	}
	runs, err := s.Store.Claim(context.Background(), o)
	close(s.claimed)
	<-ctx.Done()
	return runs, err
}

// TestClaimUnderWayAtStop: the claim runs beside the dispatch loop; the
// runs a claim took while the engine was stopping go back to the queue
// unspent, like the runs held ahead.
func TestClaimUnderWayAtStop(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "hr.db"))
	defer st.Close()
	a, b := addRun(t, st, "quick"), addRun(t, st, "quick")
	held := &claimHeld{Store: st, claimed: make(chan struct{})}
	stop := startEngineWorkers(t, held, quickConfig, 2)
	select {
	case <-held.claimed:
	case <-time.After(10 * time.Second):
		t.Fatal("no claim")
	}
	if r, _ := runState(t, st, a.ID); r.State != store.Running {
		t.Fatalf("run after the claim = %+v; want running", r)
	}
	stop()
	for _, id := range []string{a.ID, b.ID} {
		r, atts := runState(t, st, id)
		if r.State != store.Pending || r.Spent() != 0 || r.ClaimedBy != "" || len(atts) != 0 {
			t.Fatalf("run claimed during the stop = %+v, %d attempts; want pending, no attempt spent, unclaimed", r, len(atts))
		}
	}
}

// claimCounter counts claims and signals each one.
type claimCounter struct {
	store.Store
	n      atomic.Int64
	claims chan struct{}
}

func (s *claimCounter) Claim(ctx context.Context, o store.ClaimOptions) ([]*store.Run, error) {
	runs, err := s.Store.Claim(ctx, o)
	s.n.Add(1)
	select {
	case s.claims <- struct{}{}:
	default:
	}
	return runs, err
}

// TestIdleEngineClaimsOnlyWhenWoken: with the poll tick an hour away, an
// engine claims at its start, and again only when woken (an event stored,
// a worker free): a claim that found less than it asked for is not
// repeated at once.
func TestIdleEngineClaimsOnlyWhenWoken(t *testing.T) {
	snap := build(t, []byte(quickConfig))
	st := openStore(t, filepath.Join(t.TempDir(), "hr.db"))
	defer st.Close()
	cc := &claimCounter{Store: st, claims: make(chan struct{}, 1)}
	e := engine.New(snap, engine.Options{Store: cc, RecoverOnStart: true})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx, engine.RunOptions{Workers: 2, PollInterval: time.Hour}) }()
	defer func() { cancel(); <-done }()
	select {
	case <-cc.claims:
	case <-time.After(10 * time.Second):
		t.Fatal("no first claim")
	}
	acc, err := e.Accept(ctx, &engine.Received{Snapshot: snap, Source: snap.Sources["hook"], Identity: providers.Identity{Event: "push", DeliveryID: "d-1"},
		Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`{}`), Payload: map[string]any{}, RemoteIP: "127.0.0.1", ReceivedAt: time.Now()})
	if err != nil || len(acc.Matched) != 1 {
		t.Fatalf("accept: %+v, %v", acc, err)
	}
	run := func() *store.Run {
		runs, err := st.ListRuns(ctx, store.RunFilter{EventID: acc.EventID})
		if err != nil || len(runs) != 1 {
			t.Fatalf("runs of the event: %v, %v", runs, err)
		}
		return runs[0]
	}
	waitFor(t, "the run to succeed", func() bool { return run().State == store.Succeeded })
	// The start, the event's wake-up, the freed worker's: a few claims,
	// not one after another while nothing is due.
	if n := cc.n.Load(); n > 5 {
		t.Fatalf("%d claims for one run while idle", n)
	}
}

// finishGate is a store whose Finish waits until gate is closed, counting
// the outcomes waiting (pending) and, at each action's start (its process
// recorded), the most that were waiting then.
type finishGate struct {
	store.Store
	gate    chan struct{}
	pending atomic.Int64
	waiting chan int64 // each new pending count
	most    atomic.Int64
}

func (s *finishGate) Finish(ctx context.Context, owner, runID string, o store.Outcome) error {
	s.waiting <- s.pending.Add(1)
	<-s.gate
	defer s.pending.Add(-1)
	return s.Store.Finish(ctx, owner, runID, o)
}

func (s *finishGate) RecordProcess(ctx context.Context, p store.Process) error {
	if n := s.pending.Load(); n > s.most.Load() {
		s.most.Store(n)
	}
	return s.Store.RecordProcess(ctx, p)
}

// TestUnrecordedOutcomesBounded: a worker's slot goes to the next run while
// the last outcome is committed, but at most RecordingPerWorker outcomes a
// worker wait so: with outcomes that never commit, 2 workers finish
// (1 + RecordingPerWorker) × 2 actions and start no more, so a kill -9
// re-runs at most that many.
func TestUnrecordedOutcomesBounded(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "hr.db"))
	defer st.Close()
	var runs []*store.Run
	limit := int64((1 + engine.RecordingPerWorker) * 2)
	for range limit + 8 {
		runs = append(runs, addRun(t, st, "quick"))
	}
	gated := &finishGate{Store: st, gate: make(chan struct{}), waiting: make(chan int64, 64)}
	stop := startEngineWorkers(t, gated, quickConfig, 2)
	open := sync.OnceFunc(func() { close(gated.gate) })
	defer stop()
	defer open() // before the stop, which waits for the outcomes
	for n := int64(0); n < limit; {
		select {
		case n = <-gated.waiting:
		case <-time.After(10 * time.Second):
			t.Fatalf("%d outcomes waiting, want %d", n, limit)
		}
	}
	// Nothing more may start: one more outcome would arrive within
	// milliseconds (the actions are /bin/true).
	select {
	case n := <-gated.waiting:
		t.Fatalf("%d outcomes waiting to be recorded with 2 workers", n)
	case <-time.After(300 * time.Millisecond):
	}
	open()
	for _, r := range runs {
		waitFor(t, "every run succeeded", func() bool { got, _ := runState(t, st, r.ID); return got.State == store.Succeeded })
	}
	if most := gated.most.Load(); most > limit-1 {
		t.Fatalf("an action started while %d outcomes waited; at most %d (the limit less its own slot)", most, limit-1)
	}
}
