// Package engine holds the config snapshot in force (one atomic pointer),
// turns verified requests into stored events and runs, and executes runs
// on a bounded worker pool with leases, retries, dead letters and replay.
package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookrunner/hookrunner/actions"
	"github.com/hookrunner/hookrunner/config"
	"github.com/hookrunner/hookrunner/expression"
	"github.com/hookrunner/hookrunner/internal/redact"
	"github.com/hookrunner/hookrunner/providers"
	"github.com/hookrunner/hookrunner/store"
)

// Options configure an Engine.
type Options struct {
	Store  store.Store
	Logger *slog.Logger
	// Owner identifies this process in run leases; random when empty.
	Owner string
	// RecoverOnStart makes every running run due at start: right for a
	// store only this process uses (SQLite). Shared stores rely on leases.
	RecoverOnStart bool
	// Now is the clock (tests); time.Now when nil.
	Now func() time.Time
}

// Engine is the running core.
type Engine struct {
	snap    atomic.Pointer[Snapshot]
	st      store.Store
	log     *slog.Logger
	owner   string
	now     func() time.Time
	metrics *Metrics
	wake    chan struct{}
	recover bool

	outstanding atomic.Int64
	outputLimit atomic.Int64

	mu       sync.Mutex
	inflight map[string]context.CancelFunc

	// host and self identify this process in the records of the process
	// groups its actions start (see killLeftovers).
	host string
	self actions.ProcessGroup

	// recovered is closed once Run has recovered the store (pollers wait
	// for it, so recovery cannot free a lease they just took).
	recovered chan struct{}

	reloadMu  sync.Mutex
	reloadErr error
	reloadAt  time.Time

	// storeErr is why the store does not take writes (nil pointer: it does).
	storeErr atomic.Pointer[error]
	// revs keeps earlier compiled configs for the runs matched under them.
	revs revisions
}

// New returns an engine serving snap.
func New(snap *Snapshot, o Options) *Engine {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Owner == "" {
		host, _ := os.Hostname()
		o.Owner = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), store.NewID()[24:])
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	e := &Engine{st: o.Store, log: o.Logger, owner: o.Owner, now: o.Now, wake: make(chan struct{}, 1),
		recover: o.RecoverOnStart, inflight: map[string]context.CancelFunc{}, recovered: make(chan struct{})}
	e.metrics = newMetrics(o.Store)
	e.host, _ = os.Hostname()
	e.self = actions.Self()
	e.revs.inForce = e.Snapshot
	e.snap.Store(snap)
	e.reloadAt = snap.LoadedAt
	e.metrics.ConfigInfo.WithLabelValues(snap.Hash).Set(1)
	e.metrics.ReloadSuccess.Set(1)
	e.metrics.ReloadTime.Set(float64(snap.LoadedAt.Unix()))
	return e
}

// Snapshot returns the config in force.
func (e *Engine) Snapshot() *Snapshot { return e.snap.Load() }

// Redactor returns the redactor of the config in force (it also knows the
// secrets of the configs replaced since start).
func (e *Engine) Redactor() *redact.Redactor { return e.Snapshot().Redactor }

// Store returns the engine's store.
func (e *Engine) Store() store.Store { return e.st }

// Metrics returns the engine's metrics.
func (e *Engine) Metrics() *Metrics { return e.metrics }

// Owner returns this process's lease owner id.
func (e *Engine) Owner() string { return e.owner }

// Swap installs a new snapshot atomically and records the reload. The
// new snapshot's redactor keeps the secrets of the one it replaces.
func (e *Engine) Swap(s *Snapshot) {
	if cur := e.snap.Load(); cur != nil {
		s.Redactor = s.Redactor.Merge(cur.Redactor)
	}
	old := e.snap.Swap(s)
	if old != nil {
		e.revs.put(old) // its queued runs still execute under it
	}
	e.reloadMu.Lock()
	e.reloadErr = nil
	e.reloadAt = s.LoadedAt
	e.reloadMu.Unlock()
	if old != nil && old.Hash != s.Hash {
		e.metrics.ConfigInfo.DeleteLabelValues(old.Hash)
	}
	e.metrics.ConfigInfo.WithLabelValues(s.Hash).Set(1)
	e.metrics.Reloads.WithLabelValues("success").Inc()
	e.metrics.ReloadSuccess.Set(1)
	e.metrics.ReloadTime.Set(float64(s.LoadedAt.Unix()))
	e.poke()
}

