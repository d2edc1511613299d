package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/hookrunner/hookrunner/config"
	"github.com/hookrunner/hookrunner/payload"
	"github.com/hookrunner/hookrunner/ruleset"
	"github.com/hookrunner/hookrunner/store"
)

// ReplayRun replays a dead or succeeded run with today's config.
func (e *Engine) ReplayRun(ctx context.Context, runID string) (*store.Run, error) {
	snap := e.Snapshot()
	r, err := e.st.Replay(ctx, runID, store.Config{Hash: snap.Hash, Concurrency: snap.ConcurrencyLimits()}, e.now())
	if err != nil {
		return nil, err
	}
	e.outstanding.Add(1)
	e.poke()
	return r, nil
}

// ReplayRule replays the runs f selects (every dead run of a rule, by
// default), at most store.MaxReplay at a time. A rule the config in force
// does not have is an UnknownRuleError: its runs could not run under it.
func (e *Engine) ReplayRule(ctx context.Context, f store.ReplayFilter) ([]*store.Run, error) {
	snap := e.Snapshot()
	if snap.Rules[f.Rule] == nil {
		return nil, unknownRule(snap, f.Rule)
	}
	rs, err := e.st.ReplayRule(ctx, f, store.Config{Hash: snap.Hash, Concurrency: snap.ConcurrencyLimits()}, e.now())
	if err != nil {
		return nil, err
	}
	e.outstanding.Add(int64(len(rs)))
	e.poke()
	return rs, nil
}

// CountReplay is the number of runs ReplayRule(f) would queue now.
func (e *Engine) CountReplay(ctx context.Context, f store.ReplayFilter) (int, error) {
	return e.st.CountReplay(ctx, f)
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
	doc, _, _ := payload.Decode(ev.Headers["content-type"], ev.Body)
	env := StoredEnv(ev, doc)
	now := e.now()
	var runs []*store.Run
	for _, r := range src.Match(env) {
		runs = append(runs, &store.Run{ID: store.NewID(), EventID: ev.ID, Rule: r.Name, ConfigHash: snap.Hash, State: store.Pending,
			NextAttemptAt: now, CreatedAt: now, UpdatedAt: now, ReplayOf: "event", Concurrency: store.RunLimit(r.Concurrency)})
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

// UnknownRuleError names a rule the config in force does not have, with
// the ones it has; it is a store.ErrNotFound (the admin API answers 404).
type UnknownRuleError struct {
	Rule  string
	Known []string
}

func (e *UnknownRuleError) Error() string {
	if len(e.Known) == 0 {
		return fmt.Sprintf("unknown rule %q: the config in force has no rules", e.Rule)
	}
	return fmt.Sprintf("unknown rule %q%s; the rules in force are: %s", e.Rule, config.Suggest(e.Rule, append([]string(nil), e.Known...)), strings.Join(e.Known, ", "))
}

// Is makes the error a store.ErrNotFound.
func (e *UnknownRuleError) Is(target error) bool { return target == store.ErrNotFound }

func unknownRule(snap *ruleset.Snapshot, rule string) error {
	known := make([]string, len(snap.Ordered))
	for i, r := range snap.Ordered {
		known[i] = r.Name
	}
	return &UnknownRuleError{Rule: rule, Known: known}
}
