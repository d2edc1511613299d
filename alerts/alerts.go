// Package alerts fires the `alerts:` of the config in force: it takes the
// causes the engine reports (a dead run, a failed attempt, a store that
// stopped taking writes, a failed reload), groups them per alert, kind
// and rule, rate-limits each group to one firing per repeat interval, and
// runs the alert's actions with `alert` in their environment. Alert
// actions run here, not as runs: their failures are logged and listed,
// never a cause of another alert.
package alerts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookrunner/hookrunner/actions"
	"github.com/hookrunner/hookrunner/expression"
	"github.com/hookrunner/hookrunner/internal/redact"
	"github.com/hookrunner/hookrunner/ruleset"
)

// Cause kinds. RunSucceeded is not an alert kind: it ends a rule's streak
// of failures (rule.failing).
const (
	RunDead          = "run.dead"
	RunFailed        = "run.failed"
	RuleFailing      = "rule.failing"
	StoreUnavailable = "store.unavailable"
	ReloadFailed     = "reload.failed"
	SourceRejected   = "source.rejected"
	RunSucceeded     = "run.succeeded"
)

// RejectWindow is the window over which refused requests are counted for
// source.rejected.
const RejectWindow = time.Minute

// Cause is something that went wrong.
type Cause struct {
	Kind, Rule, RunID, EventID, Source, Error string
	At                                        time.Time
}

// Fired is one firing of an alert, as the console and the API list it.
type Fired struct {
	Alert   string    `json:"alert"`
	Kind    string    `json:"kind"`
	Rule    string    `json:"rule,omitempty"`
	RunID   string    `json:"run_id,omitempty"`
	EventID string    `json:"event_id,omitempty"`
	Source  string    `json:"source,omitempty"`
	Error   string    `json:"error,omitempty"`
	Count   int       `json:"count"`
	At      time.Time `json:"at"`
	// Failed is why the alert's actions failed ("" when they succeeded).
	Failed string `json:"failed,omitempty"`
}

// Options configure a Notifier.
type Options struct {
	// Snapshot returns the config in force (its alerts and redactor).
	Snapshot func() *ruleset.Snapshot
	Logger   *slog.Logger
	Now      func() time.Time
	// ConsoleURL is the base of the console links (http://host:port).
	ConsoleURL func() string
	// Fired counts firings (hookrunner_alerts_fired_total{alert,kind}).
	Fired *prometheus.CounterVec
}

// Keep is how many firings are listed.
const Keep = 200

// Notifier groups causes and fires alerts.
type Notifier struct {
	o       Options
	causes  chan Cause
	dropped atomic.Int64

	mu      sync.Mutex
	groups  map[string]*group
	streaks map[string]int // consecutive failed attempts per rule
	refused map[string]*refusals
	fired   []Fired // newest last
	running sync.WaitGroup
}

// refusals counts a source's refused requests in the current window.
type refusals struct {
	start time.Time
	count int
	last  string
	fired map[string]bool // alerts fired for this window
}

// group is an alert's causes of one kind and rule.
type group struct {
	last    time.Time // last firing
	pending int       // causes since, not yet reported
	latest  Cause
}

// New returns a Notifier; Run delivers what Notify reports.
func New(o Options) *Notifier {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.ConsoleURL == nil {
		o.ConsoleURL = func() string { return "" }
	}
	return &Notifier{o: o, causes: make(chan Cause, 1024), groups: map[string]*group{}, streaks: map[string]int{},
		refused: map[string]*refusals{}}
}

// Notify reports a cause; it never blocks (a full queue drops it, logged).
func (n *Notifier) Notify(c Cause) {
	if c.At.IsZero() {
		c.At = n.o.Now()
	}
	select {
	case n.causes <- c:
	default:
		// Logged at 1, 2, 4, 8, ... drops: a flood does not flood the log.
		if d := n.dropped.Add(1); d&(d-1) == 0 {
			n.o.Logger.Warn("alert queue full: causes dropped", "dropped", d, "kind", c.Kind, "rule", c.Rule)
		}
	}
}

// Refused counts a request the webhook listener refused (source.rejected
// fires once a source's refusals in RejectWindow reach an alert's
// threshold). It is cheap: a flood of refusals is what it counts.
func (n *Notifier) Refused(source, reason string) {
	now := n.o.Now()
	n.mu.Lock()
	defer n.mu.Unlock()
	r := n.refused[source]
	if r == nil || now.Sub(r.start) >= RejectWindow {
		if r == nil && len(n.refused) >= 4096 {
			return // sources are configured names; this bound is never reached
		}
		r = &refusals{start: now, fired: map[string]bool{}}
		n.refused[source] = r
	}
	r.count++
	r.last = reason
}

// Run delivers causes until ctx ends, and fires grouped causes once their
// repeat interval has passed (checked every tick).
func (n *Notifier) Run(ctx context.Context, tick time.Duration) {
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			n.running.Wait()
			return
		case c := <-n.causes:
			n.handle(ctx, c)
		case <-t.C:
			n.flush(ctx)
		}
	}
}

// List returns the firings kept, newest first.
func (n *Notifier) List() []Fired {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := slices.Clone(n.fired)
	slices.Reverse(out)
	return out
}

