package main

import (
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
	ops.WriteValidation(e.out, c.Config, snap)
	return nil
}