// ReloadSucceeded records a reload that found the config unchanged.
func (e *Engine) ReloadSucceeded() {
	e.reloadMu.Lock()
	e.reloadErr = nil
	e.reloadMu.Unlock()
	e.metrics.ReloadSuccess.Set(1)
}

// ReloadFailed records a failed reload; the running config stays.
func (e *Engine) ReloadFailed(err error) {
	e.reloadMu.Lock()
	e.reloadErr = err
	e.reloadMu.Unlock()
	e.metrics.Reloads.WithLabelValues("failure").Inc()
	e.metrics.ReloadSuccess.Set(0)
}

// ConfigStatus describes the config in force and the last reload.
type ConfigStatus struct {
	Hash        string    `json:"hash"`
	LoadedAt    time.Time `json:"loaded_at"`
	LastError   string    `json:"last_reload_error,omitempty"`
	LastSuccess bool      `json:"last_reload_successful"`
	Owner       string    `json:"replica"`
	Sources     int       `json:"sources"`
	Rules       int       `json:"rules"`
}

// Status returns the config status.
func (e *Engine) Status() ConfigStatus {
	s := e.Snapshot()
	e.reloadMu.Lock()
	defer e.reloadMu.Unlock()
	st := ConfigStatus{Hash: s.Hash, LoadedAt: e.reloadAt, LastSuccess: e.reloadErr == nil, Owner: e.owner, Sources: len(s.Sources), Rules: len(s.Ordered)}
	if e.reloadErr != nil {
		st.LastError = e.reloadErr.Error()
	}
	return st
}

func (e *Engine) poke() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Outstanding is the number of unfinished runs known to this process.
func (e *Engine) Outstanding() int64 { return e.outstanding.Load() }

// Received is a verified request handed over by the server.
type Received struct {
	Snapshot   *Snapshot
	Source     *Source
	Identity   providers.Identity
	Header     http.Header
	Query      string
	Body       []byte
	Payload    any
	RemoteIP   string
	ReceivedAt time.Time
}

// Accepted is the outcome of Accept.
type Accepted struct {
	EventID   string
	Duplicate bool
	Matched   []string
	// SyncRun is a run of a `respond: sync` rule, already claimed by this
	// process, for the caller to execute with RunSync.
	SyncRun  *store.Run
	SyncRule *Rule
}

// StoredHeaders flattens headers to lower-case keys as they are stored:
// credential headers and known secret values redacted (the verifier has
// used them already); signature headers kept (see redact.IsSignatureHeader).
func StoredHeaders(r *redact.Redactor, h http.Header) map[string]string { return r.Headers(h) }

// NewEnv builds the expression environment of an event.
func NewEnv(source, provider string, id providers.Identity, eventID string, headers map[string]string, query string, payload any, remoteIP string, at time.Time) *expression.Env {
	payload = providers.ShapePayload(provider, payload) // the provider's own shape (salesforce-outbound), everywhere
	q := map[string]string{}
	if vals, err := url.ParseQuery(query); err == nil {
		for k, v := range vals {
			q[k] = strings.Join(v, ",")
		}
	}
	return &expression.Env{Source: source, Provider: provider, Event: id.Event, ID: eventID, DeliveryID: id.DeliveryID,
		Payload: payload, Headers: headers, Query: q, RemoteIP: remoteIP, ReceivedAt: at}
}

