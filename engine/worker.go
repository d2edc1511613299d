package engine

import (
	"context"
	"fmt"
	"github.com/hookrunner/hookrunner/internal/slots"
	"sync"
	"time"

	"github.com/hookrunner/hookrunner/store"
)

func (e *Engine) track(id string, cancel context.CancelFunc) {
	e.mu.Lock()
	e.inflight[id] = cancel
	e.mu.Unlock()
}

func (e *Engine) untrack(id string) {
	e.mu.Lock()
	delete(e.inflight, id)
	e.mu.Unlock()
}

func (e *Engine) inflightIDs() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	ids := make([]string, 0, len(e.inflight))
	for id := range e.inflight {
		ids = append(ids, id)
	}
	return ids
}

// RunOptions configure the worker pool.
type RunOptions struct {
	Workers      int
	Lease        time.Duration
	PollInterval time.Duration
	// Grace is how long running actions may finish after ctx is cancelled
	// before they are cancelled (their process groups killed).
	Grace time.Duration
	// OutputLimit caps captured output per attempt.
	OutputLimit int
	// Retention prunes succeeded events older than this (0: never).
	Retention    time.Duration
	DedupeWindow time.Duration
	// StoreCheck is how often the store's writability is checked (250ms
	// when zero); the ingress refuses webhooks while it is not.
	StoreCheck time.Duration
}