func (n *Notifier) handle(ctx context.Context, c Cause) {
	snap := n.o.Snapshot()
	if snap == nil {
		return
	}
	// rule.failing: a streak of failed attempts reaching an alert's
	// threshold is a cause of its own, once per streak.
	var streak int
	if c.Rule != "" {
		n.mu.Lock()
		switch c.Kind {
		case RunSucceeded:
			delete(n.streaks, c.Rule)
		case RunFailed, RunDead:
			n.streaks[c.Rule]++
			streak = n.streaks[c.Rule]
		}
		n.mu.Unlock()
	}
	for _, a := range snap.Alerts {
		if !matchRule(a, c.Rule) {
			continue
		}
		if slices.Contains(a.On, c.Kind) {
			n.group(ctx, a, c)
		}
		if streak > 0 && streak == a.Failures && slices.Contains(a.On, RuleFailing) {
			f := c
			f.Kind = RuleFailing
			f.Error = fmt.Sprintf("%d consecutive failed attempts; last: %s", streak, c.Error)
			n.group(ctx, a, f)
		}
	}
}

func matchRule(a *ruleset.Alert, rule string) bool {
	if len(a.Rules) == 0 {
		return true
	}
	for _, g := range a.Rules {
		if ok, _ := path.Match(g, rule); ok {
			return true
		}
	}
	return false
}

// group fires c now unless its group fired within the repeat interval;
// then it is counted and reported by flush.
func (n *Notifier) group(ctx context.Context, a *ruleset.Alert, c Cause) {
	key := a.Name + "\x00" + c.Kind + "\x00" + c.Rule + "\x00" + c.Source
	now := n.o.Now()
	n.mu.Lock()
	g := n.groups[key]
	if g == nil {
		g = &group{}
		n.groups[key] = g
	}
	if !g.last.IsZero() && now.Sub(g.last) < a.Repeat {
		g.pending++
		g.latest = c
		n.mu.Unlock()
		return
	}
	g.last = now
	n.mu.Unlock()
	n.fire(ctx, a, c, 1)
}

// flush fires the groups whose repeat interval is over with the causes
// they counted.
func (n *Notifier) flush(ctx context.Context) {
	snap := n.o.Snapshot()
	if snap == nil {
		return
	}
	now := n.o.Now()
	type due struct {
		a     *ruleset.Alert
		c     Cause
		count int
	}
	var fire []due
	var rejected []due
	n.mu.Lock()
	for source, r := range n.refused {
		if now.Sub(r.start) >= RejectWindow {
			delete(n.refused, source)
			continue
		}
		for _, a := range snap.Alerts {
			if r.fired[a.Name] || r.count < a.Refused || !slices.Contains(a.On, SourceRejected) || len(a.Rules) > 0 {
				continue
			}
			r.fired[a.Name] = true
			rejected = append(rejected, due{a, Cause{Kind: SourceRejected, Source: source, At: now,
				Error: fmt.Sprintf("%d requests refused within %s (last: %s)", r.count, RejectWindow, r.last)}, r.count})
		}
	}
	for _, a := range snap.Alerts {
		for key, g := range n.groups {
			if g.pending == 0 || len(key) <= len(a.Name) || key[:len(a.Name)+1] != a.Name+"\x00" || now.Sub(g.last) < a.Repeat {
				continue
			}
			fire = append(fire, due{a, g.latest, g.pending})
			g.pending, g.last = 0, now
		}
	}
	n.mu.Unlock()
	for _, d := range fire {
		n.fire(ctx, d.a, d.c, d.count)
	}
	for _, d := range rejected {
		n.group(ctx, d.a, d.c)
	}
}

// fire runs a's actions for c in the background (a slow chat server
// must not hold back other alerts).
func (n *Notifier) fire(ctx context.Context, a *ruleset.Alert, c Cause, count int) {
	snap := n.o.Snapshot()
	red := snap.Redactor
	if red == nil {
		red = redact.New()
	}
	f := Fired{Alert: a.Name, Kind: c.Kind, Rule: c.Rule, RunID: c.RunID, EventID: c.EventID, Source: c.Source,
		Error: red.String(c.Error), Count: count, At: n.o.Now()}
	url := n.o.ConsoleURL()
	if url != "" {
		if c.RunID != "" {
			url += "/ui/runs/" + c.RunID
		} else {
			url += "/ui"
		}
	}
	env := &expression.Env{Rule: "alert:" + a.Name, Source: c.Source, ID: c.EventID, RunID: c.RunID,
		Alert: &expression.Alert{Name: a.Name, Kind: c.Kind, Rule: c.Rule, RunID: c.RunID, EventID: c.EventID, Source: c.Source,
			Error: f.Error, Count: count, URL: url}}
	if n.o.Fired != nil {
		n.o.Fired.WithLabelValues(a.Name, c.Kind).Inc()
	}
	n.running.Add(1)
	go func() {
		defer n.running.Done()
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		var errs []error
		for i, st := range a.Steps {
			inv := &actions.Invocation{Env: env, OutputLimit: 4 << 10}
			if _, err := st.Action.Run(actx, inv); err != nil {
				errs = append(errs, fmt.Errorf("actions[%d] (%s): %w", i, st.Kind, err))
			}
		}
		if err := errors.Join(errs...); err != nil {
			f.Failed = red.String(err.Error())
			// Logged and listed only: an alert's failure is never a cause.
			n.o.Logger.Error("alert actions failed", "alert", a.Name, "kind", c.Kind, "error", f.Failed)
		} else {
			n.o.Logger.Info("alert fired", "alert", a.Name, "kind", c.Kind, "rule", c.Rule, "count", count)
		}
		n.mu.Lock()
		n.fired = append(n.fired, f)
		if len(n.fired) > Keep {
			n.fired = slices.Delete(n.fired, 0, len(n.fired)-Keep)
		}
		n.mu.Unlock()
	}()
}