// Accept matches a verified request against the snapshot it was verified
// with and stores the event and one run per matched rule in one durable
// write. Only when it returns without error may the sender be answered 2xx.
//
// A delivery already stored within the dedupe window is answered as a
// duplicate before any rule is evaluated, so replaying a costly event costs
// one indexed read; Ingest dedupes again for two concurrent first deliveries.
func (e *Engine) Accept(ctx context.Context, rc *Received) (*Accepted, error) {
	dedupeSince := rc.ReceivedAt.Add(-rc.Snapshot.Config.Store.DedupeWindow.D())
	if id, seen, err := e.st.Seen(ctx, rc.Source.Name, rc.Identity.DeliveryID, dedupeSince); err != nil {
		// Not fatal: matching is bounded and Ingest dedupes (or fails) anyway.
		e.log.Warn("look up delivery before matching", "source", rc.Source.Name, "delivery_id", rc.Identity.DeliveryID, "error", err)
	} else if seen {
		return &Accepted{EventID: id, Duplicate: true}, nil
	}
	ev, runs, acc, matched := e.prepare(rc, true)
	res, err := e.st.Ingest(ctx, ev, runs, dedupeSince)
	if err != nil {
		if ctx.Err() == nil {
			_ = e.CheckStore(ctx) // refuse the next ones at once if the store is gone
		}
		return nil, fmt.Errorf("store event: %w", err)
	}
	if res.Duplicate {
		return &Accepted{EventID: res.EventID, Duplicate: true}, nil
	}
	e.accepted(matched, len(runs))
	return acc, nil
}

func (e *Engine) accepted(matched []*Rule, runs int) {
	for _, r := range matched {
		e.metrics.RuleMatches.WithLabelValues(r.Name).Inc()
	}
	if runs > 0 {
		e.outstanding.Add(int64(runs))
		e.poke()
	}
}

// prepare matches a received event and builds what is stored: the event
// and one run per matched rule (a sync rule's run claimed at birth when
// allowSync).
func (e *Engine) prepare(rc *Received, allowSync bool) (*store.Event, []*store.Run, *Accepted, []*Rule) {
	evID := store.NewID()
	headers, query := StoredHeaders(rc.Snapshot.Redactor, rc.Header), rc.Snapshot.Redactor.Query(rc.Query)
	env := NewEnv(rc.Source.Name, rc.Source.Provider, rc.Identity, evID, headers, query, rc.Payload, rc.RemoteIP, rc.ReceivedAt)
	matched := rc.Source.MatchReporting(env, func(r *Rule, err error) {
		e.log.Warn("condition error: rule does not match", "event_id", evID, "rule", r.Name, "error", err)
	})
	verification := "verified"
	if rc.Source.NoVerify {
		verification = "none (verify: none)"
	}
	if rc.Source.Poll != nil {
		verification = "polled"
	}
	ev := &store.Event{ID: evID, Source: rc.Source.Name, Provider: rc.Source.Provider, Event: rc.Identity.Event,
		DeliveryID: rc.Identity.DeliveryID, Headers: headers, Query: query, Body: rc.Body, RemoteIP: rc.RemoteIP,
		ReceivedAt: rc.ReceivedAt, Verification: verification, ConfigHash: rc.Snapshot.Hash}
	acc := &Accepted{EventID: evID}
	runs := make([]*store.Run, 0, len(matched))
	now := e.now()
	for _, r := range matched {
		ev.Matched = append(ev.Matched, r.Name)
		run := &store.Run{ID: store.NewID(), EventID: evID, Rule: r.Name, ConfigHash: rc.Snapshot.Hash, State: store.Pending,
			NextAttemptAt: now, CreatedAt: now, UpdatedAt: now}
		if allowSync && r.Sync && acc.SyncRun == nil {
			// Claimed at birth so no worker takes it: the request executes it.
			run.State, run.ClaimedBy, run.Attempt = store.Running, e.owner, 1
			run.NextAttemptAt = now.Add(r.SyncTimeout + time.Minute)
			acc.SyncRun, acc.SyncRule = run, r
		}
		runs = append(runs, run)
	}
	acc.Matched = ev.Matched
	return ev, runs, acc, matched
}

// SyncResult is what a synchronous run produced.
type SyncResult struct {
	Result *actions.Result
	Err    error
	State  store.State
}

// RunSync executes a run claimed at Accept in the caller's goroutine, for a
// `respond: sync` rule; failures go through the normal retry path.
func (e *Engine) RunSync(ctx context.Context, run *store.Run, r *Rule) SyncResult {
	return e.RunStream(ctx, run, r, nil)
}

