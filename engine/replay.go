package engine

import (
	"context"
	"fmt"

	"github.com/hookrunner/hookrunner/payload"
	"github.com/hookrunner/hookrunner/store"
)

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

// ReplayRule replays the runs f selects (every dead run of a rule, by
// default), at most store.MaxReplay at a time.
func (e *Engine) ReplayRule(ctx context.Context, f store.ReplayFilter) ([]*store.Run, error) {
	rs, err := e.st.ReplayRule(ctx, f, e.Snapshot().Hash, e.now())
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
