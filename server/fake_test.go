package server

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hookrunner/hookrunner/engine"
	"github.com/hookrunner/hookrunner/internal/redact"
	"github.com/hookrunner/hookrunner/ruleset"
	"github.com/hookrunner/hookrunner/store"
)

// fakeCore is the engine as the admin listener sees it (Core), in memory:
// the server's tests need no store, no database file and no child process.
// Its config is a real compiled snapshot (ruleset.Load), so the
// admin token, hosts and redaction are the real ones.
type fakeCore struct {
	mu       sync.Mutex
	snap     *ruleset.Snapshot
	metrics  *engine.Metrics
	events   []*store.Event // oldest first
	runs     []*store.Run   // oldest first
	attempts map[string][]*store.Attempt
	revs     []*store.Revision // oldest first
	replayed []store.ReplayFilter
	dests    engine.DestinationStatus
	fired    []engine.Fired
}

func (f *fakeCore) Refused(source, reason string) {}

func (f *fakeCore) FiredAlerts() []engine.Fired {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fired
}

func (f *fakeCore) DestinationStatus() engine.DestinationStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.dests
}

var _ Core = (*fakeCore)(nil)

func newFakeCore(snap *ruleset.Snapshot) *fakeCore {
	f := &fakeCore{snap: snap, attempts: map[string][]*store.Attempt{}}
	f.metrics = engine.NewMetrics(f)
	return f
}

// swap installs s as the engine does: its redactor keeps the secrets of
// the config it replaces.
func (f *fakeCore) swap(s *ruleset.Snapshot) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s.Redactor = s.Redactor.Merge(f.snap.Redactor)
	f.snap = s
}

// recordRevision stores snap's revision as the engine records it.
func (f *fakeCore) recordRevision(snap *ruleset.Snapshot) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.revs = append(f.revs, engine.Revision(snap))
}

// ingest stores an event with its runs.
func (f *fakeCore) ingest(ev *store.Event, runs ...*store.Run) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, ev)
	f.runs = append(f.runs, runs...)
}

// restarted is a new fake on the same data with only snap known, as after
// a restart.
func (f *fakeCore) restarted(snap *ruleset.Snapshot) *fakeCore {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := newFakeCore(snap)
	n.events, n.runs, n.attempts, n.revs = f.events, f.runs, f.attempts, f.revs
	return n
}

func (f *fakeCore) Snapshot() *ruleset.Snapshot {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.snap
}

func (f *fakeCore) Redactor() *redact.Redactor { return f.Snapshot().Redactor }

func (f *fakeCore) Status() engine.ConfigStatus {
	s := f.Snapshot()
	return engine.ConfigStatus{Hash: s.Hash, LoadedAt: s.LoadedAt, LastSuccess: true, Owner: "fake", Sources: len(s.Sources), Rules: len(s.Ordered)}
}

func (f *fakeCore) CheckStore(context.Context) error { return nil }

func (f *fakeCore) Metrics() *engine.Metrics { return f.metrics }

func (f *fakeCore) EventDetail(ctx context.Context, id string) (*engine.EventDetail, error) {
	return engine.LoadEventDetail(ctx, f, f.Snapshot(), id)
}

func (f *fakeCore) GetEvent(_ context.Context, id string) (*store.Event, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, ev := range f.events {
		if ev.ID == id {
			return ev, nil
		}
	}
	return nil, fmt.Errorf("event %s: %w", id, store.ErrNotFound)
}

func (f *fakeCore) ListEvents(_ context.Context, fl store.EventFilter) ([]*store.Event, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*store.Event
	for _, ev := range slices.Backward(f.events) {
		if (fl.Source == "" || ev.Source == fl.Source) && (fl.Event == "" || ev.Event == fl.Event) && !ev.ReceivedAt.Before(fl.Since) &&
			(fl.DeliveryID == "" || ev.DeliveryID == fl.DeliveryID) &&
			(fl.Before.IsZero() || ev.ReceivedAt.Before(fl.Before)) && f.hasState(ev.ID, fl.State) && (fl.Search == "" ||
			strings.Contains(ev.DeliveryID, fl.Search) || strings.Contains(string(ev.Body), fl.Search) ||
			(store.IsIDPart(fl.Search) && strings.HasSuffix(ev.ID, strings.ToLower(fl.Search)))) &&
			(fl.IDSuffix == "" || (store.IsIDPart(fl.IDSuffix) && strings.HasSuffix(ev.ID, strings.ToLower(fl.IDSuffix)))) &&
			(fl.After == nil || ev.ReceivedAt.Before(fl.After.ReceivedAt) || (ev.ReceivedAt.Equal(fl.After.ReceivedAt) && ev.ID < fl.After.ID)) {
			out = append(out, ev)
		}
	}
	if fl.Limit > 0 && len(out) > fl.Limit {
		out = out[:fl.Limit]
	}
	return out, nil
}