// RunStream is RunSync sending standard output to w as it is produced
// (`respond: stream`); a streamed run is not bounded by sync_timeout, only
// by its actions' own timeouts.
func (e *Engine) RunStream(ctx context.Context, run *store.Run, r *Rule, w io.Writer) SyncResult {
	var cancel context.CancelFunc
	if w == nil {
		ctx, cancel = context.WithTimeout(ctx, r.SyncTimeout)
	} else {
		ctx, cancel = context.WithCancel(ctx)
	}
	defer cancel()
	e.track(run.ID, cancel)
	defer e.untrack(run.ID)
	return e.executeWith(ctx, run, w)
}

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
	// Before any run can be claimed again: a run whose process group an
	// earlier hookrunner left running must not start a second copy.
	if err := e.killLeftovers(ctx); err != nil {
		return err
	}
	if e.recover {
		n, err := e.st.RecoverAll(ctx, e.now())
		if err != nil {
			return fmt.Errorf("recover runs: %w", err)
		}
		if n > 0 {
			e.log.Info("resuming runs interrupted by the last stop", "runs", n)
		}
	}
	close(e.recovered)
	if counts, err := e.st.CountStates(ctx); err == nil {
		e.outstanding.Store(int64(counts[store.Pending] + counts[store.Running] + counts[store.Retrying]))
	}

	execCtx, cancelExec := context.WithCancelCause(context.WithoutCancel(ctx))
	defer cancelExec(errShutdown)
	var wg sync.WaitGroup
	free := make(chan struct{}, o.Workers)
	for i := 0; i < o.Workers; i++ {
		free <- struct{}{}
	}
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
	for ctx.Err() == nil {
		n := len(free)
		if n > 0 {
			runs, err := e.st.Claim(ctx, store.ClaimOptions{Owner: e.owner, Limit: n, Lease: o.Lease, Now: e.now(),
				Concurrency: e.Snapshot().ConcurrencyLimits()})
			if err != nil && ctx.Err() == nil {
				e.log.Error("claim runs", "error", err)
			}
			for _, run := range runs {
				<-free
				rctx, cancel := context.WithCancel(execCtx)
				e.track(run.ID, cancel)
				wg.Add(1)
				go func(run *store.Run) {
					defer wg.Done()
					defer func() { free <- struct{}{} }()
					defer e.untrack(run.ID)
					defer cancel()
					e.execute(rctx, run)
					e.poke() // a slot (and maybe a concurrency slot) is free
				}(run)
			}
			if len(runs) == n && n > 0 {
				continue // there may be more due right now
			}
		}
		select {
		case <-ctx.Done():
		case <-e.wake:
		case <-notified:
		case <-ticker.C:
		}
	}

	// Drain.
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	if len(e.inflightIDs()) > 0 {
		e.log.Info("waiting for running actions", "runs", len(e.inflightIDs()), "grace", o.Grace)
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

// Backoff returns the delay before attempt n+1 after n failed attempts:
// exponential from base, capped at max, with jitter in [d/2, d].
func Backoff(n int, base, max time.Duration) time.Duration {
	d := base
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	if d > max {
		d = max
	}
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2+1)
}

// execute runs one attempt of a run: its remaining steps in order, each
// success recorded so it is not repeated, then the outcome.
func (e *Engine) execute(ctx context.Context, run *store.Run) SyncResult {
	return e.executeWith(ctx, run, nil)
}

