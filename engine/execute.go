package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/hookrunner/hookrunner/actions"
	"github.com/hookrunner/hookrunner/payload"
	"github.com/hookrunner/hookrunner/providers"
	"github.com/hookrunner/hookrunner/ruleset"
	"github.com/hookrunner/hookrunner/store"
)

// SyncResult is what a synchronous run produced.
type SyncResult struct {
	Result *actions.Result
	Err    error
	State  store.State
}

// RunSync executes a run claimed at Accept in the caller's goroutine, for a
// `respond: sync` rule; failures go through the normal retry path.
func (e *Engine) RunSync(ctx context.Context, run *store.Run, r *ruleset.Rule) SyncResult {
	return e.RunStream(ctx, run, r, nil)
}

// RunStream is RunSync sending standard output to w as it is produced
// (`respond: stream`); a streamed run is not bounded by sync_timeout, only
// by its actions' own timeouts.
func (e *Engine) RunStream(ctx context.Context, run *store.Run, r *ruleset.Rule, w io.Writer) SyncResult {
	ctx, leave := e.syncs.Join(ctx) // Run's drain: the grace, then errShutdown
	defer leave()
	var cancel context.CancelFunc
	if w == nil {
		ctx, cancel = context.WithTimeout(ctx, r.SyncTimeout)
	} else {
		ctx, cancel = context.WithCancel(ctx)
	}
	defer cancel()
	e.track(run.ID, cancel)
	defer e.untrack(run.ID)
	return e.executeWith(ctx, run, w, nil, true)
}

// revisionWaits bounds the one-minute waits (interrupted attempts) of a
// run whose config revision or rule cannot be rebuilt: about an hour.
const revisionWaits = 60

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
//
// done, when not nil, is called once the actions are over, before the
// outcome is written: the worker pool frees the worker's slot then, so the
// next run starts while this one's Finish waits for its group commit (and
// shares it with others). The run stays tracked, its lease kept, until
// execute returns.
func (e *Engine) execute(ctx context.Context, run *store.Run, done func()) SyncResult {
	return e.executeWith(ctx, run, nil, done, false)
}

func (e *Engine) executeWith(ctx context.Context, run *store.Run, stream io.Writer, done func(), answer bool) SyncResult {
	log := e.log.With("event_id", run.EventID, "run_id", run.ID, "rule", run.Rule, "attempt", run.Attempt)
	ctx = actions.WithGate(ctx, e.dest)
	started := e.now()
	gone := &goneProcesses{}
	finish := func(o store.Outcome) {
		if done != nil {
			done()
		}
		o.Attempt.RunID, o.Attempt.N, o.Attempt.StartedAt = run.ID, run.Attempt, started
		o.Attempt.Duration = e.now().Sub(started)
		o.Forget = gone.take()
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if err := e.st.Finish(fctx, e.owner, run.ID, o); err != nil {
			e.forget(o.Forget, log)
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
		e.observe(run, o)
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
		// The revision cannot be read or rebuilt now, or the rule needs a
		// secret gone since: never run under another rule. Wait a minute,
		// spending no attempt, up to revisionWaits times; then dead.
		o := store.Outcome{State: store.Retrying, Step: run.Step, NextAttemptAt: e.now().Add(time.Minute), Attempt: store.Attempt{Error: err.Error(), Interrupted: run.Interrupted < revisionWaits}}
		if !o.Attempt.Interrupted {
			o.State, o.Attempt.Error = store.Dead, fmt.Sprintf("%v (waited %d minutes: dead; `hookrunner replay` runs it under the config in force)", err, revisionWaits)
		}
		log.Error("load the run's config revision", "error", err, "state", o.State)
		finish(o)
		return SyncResult{Err: err, State: o.State}
	}
	ev, err := run.Event, error(nil)
	if ev == nil {
		ev, err = e.st.GetEvent(ctx, run.EventID)
	}
	if err != nil {
		st := store.Retrying
		if errors.Is(err, store.ErrNotFound) {
			st = store.Dead
		}
		finish(store.Outcome{State: st, Step: run.Step, NextAttemptAt: e.now().Add(rule.Retry.Backoff.D()), Attempt: store.Attempt{Error: "load event: " + err.Error()}})
		return SyncResult{Err: err, State: st}
	}
	// Decoded when a template first reads it: a fixed URL with the body
	// passed on as received never pays for it.
	env := StoredEnv(ev, nil)
	env.SetPayloadFunc(func() any {
		doc, _, _ := payload.Decode(ev.Headers["content-type"], ev.Body)
		return providers.ShapePayload(ev.Provider, doc) // as NewEnv shapes it
	})
	env.Rule, env.RunID, env.Attempt = rule.Name, run.ID, run.Attempt
	inv := &actions.Invocation{Env: env, Body: ev.Body, OutputLimit: int(e.outputLimit.Load()), Stream: stream, Answer: answer,
		Started: e.processStarted(run, log, gone),
		// Credentials from the source as configured in the run's revision.
		RelayHeader: func() http.Header { return runSnap.Sources[ev.Source].RelayHeader(ev.Headers, ev.Body) }}

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
		log.Info("run succeeded", "duration_s", e.now().Sub(started).Round(time.Millisecond).Seconds(), "detail", att.Detail)
		return SyncResult{Result: &res, State: store.Succeeded}
	}
	if w := actions.AsWait(runErr); w != nil {
		// Its destination cannot be sent to now: no attempt spent.
		if done != nil {
			done()
		}
		e.wait(ctx, run, step, w, log)
		return SyncResult{Result: &res, Err: runErr, State: store.Waiting}
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
