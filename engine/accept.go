package engine

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hookrunner/hookrunner/expression"
	"github.com/hookrunner/hookrunner/internal/redact"
	"github.com/hookrunner/hookrunner/providers"
	"github.com/hookrunner/hookrunner/store"
)

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