func (e *Engine) executeWith(ctx context.Context, run *store.Run, stream io.Writer) SyncResult {
	log := e.log.With("event_id", run.EventID, "run_id", run.ID, "rule", run.Rule, "attempt", run.Attempt)
	started := e.now()
	finish := func(o store.Outcome) {
		o.Attempt.RunID, o.Attempt.N, o.Attempt.StartedAt = run.ID, run.Attempt, started
		o.Attempt.Duration = e.now().Sub(started)
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if err := e.st.Finish(fctx, e.owner, run.ID, o); err != nil {
			if errors.Is(err, store.ErrLeaseLost) {
				log.Warn("run was taken over by another worker; result dropped")
			} else {
				log.Error("record run outcome", "error", err)
			}
			return
		}
		if o.State.Terminal() {
			e.outstanding.Add(-1)
		}
		e.metrics.RunOutcomes.WithLabelValues(run.Rule, string(o.State)).Inc()
		e.metrics.AttemptDuration.WithLabelValues(run.Rule).Observe(o.Attempt.Duration.Seconds())
	}

	runSnap, rule, err := e.ruleFor(ctx, run)
	if errors.Is(err, errNoRule) {
		log.Warn("run goes dead: rule not found", "error", err)
		finish(store.Outcome{State: store.Dead, Step: run.Step, Attempt: store.Attempt{Error: err.Error()}})
		return SyncResult{Err: err, State: store.Dead}
	}
	if err != nil {
		// The revision could not be read or rebuilt now: try again later,
		// never run the action under another rule.
		log.Error("load the run's config revision", "error", err)
		finish(store.Outcome{State: store.Retrying, Step: run.Step, NextAttemptAt: e.now().Add(time.Minute), Attempt: store.Attempt{Error: err.Error()}})
		return SyncResult{Err: err, State: store.Retrying}
	}
	ev, err := e.st.GetEvent(ctx, run.EventID)
	if err != nil {
		st := store.Retrying
		if errors.Is(err, store.ErrNotFound) {
			st = store.Dead
		}
		finish(store.Outcome{State: st, Step: run.Step, NextAttemptAt: e.now().Add(rule.Retry.Backoff.D()), Attempt: store.Attempt{Error: "load event: " + err.Error()}})
		return SyncResult{Err: err, State: st}
	}
	payload, _, _ := DecodePayload(ev.Headers["content-type"], ev.Body)
	id := providers.Identity{Event: ev.Event, DeliveryID: ev.DeliveryID}
	env := NewEnv(ev.Source, ev.Provider, id, ev.ID, ev.Headers, ev.Query, payload, ev.RemoteIP, ev.ReceivedAt)
	env.Rule, env.RunID, env.Attempt = rule.Name, run.ID, run.Attempt
	inv := &actions.Invocation{Env: env, Body: ev.Body, OutputLimit: int(e.outputLimit.Load()), Stream: stream,
		Started: e.processStarted(run, log)}

	var res actions.Result
	var runErr error
	step := run.Step
	var details []string
	for ; step < len(rule.Steps); step++ {
		if errors.Is(context.Cause(ctx), errShutdown) {
			runErr = fmt.Errorf("actions[%d] (%s): not started: %w", step, rule.Steps[step].Kind, errShutdown)
			break
		}
		res, runErr = rule.Steps[step].Action.Run(ctx, inv)
		if res.Detail != "" {
			details = append(details, res.Detail)
		}
		if runErr != nil {
			runErr = fmt.Errorf("actions[%d] (%s): %w", step, rule.Steps[step].Kind, runErr)
			break
		}
		if step+1 < len(rule.Steps) {
			if err := e.st.Progress(ctx, e.owner, run.ID, step+1); err != nil {
				log.Error("record step progress", "error", err)
			}
		}
	}
	// Run errors, output tails and details are stored redacted, with the
	// secrets of the run's own revision too.
	red := e.Redactor().Merge(runSnap.Redactor)
	att := store.Attempt{Step: step, OK: runErr == nil, ExitCode: res.ExitCode, HTTPStatus: res.HTTPStatus, Output: red.String(res.Output), Detail: red.String(strings.Join(details, "; "))}
	if runErr == nil {
		finish(store.Outcome{State: store.Succeeded, Step: step, Attempt: att})
		log.Info("run succeeded", "duration", e.now().Sub(started).Round(time.Millisecond), "detail", att.Detail)
		return SyncResult{Result: &res, State: store.Succeeded}
	}
	att.Error = red.String(runErr.Error())
	if errors.Is(context.Cause(ctx), errShutdown) {
		// Stopped by us, not failed: back to pending, due at once, and the
		// attempt does not count against the rule's retry attempts.
		att.Error = "interrupted by shutdown: " + att.Error
		att.Interrupted = true
		finish(store.Outcome{State: store.Pending, Step: step, NextAttemptAt: e.now(), Attempt: att})
		log.Warn("run interrupted by shutdown: it resumes at the next start without spending an attempt", "error", runErr)
		return SyncResult{Result: &res, Err: runErr, State: store.Pending}
	}
	state, next := store.Retrying, time.Time{}
	switch {
	case actions.IsPermanent(runErr):
		state = store.Dead
		att.Error += " (permanent: not retried)"
	case run.Spent() >= rule.Retry.Attempts:
		state = store.Dead
	case ctx.Err() != nil && errors.Is(context.Cause(ctx), context.Canceled):
		// Shutdown: try again as soon as the service is back.
		next = e.now()
	default:
		d := Backoff(run.Spent(), rule.Retry.Backoff.D(), rule.Retry.MaxBackoff.D())
		if res.RetryAfter > d {
			d = min(res.RetryAfter, rule.Retry.MaxBackoff.D())
		}
		next = e.now().Add(d)
	}
	finish(store.Outcome{State: state, Step: step, NextAttemptAt: next, Attempt: att})
	if state == store.Dead {
		log.Error("run failed: dead (replay it with `hookrunner replay`)", "error", runErr)
	} else {
		log.Warn("run failed: will retry", "error", runErr, "next_attempt_at", next.Format(time.RFC3339))
	}
	return SyncResult{Result: &res, Err: runErr, State: state}
}