// Run executes due runs until ctx is cancelled, then drains: no new claims,
// running actions get Grace to finish, then are cancelled and recorded.
func (e *Engine) Run(ctx context.Context, o RunOptions) error {
	if o.Workers <= 0 {
		o.Workers = 8
	}
	if o.Lease <= 0 {
		o.Lease = 30 * time.Second
	}
	if o.PollInterval <= 0 {
		o.PollInterval = time.Second
	}
	if o.Grace <= 0 {
		o.Grace = 30 * time.Second
	}
	e.outputLimit.Store(int64(o.OutputLimit))
	if o.StoreCheck <= 0 {
		o.StoreCheck = 250 * time.Millisecond
	}
	go e.watchStore(ctx, o.StoreCheck)
	go e.runAlerts(ctx)
	// Before any run can be claimed again: a run whose process group an
	// earlier hookrunner left running must not start a second copy.
	if err := e.killLeftovers(ctx); err != nil {
		return err
	}
	if e.recover {
		n, err := e.st.RecoverAll(ctx, e.now(), e.born)
		if err != nil {
			return fmt.Errorf("recover runs: %w", err)
		}
		if n > 0 {
			e.log.Info("resuming runs interrupted by the last stop", "runs", n)
		}
	}
	close(e.recovered)
	if counts, err := e.st.CountStates(ctx); err == nil {
		e.outstanding.Store(int64(counts[store.Pending] + counts[store.Running] + counts[store.Retrying] + counts[store.Waiting]))
	}

	execCtx, cancelExec := context.WithCancelCause(context.WithoutCancel(ctx))
	defer cancelExec(errShutdown)
	context.AfterFunc(execCtx, func() { e.syncs.Cancel(errShutdown) })
	var wg sync.WaitGroup
	pool := slots.New(o.Workers, RecordingPerWorker)
	hbStop := make(chan struct{})
	go e.heartbeat(o.Lease, hbStop)
	defer close(hbStop)
	if o.Retention > 0 {
		go e.pruneLoop(ctx, o.Retention, o.DedupeWindow)
	}

	ticker := time.NewTicker(o.PollInterval)
	defer ticker.Stop()
	var notified <-chan struct{}
	if w, ok := e.st.(interface {
		Wakeups(context.Context) <-chan struct{}
	}); ok {
		notified = w.Wakeups(ctx)
	}
	start := func(run *store.Run) {
		lease := pool.Take()
		rctx, cancel := context.WithCancel(execCtx)
		e.track(run.ID, cancel)
		wg.Add(1)
		go func(run *store.Run) {
			defer wg.Done()
			defer e.untrack(run.ID)
			defer cancel()
			// The slot may go to the next run once the actions are over
			// (execute calls release before it writes the outcome); the
			// outcome's commit is then waited for here.
			e.execute(rctx, run, func() {
				if lease.Release() {
					e.poke() // a slot is free
				}
			})
			lease.Done()
			e.poke() // a slot, or a concurrency slot, may be free
		}(run)
	}
	ahead := claimAhead{max: aheadPerWorker * o.Workers}
	// The claim runs beside the loop: while it waits for its commit, the
	// loop goes on handing the runs held ahead to the workers that free up
	// (a claim waited on here left them idle for a commit each time).
	type claimed struct {
		runs []*store.Run
		n    int
		err  error
	}
	claims := make(chan claimed, 1)
	// due: something may have become claimable since the last claim (the
	// start, a wake-up, the poll tick, a claim that found all it asked).
	claiming, due := false, true
	put := func(runs []*store.Run) {
		for _, run := range runs {
			if pool.Free() > 0 {
				start(run)
				continue
			}
			e.track(run.ID, func() {}) // its lease is kept while it waits
			ahead.put(run, e.now())
		}
	}
	for ctx.Err() == nil {
		for pool.Free() > 0 {
			run := ahead.take(e.now())
			if run == nil {
				break
			}
			start(run)
		}
		if ahead.stale(e.now(), o.Lease) {
			// Workers are busy with slow actions: give the runs held
			// ahead back so that another replica may take them.
			e.releaseAhead(ahead.drop(e.now()))
		}
		if n := pool.Free() + ahead.room(); due && !claiming && n > 0 && (pool.Free() > 0 || ahead.low()) {
			claiming, due = true, false
			opt := store.ClaimOptions{Owner: e.owner, Limit: n, Lease: o.Lease, Now: e.now(), Concurrency: e.Snapshot().ConcurrencyLimits()}
			go func() {
				runs, err := e.st.Claim(ctx, opt)
				claims <- claimed{runs: runs, n: opt.Limit, err: err}
			}()
		}
		select {
		case <-ctx.Done():
		case <-e.wake:
			due = true
		case <-notified:
			due = true
		case <-ticker.C:
			due = true
		case c := <-claims:
			claiming = false
			if c.err != nil && ctx.Err() == nil {
				e.log.Error("claim runs", "error", c.err)
			}
			put(c.runs)
			if len(c.runs) == c.n {
				ahead.grow(e.now()) // a deep queue: claim further ahead
				due = true          // there may be more due right now
			}
		}
	}
	if claiming {
		// A claim under way at the stop: what it took goes back too.
		e.releaseAhead((<-claims).runs)
	}
	// Runs claimed ahead and not started go back to the queue without
	// spending an attempt.
	e.releaseAhead(ahead.drop(e.now()))

	// Drain.
	done := make(chan struct{})
	go func() { wg.Wait(); e.syncs.Wait(); close(done) }()
	if len(e.inflightIDs()) > 0 {
		e.log.Info("waiting for running actions", "runs", len(e.inflightIDs()), "grace_s", o.Grace.Seconds())
	}
	select {
	case <-done:
	case <-time.After(o.Grace):
		e.log.Warn("grace period over: cancelling running actions", "runs", len(e.inflightIDs()))
		// Each action kills and reaps its process group before its run
		// is recorded as interrupted, so none outlives Run.
		cancelExec(errShutdown)
		<-done
	}
	return nil
}

func (e *Engine) heartbeat(lease time.Duration, stop <-chan struct{}) {
	t := time.NewTicker(lease / 3)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			ids := e.inflightIDs()
			if len(ids) == 0 {
				continue
			}
			ctx, cancel := context.WithTimeout(context.Background(), lease/3)
			if err := e.st.Extend(ctx, e.owner, ids, e.now().Add(lease)); err != nil {
				e.log.Error("extend leases", "runs", len(ids), "error", err)
			}
			cancel()
		}
	}
}

