package engine

import (
	"context"
	"net"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookrunner/hookrunner/alerts"
	"github.com/hookrunner/hookrunner/store"
)

// AlertTick is how often grouped alert causes are looked at: a cause held
// back by its group's repeat interval fires within this of its end.
const AlertTick = 5 * time.Second

// Fired is a firing of an alert as the console and the API list it.
type Fired = alerts.Fired

func (e *Engine) newAlerts() *alerts.Notifier {
	fired := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hookrunner_alerts_fired_total", Help: "Alert firings, by alert and kind of cause.",
	}, []string{"alert", "kind"})
	e.metrics.Registry.MustRegister(fired)
	return alerts.New(alerts.Options{Snapshot: e.Snapshot, Logger: e.log, Now: e.now, Fired: fired, ConsoleURL: e.consoleURL})
}

// consoleURL is the base of the console on the admin listener.
func (e *Engine) consoleURL() string {
	c := e.Snapshot().Config
	if c == nil || c.Admin.Listen == "" {
		return ""
	}
	host, port, err := net.SplitHostPort(c.Admin.Listen)
	if err != nil {
		return ""
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// FiredAlerts lists the alerts this process fired, newest first.
func (e *Engine) FiredAlerts() []Fired { return e.alerts.List() }

// runAlerts delivers alert causes until ctx ends.
func (e *Engine) runAlerts(ctx context.Context) { e.alerts.Run(ctx, AlertTick) }

// observe reports a recorded run outcome to the alerts.
func (e *Engine) observe(run *store.Run, o store.Outcome) {
	if len(e.Snapshot().Alerts) == 0 {
		return // the usual case costs nothing per run
	}
	c := alerts.Cause{Rule: run.Rule, RunID: run.ID, EventID: run.EventID, Error: o.Attempt.Error}
	if run.Event != nil {
		c.Source = run.Event.Source
	}
	switch {
	case o.State == store.Dead:
		c.Kind = alerts.RunDead
	case o.State == store.Retrying:
		c.Kind = alerts.RunFailed
	case o.State == store.Succeeded:
		c.Kind = alerts.RunSucceeded
	default:
		return
	}
	e.alerts.Notify(c)
}

func (e *Engine) alertReload(err error) {
	e.alerts.Notify(alerts.Cause{Kind: alerts.ReloadFailed, Error: err.Error()})
}

func (e *Engine) alertStore(err error) {
	e.alerts.Notify(alerts.Cause{Kind: alerts.StoreUnavailable, Error: err.Error()})
}

// Refused counts a request the webhook listener refused (source.rejected).
func (e *Engine) Refused(source, reason string) { e.alerts.Refused(source, reason) }
