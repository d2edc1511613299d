package server

import (
	"github.com/hookrunner/hookrunner/engine"
	"github.com/hookrunner/hookrunner/internal/redact"
	"github.com/hookrunner/hookrunner/store"
)

// What the admin API and the console show passes through the engine's
// redactor (internal/redact): stored data written before redaction
// existed, or under a config whose secrets were not yet known, is
// redacted again on the way out.

func redactEvent(r *redact.Redactor, ev *store.Event) *store.Event {
	if ev == nil {
		return nil
	}
	c := *ev
	c.Headers = r.HeaderMap(ev.Headers)
	c.Query = r.Query(ev.Query)
	c.DeliveryID = r.String(ev.DeliveryID)
	return &c
}

func redactEvents(r *redact.Redactor, evs []*store.Event) []*store.Event {
	if evs == nil {
		return nil
	}
	out := make([]*store.Event, len(evs))
	for i, ev := range evs {
		out[i] = redactEvent(r, ev)
	}
	return out
}

func redactRun(r *redact.Redactor, run *store.Run) *store.Run {
	if run == nil {
		return nil
	}
	c := *run
	c.LastError, c.Output, c.Detail = r.String(run.LastError), r.String(run.Output), r.String(run.Detail)
	return &c
}

func redactRuns(r *redact.Redactor, runs []*store.Run) []*store.Run {
	if runs == nil {
		return nil
	}
	out := make([]*store.Run, len(runs))
	for i, run := range runs {
		out[i] = redactRun(r, run)
	}
	return out
}

func redactAttempts(r *redact.Redactor, atts []*store.Attempt) []*store.Attempt {
	if atts == nil {
		return nil
	}
	out := make([]*store.Attempt, len(atts))
	for i, a := range atts {
		c := *a
		c.Error, c.Output, c.Detail = r.String(a.Error), r.String(a.Output), r.String(a.Detail)
		out[i] = &c
	}
	return out
}

func redactStatus(r *redact.Redactor, st engine.ConfigStatus) engine.ConfigStatus {
	st.LastError = r.String(st.LastError)
	return st
}

// configView is the config in force as the console and /api/config show
// it: every secret-named key masked, every known secret value replaced.
func configView(e ConfigState) any {
	snap := e.Snapshot()
	return snap.Redactor.JSON(snap.Config.File)
}