// ReplayRun replays a dead or succeeded run with today's config.
func (e *Engine) ReplayRun(ctx context.Context, runID string) (*store.Run, error) {
	r, err := e.st.Replay(ctx, runID, e.Snapshot().Hash, e.now())
	if err != nil {
		return nil, err
	}
	e.outstanding.Add(1)
	e.poke()
	return r, nil
}

// ReplayRule replays every dead run of a rule.
func (e *Engine) ReplayRule(ctx context.Context, rule string, state store.State) ([]*store.Run, error) {
	rs, err := e.st.ReplayRule(ctx, rule, state, e.Snapshot().Hash, e.now())
	if err != nil {
		return nil, err
	}
	e.outstanding.Add(int64(len(rs)))
	e.poke()
	return rs, nil
}

// ReplayEvent matches a stored event against today's config and creates a
// run for each rule that matches.
func (e *Engine) ReplayEvent(ctx context.Context, eventID string) ([]*store.Run, error) {
	ev, err := e.st.GetEvent(ctx, eventID)
	if err != nil {
		return nil, err
	}
	snap := e.Snapshot()
	src := snap.Sources[ev.Source]
	if src == nil {
		return nil, fmt.Errorf("source %q is not in the config in force", ev.Source)
	}
	payload, _, _ := DecodePayload(ev.Headers["content-type"], ev.Body)
	env := NewEnv(ev.Source, ev.Provider, providers.Identity{Event: ev.Event, DeliveryID: ev.DeliveryID}, ev.ID, ev.Headers, ev.Query, payload, ev.RemoteIP, ev.ReceivedAt)
	now := e.now()
	var runs []*store.Run
	for _, r := range src.Match(env) {
		runs = append(runs, &store.Run{ID: store.NewID(), EventID: ev.ID, Rule: r.Name, ConfigHash: snap.Hash, State: store.Pending,
			NextAttemptAt: now, CreatedAt: now, UpdatedAt: now, ReplayOf: "event"})
	}
	if len(runs) == 0 {
		return nil, nil
	}
	if err := e.st.AddRuns(ctx, runs); err != nil {
		return nil, err
	}
	e.outstanding.Add(int64(len(runs)))
	e.poke()
	return runs, nil
}

// LoadSnapshot loads and compiles a config file: the one path used by
// serve, reload and validate.
func LoadSnapshot(path string) (*Snapshot, error) {
	cfg, err := config.Load(path)
	return buildReporting(cfg, err)
}

// ParseSnapshot is LoadSnapshot for bytes already read.
func ParseSnapshot(path string, raw []byte) (*Snapshot, error) {
	cfg, err := config.Parse(path, raw, os.LookupEnv)
	return buildReporting(cfg, err)
}

// buildReporting compiles cfg; when loading already found problems it still
// compiles what it can so that every problem is reported in one go.
func buildReporting(cfg *config.Config, loadErr error) (*Snapshot, error) {
	if cfg == nil {
		return nil, loadErr
	}
	snap, err := Build(cfg)
	if loadErr == nil {
		return snap, err
	}
	var all config.Errors // both already redacted with cfg's secrets
	all.AddErr("", loadErr)
	if err != nil {
		all.AddErr("", err)
	}
	return nil, all
}
