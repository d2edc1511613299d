package ruleset

import (
	"fmt"

	"github.com/hookrunner/hookrunner/actions"
	"github.com/hookrunner/hookrunner/config"
)

// Check asks every action that can (actions.Checker: a shell action's
// program and dir) whether this machine has what it needs, without running
// anything: what `hookrunner validate` adds to loading. Errors are things
// a run would fail on for sure; warnings are things a deploy may still fix
// (a folder that does not exist yet). Both are located like load errors:
// "hooks.yaml:14: rules[1] (deploy).actions[0].shell.command[0]: …".
func (s *Snapshot) Check() (errs config.Errors, warnings config.Errors) {
	cfg := s.Config
	for _, r := range s.Ordered {
		file, path := cfg.RulePath(r.Index)
		if file == "" {
			file = displayName(cfg)
		}
		for j, st := range r.Steps {
			c, ok := st.Action.(actions.Checker)
			if !ok {
				continue
			}
			for _, f := range c.Check() {
				p := config.Problem{File: file, Path: fmt.Sprintf("%s.actions[%d].%s.%s", path, j, st.Kind, f.Path), Msg: f.Msg}
				if f.Warning {
					warnings = append(warnings, p)
				} else {
					errs = append(errs, p)
				}
			}
		}
	}
	return cfg.Locate(errs).Redacted(s.Redactor), cfg.Locate(warnings).Redacted(s.Redactor)
}