// hasState: the event has a run in state (any: ""; none: store.NoRuns).
func (f *fakeCore) hasState(eventID string, state store.State) bool {
	if state == "" {
		return true
	}
	n := 0
	for _, r := range f.runs {
		if r.EventID == eventID {
			n++
			if r.State == state {
				return true
			}
		}
	}
	return state == store.NoRuns && n == 0
}

func (f *fakeCore) GetRun(_ context.Context, id string) (*store.Run, []*store.Attempt, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range f.runs {
		if r.ID == id {
			return r, f.attempts[id], nil
		}
	}
	return nil, nil, fmt.Errorf("run %s: %w", id, store.ErrNotFound)
}

func (f *fakeCore) ListRuns(_ context.Context, fl store.RunFilter) ([]*store.Run, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*store.Run
	for _, r := range slices.Backward(f.runs) {
		if (fl.EventID == "" || r.EventID == fl.EventID) && (fl.Rule == "" || r.Rule == fl.Rule) && (fl.State == "" || r.State == fl.State) &&
			(len(fl.EventIDs) == 0 || slices.Contains(fl.EventIDs, r.EventID)) &&
			(fl.IDSuffix == "" || (store.IsIDPart(fl.IDSuffix) && strings.HasSuffix(r.ID, strings.ToLower(fl.IDSuffix)))) {
			out = append(out, r)
		}
	}
	return out, nil
}

func (f *fakeCore) CountStates(context.Context) (map[store.State]int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[store.State]int{}
	for _, r := range f.runs {
		out[r.State]++
	}
	return out, nil
}

func (f *fakeCore) CountRules(context.Context, time.Time) ([]store.RuleCount, error) { return nil, nil }

// Replays are refused as the store refuses unknown runs and events.
func (f *fakeCore) ReplayRun(_ context.Context, id string) (*store.Run, error) {
	return nil, fmt.Errorf("run %s: %w", id, store.ErrNotFound)
}

// ReplayRule and CountReplay select as the store does; ReplayRule
// records what it was asked (replayed).
func (f *fakeCore) ReplayRule(ctx context.Context, fl store.ReplayFilter) ([]*store.Run, error) {
	sel, err := f.replaySelection(fl)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.replayed = append(f.replayed, fl)
	var out []*store.Run
	for _, r := range sel {
		r.State = store.Replayed
		out = append(out, &store.Run{ID: store.NewID(), EventID: r.EventID, Rule: r.Rule, State: store.Pending, ReplayOf: r.ID})
	}
	f.runs = append(f.runs, out...)
	return out, err
}

func (f *fakeCore) CountReplay(ctx context.Context, fl store.ReplayFilter) (int, error) {
	sel, err := f.replaySelection(fl)
	return len(sel), err
}

func (f *fakeCore) replaySelection(fl store.ReplayFilter) ([]*store.Run, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if fl.State == "" {
		fl.State = store.Dead
	}
	if fl.State != store.Dead && fl.State != store.Succeeded {
		return nil, store.ErrNotReplayable
	}
	var out []*store.Run
	for _, r := range f.runs {
		if r.Rule == fl.Rule && r.State == fl.State && !r.CreatedAt.Before(fl.Since) && (fl.Until.IsZero() || r.CreatedAt.Before(fl.Until)) {
			out = append(out, r)
		}
	}
	return out, nil
}

func (f *fakeCore) ReplayEvent(_ context.Context, id string) ([]*store.Run, error) {
	return nil, fmt.Errorf("event %s: %w", id, store.ErrNotFound)
}

func (f *fakeCore) GetRevision(_ context.Context, hash string) (*store.Revision, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range f.revs {
		if r.Hash == hash {
			return r, nil
		}
	}
	return nil, fmt.Errorf("revision %s: %w", hash, store.ErrNotFound)
}

func (f *fakeCore) ListRevisions(context.Context, int) ([]*store.Revision, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Collect(func(yield func(*store.Revision) bool) {
		for _, r := range slices.Backward(f.revs) {
			if !yield(r) {
				return
			}
		}
	}), nil
}
