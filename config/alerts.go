package config

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"time"
)

// Alert runs actions when something goes wrong (see README "Alerts").
type Alert struct {
	Name string `koanf:"name" json:"name"`
	// On lists the kinds of cause it fires on (AlertKinds).
	On []string `koanf:"on" json:"on"`
	// Rules keeps causes of these rules (globs); all when empty.
	Rules []string `koanf:"rules" json:"rules,omitempty"`
	// Failures is the consecutive failed attempts of a rule that make
	// rule.failing (default 3).
	Failures int `koanf:"failures" json:"failures,omitempty"`
	// Refused is the requests of one source refused within a minute that
	// make source.rejected (default 10).
	Refused int `koanf:"refused" json:"refused,omitempty"`
	// Repeat is the least time between two firings of one group (the
	// alert, the kind and the rule); causes in between are counted and
	// sent together once it has passed (default 1h).
	Repeat Duration `koanf:"repeat" json:"repeat,omitempty"`
	// Actions are rule actions (http, shell, ...), with `alert` in their
	// environment.
	Actions []map[string]any `koanf:"actions" json:"actions"`
}

// AlertKinds are the causes an alert may fire on.
var AlertKinds = []string{"run.dead", "run.failed", "rule.failing", "source.rejected", "store.unavailable", "reload.failed"}

// Alert defaults.
const (
	DefaultAlertFailures = 3
	DefaultAlertRefused  = 10
	DefaultAlertRepeat   = time.Hour
)

func (c *Config) validateAlerts(errs *Errors) {
	seen := map[string]int{}
	for i := range c.Alerts {
		a := &c.Alerts[i]
		p := fmt.Sprintf("alerts[%d]", i)
		if a.Name == "" {
			errs.Add(p+".name", "required")
		} else if j, dup := seen[a.Name]; dup {
			errs.Add(p+".name", "duplicate alert name %q (first used at alerts[%d])", a.Name, j)
		} else {
			seen[a.Name] = i
		}
		if len(a.On) == 0 {
			errs.Add(p+".on", "required: one or more of %s", strings.Join(AlertKinds, ", "))
		}
		for j, k := range a.On {
			if !slices.Contains(AlertKinds, k) {
				errs.Add(fmt.Sprintf("%s.on[%d]", p, j), "unknown cause %q (use %s)%s", k, strings.Join(AlertKinds, ", "), Suggest(k, slices.Clone(AlertKinds)))
			}
		}
		for j, g := range a.Rules {
			if _, err := path.Match(g, ""); err != nil || g == "" {
				errs.Add(fmt.Sprintf("%s.rules[%d]", p, j), "bad rule pattern %q", g)
			}
		}
		if a.Failures < 0 {
			errs.Add(p+".failures", "must not be negative")
		}
		if a.Failures == 0 {
			a.Failures = DefaultAlertFailures
		}
		if a.Refused < 0 {
			errs.Add(p+".refused", "must not be negative")
		}
		if a.Refused == 0 {
			a.Refused = DefaultAlertRefused
		}
		if a.Repeat == 0 {
			a.Repeat = Duration(DefaultAlertRepeat)
		}
		if len(a.Actions) == 0 {
			errs.Add(p+".actions", "required: what to run when it fires (http, shell, ...)")
		}
	}
}
