package ruleset

import (
	"fmt"
	"strings"
	"time"

	"github.com/hookrunner/hookrunner/actions"
	"github.com/hookrunner/hookrunner/config"
)

// Alert is a compiled alert: when it fires and the actions it runs.
type Alert struct {
	Name     string
	On       []string
	Rules    []string
	Failures int
	// Refused is the refused requests of a source within a minute that
	// make source.rejected.
	Refused int
	Repeat  time.Duration
	Steps   []Step
}

// buildAlerts compiles the alerts of cfg, adding each problem to errs.
func buildAlerts(cfg *config.Config, errs *config.Errors) []*Alert {
	var out []*Alert
	for i, ac := range cfg.Alerts {
		a := &Alert{Name: ac.Name, On: ac.On, Rules: ac.Rules, Failures: ac.Failures, Refused: ac.Refused, Repeat: ac.Repeat.D()}
		for j, raw := range ac.Actions {
			for kind, body := range raw {
				apath := fmt.Sprintf("alerts[%d] (%s).actions[%d].%s", i, ac.Name, j, kind)
				act, err := actions.Build(kind, actions.BuildContext{
					Decode: func(target any) error { return config.Decode(body, target) },
					Dir:    cfg.Dir, Rule: "alert:" + ac.Name,
				})
				if err != nil {
					if strings.HasPrefix(err.Error(), "unknown action type") {
						errs.Add(fmt.Sprintf("alerts[%d].actions[%d]", i, j), "unknown action type %q%s", kind, config.Suggest(kind, actions.Names()))
					} else {
						errs.AddErr(apath, err)
					}
					continue
				}
				a.Steps = append(a.Steps, Step{Kind: kind, Action: act})
			}
		}
		out = append(out, a)
	}
	return out
}
