package main

import (
	"fmt"

	"github.com/hookrunner/hookrunner/ops"
	"github.com/hookrunner/hookrunner/ruleset"
)

type validateCmd struct {
	configFlag
}

func (c *validateCmd) Run(e *env) error {
	snap, err := ruleset.Load(c.Config)
	if err != nil {
		return err
	}
	e.out.use(snap.Redactor)
	// What this machine lacks (programs, dirs): ruleset.Check.
	problems, warnings := snap.Check()
	for _, w := range warnings {
		fmt.Fprintf(e.out, "warning: %s\n", w.Error())
	}
	if len(problems) > 0 {
		return problems
	}
	ops.WriteValidation(e.out, c.Config, snap)
	return nil
}
