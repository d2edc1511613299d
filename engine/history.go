package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/hookrunner/hookrunner/expression"
	"github.com/hookrunner/hookrunner/payload"
	"github.com/hookrunner/hookrunner/providers"
	"github.com/hookrunner/hookrunner/ruleset"
	"github.com/hookrunner/hookrunner/store"
)

// The reads the admin API and the console need, delegated to the store so
// that the store itself never leaves the engine.

// GetEvent returns a stored event.
func (e *Engine) GetEvent(ctx context.Context, id string) (*store.Event, error) {
	return e.st.GetEvent(ctx, id)
}

// ListEvents lists stored events, newest first.
func (e *Engine) ListEvents(ctx context.Context, f store.EventFilter) ([]*store.Event, error) {
	return e.st.ListEvents(ctx, f)
}

// GetRun returns a run with its attempts.
func (e *Engine) GetRun(ctx context.Context, id string) (*store.Run, []*store.Attempt, error) {
	return e.st.GetRun(ctx, id)
}

// ListRuns lists runs, newest first.
func (e *Engine) ListRuns(ctx context.Context, f store.RunFilter) ([]*store.Run, error) {
	return e.st.ListRuns(ctx, f)
}

// CountStates returns the number of runs in each state.
func (e *Engine) CountStates(ctx context.Context) (map[store.State]int, error) {
	return e.st.CountStates(ctx)
}

// CountRules returns run counts per source, rule and state since a time.
func (e *Engine) CountRules(ctx context.Context, since time.Time) ([]store.RuleCount, error) {
	return e.st.CountRules(ctx, since)
}

// GetRevision returns a recorded config revision, or store.ErrNotFound.
func (e *Engine) GetRevision(ctx context.Context, hash string) (*store.Revision, error) {
	return e.st.GetRevision(ctx, hash)
}

// ListRevisions returns recorded config revisions, newest first.
func (e *Engine) ListRevisions(ctx context.Context, limit int) ([]*store.Revision, error) {
	return e.st.ListRevisions(ctx, limit)
}

// EventDetail is an event with its runs, its decoded payload and today's
// decision of every rule of its source. LoadEventDetail fills it
// unredacted: whoever shows it redacts it.
type EventDetail struct {
	Event     *store.Event       `json:"event"`
	Payload   any                `json:"payload"`
	Runs      []*store.Run       `json:"runs"`
	Decisions []ruleset.Decision `json:"decisions"`
}

// EventReader is the part of a store an event's detail is read from.
type EventReader interface {
	GetEvent(ctx context.Context, id string) (*store.Event, error)
	ListRuns(ctx context.Context, f store.RunFilter) ([]*store.Run, error)
}

// LoadEventDetail reads event id and its runs (never nil) and decodes its
// payload; with snap, it adds the decisions of the rules of the event's
// source under snap (none when snap no longer has the source). The one
// builder of the event detail: admin API, console and CLI.
func LoadEventDetail(ctx context.Context, r EventReader, snap *ruleset.Snapshot, id string) (*EventDetail, error) {
	ev, err := r.GetEvent(ctx, id)
	if err != nil {
		return nil, err
	}
	runs, err := r.ListRuns(ctx, store.RunFilter{EventID: ev.ID, Limit: 1000})
	if err != nil {
		return nil, fmt.Errorf("runs of event %s: %w", ev.ID, err)
	}
	if runs == nil {
		runs = []*store.Run{}
	}
	d := &EventDetail{Event: ev, Runs: runs}
	d.Payload, _, _ = payload.Decode(ev.Headers["content-type"], ev.Body)
	d.Payload = providers.ShapePayload(ev.Provider, d.Payload) // as rules see it
	if snap == nil {
		return d, nil
	}
	if src := snap.Sources[ev.Source]; src != nil {
		d.Decisions = src.Explain(StoredEnv(ev, d.Payload))
	}
	return d, nil
}

// EventDetail is LoadEventDetail on the engine's store and config in force.
func (e *Engine) EventDetail(ctx context.Context, id string) (*EventDetail, error) {
	return LoadEventDetail(ctx, e.st, e.Snapshot(), id)
}

// StoredEnv is the expression environment of a stored event whose payload
// is already decoded.
func StoredEnv(ev *store.Event, payload any) *expression.Env {
	env := ruleset.NewEnv(ev.Source, ev.Provider, providers.Identity{Event: ev.Event, DeliveryID: ev.DeliveryID}, ev.ID, ev.Headers, ev.Query, payload, ev.RemoteIP, ev.ReceivedAt)
	env.Body, env.RemoteAddr = ev.Body, ev.RemoteAddr
	return env
}
