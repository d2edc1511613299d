package engine

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/hookrunner/hookrunner/providers"
	"github.com/hookrunner/hookrunner/ruleset"
	"github.com/hookrunner/hookrunner/store"
)

// Received is a verified request handed over by the server.
type Received struct {
	Snapshot *ruleset.Snapshot
	Source   *ruleset.Source
	Identity providers.Identity
	Header   http.Header
	Query    string
	Body     []byte
	Payload  any
	RemoteIP string
	// RemoteAddr is the connection's address (ip:port), for templates.
	RemoteAddr string
	ReceivedAt time.Time
	// Coverage is what the provider's verification covered; it is stored
	// with the event (zero: the request came from a poll or a test).
	Coverage providers.Coverage
}

// Accepted is the outcome of Accept.
type Accepted struct {
	EventID   string
	Duplicate bool
	Matched   []string
	// SyncRun is a run of a `respond: sync` rule, already claimed by this
	// process, for the caller to execute with RunSync; nil when its rule
	// had no room under `concurrency:` (queued: answer as for async).
	SyncRun  *store.Run
	SyncRule *ruleset.Rule
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
	if acc.SyncRun != nil && slices.Contains(res.Queued, acc.SyncRun.ID) {
		acc.SyncRun, acc.SyncRule = nil, nil
	}
	e.accepted(matched, len(runs))
	e.stored.Fire()
	return acc, nil
}

func (e *Engine) accepted(matched []*ruleset.Rule, runs int) {
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
func (e *Engine) prepare(rc *Received, allowSync bool) (*store.Event, []*store.Run, *Accepted, []*ruleset.Rule) {
	evID := store.NewID()
	// Headers as stored: lower-case keys, credential headers and known
	// secret values redacted (the verifier has used them already), signature
	// headers kept (see redact.IsSignatureHeader).
	headers, query := rc.Snapshot.Redactor.Headers(rc.Header), rc.Snapshot.Redactor.Query(rc.Query)
	env := ruleset.NewEnv(rc.Source.Name, rc.Source.Provider, rc.Identity, evID, headers, query, rc.Payload, rc.RemoteIP, rc.ReceivedAt)
	env.Body, env.RemoteAddr = rc.Body, rc.RemoteAddr
	matched := rc.Source.MatchReporting(env, func(r *ruleset.Rule, err error) {
		e.log.Warn("condition error: rule does not match", "event_id", evID, "rule", r.Name, "error", err)
	})
	verification := "verified"
	switch {
	case rc.Source.NoVerify:
		verification = "none (verify: none)"
	case rc.Coverage.Scope == providers.ScopeNone && rc.Source.Poll == nil:
		// The provider signs nothing (salesforce-outbound): say so.
		verification = "unsigned (" + rc.Source.Provider + " signs nothing)"
	case rc.Coverage.Scope == providers.ScopeFormField:
		verification = "verified: " + rc.Coverage.String()
	}
	if rc.Source.Poll != nil {
		verification = "polled"
	}
	ev := &store.Event{ID: evID, Source: rc.Source.Name, Provider: rc.Source.Provider, Event: rc.Identity.Event,
		DeliveryID: rc.Identity.DeliveryID, Headers: headers, Query: query, Body: rc.Body, RemoteIP: rc.RemoteIP, RemoteAddr: rc.RemoteAddr,
		ReceivedAt: rc.ReceivedAt, Verification: verification, ConfigHash: rc.Snapshot.Hash}
	acc := &Accepted{EventID: evID}
	runs := make([]*store.Run, 0, len(matched))
	now := e.now()
	for _, r := range matched {
		ev.Matched = append(ev.Matched, r.Name)
		run := &store.Run{ID: store.NewID(), EventID: evID, Rule: r.Name, ConfigHash: rc.Snapshot.Hash, State: store.Pending,
			NextAttemptAt: now, CreatedAt: now, UpdatedAt: now, Concurrency: store.RunLimit(r.Concurrency)}
		if allowSync && r.Sync && acc.SyncRun == nil {
			// Claimed at birth so no worker takes it: the request executes
			// it (Ingest queues it instead when its rule has no room).
			run.State, run.ClaimedBy, run.Attempt = store.Running, e.owner, 1
			run.NextAttemptAt = now.Add(r.SyncTimeout + time.Minute)
			acc.SyncRun, acc.SyncRule = run, r
		}
		runs = append(runs, run)
	}
	acc.Matched = ev.Matched
	return ev, runs, acc, matched
}