func (e *Engine) pruneLoop(ctx context.Context, retention, dedupe time.Duration) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		now := e.now()
		n, err := e.st.Prune(ctx, now.Add(-retention), now.Add(-dedupe))
		if err != nil && ctx.Err() == nil {
			e.log.Error("prune", "error", err)
		} else if n > 0 {
			e.log.Info("pruned old events", "events", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// claimAhead holds runs claimed before a worker is free for them, so that
// one claim serves several workers (a claim is a write transaction). It
// holds up to aheadPerWorker runs a worker while the queue is deep and workers take
// the runs held, and none once they wait longer than aheadHold (slow
// actions): they go back to the queue, for another replica to take.
type claimAhead struct {
	runs []*store.Run
	// size is how many runs may be held: it doubles (up to max) when a
	// claim finds as many due runs as it asked for, and falls to 0 when
	// the runs held went stale.
	size, max int
	// since is when a run was last taken, or put into an empty buffer.
	since time.Time
	// quietUntil: after runs held went stale, none are held for a while
	// (the actions are slow; claiming ahead would only churn).
	quietUntil time.Time
}

// take returns the oldest run held, or nil.
func (a *claimAhead) take(now time.Time) *store.Run {
	if len(a.runs) == 0 {
		return nil
	}
	r := a.runs[0]
	a.runs[0] = nil
	a.runs = a.runs[1:]
	a.since = now
	return r
}

func (a *claimAhead) put(r *store.Run, now time.Time) {
	if len(a.runs) == 0 {
		a.since = now
	}
	a.runs = append(a.runs, r)
}

func (a *claimAhead) grow(now time.Time) {
	if now.Before(a.quietUntil) {
		return
	}
	a.size = min(max(1, a.size*2), a.max)
}

// room is how many more runs a claim may take ahead.
func (a *claimAhead) room() int { return max(0, a.size-len(a.runs)) }

// low reports whether the runs held ahead are down to half their size.
func (a *claimAhead) low() bool { return len(a.runs)*2 <= a.size && a.room() > 0 }

// stale reports whether no run held was taken for longer than aheadHold
// (lease/10 when shorter).
func (a *claimAhead) stale(now time.Time, lease time.Duration) bool {
	return len(a.runs) > 0 && now.Sub(a.since) > min(aheadHold, lease/10)
}

// drop empties the runs held and holds none for aheadQuiet.
func (a *claimAhead) drop(now time.Time) []*store.Run {
	out := a.runs
	a.runs, a.size, a.quietUntil = nil, 0, now.Add(aheadQuiet)
	return out
}

// aheadHold bounds how long a run claimed ahead waits for a worker;
// aheadQuiet is how long none are held after that happened.
//
// aheadPerWorker is how many runs a worker may have waiting for it while
// the queue is deep. A claim waits for a commit (about a millisecond under
// load) while the workers go on with the runs held; with one run a worker
// they ran dry before the claim came back (in the http drain the loop
// waited on its claim 90 % of the time), with four they do not.
//
// RecordingPerWorker (exported for bench/chaos's bound) is how many
// outcomes a worker may have waiting for their commit after its slot went
// to the next run (internal/slots). A commit takes about a millisecond
// under load and a local http action a fraction of one, so a worker
// finishes several runs in that time: with one place a worker the http
// drain halved (0.31 → 0.15 of a bare client). It bounds what a crash
// re-runs: (1 + RecordingPerWorker) × workers actions.
const (
	aheadHold          = 250 * time.Millisecond
	aheadQuiet         = 5 * time.Second
	aheadPerWorker     = 4
	RecordingPerWorker = 4
)

// releaseAhead gives runs claimed ahead back to the queue, due at once,
// their attempt not spent.
func (e *Engine) releaseAhead(runs []*store.Run) {
	if len(runs) == 0 {
		return
	}
	ids := make([]string, len(runs))
	for i, r := range runs {
		ids[i] = r.ID
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.st.Release(ctx, e.owner, ids); err != nil {
		// Their leases run out and they are due again then.
		e.log.Error("release runs claimed ahead", "runs", len(ids), "error", err)
	}
	for _, id := range ids {
		e.untrack(id)
	}
}
