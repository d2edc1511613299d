package main

import (
	"errors"

	"github.com/hookrunner/hookrunner/ops"
	"github.com/hookrunner/hookrunner/store"
)

type replayCmd struct {
	clientFlags
	Rule    string `placeholder:"RULE" help:"Replay every run of this rule in --state."`
	State   string `enum:"dead,succeeded" default:"dead" help:"With --rule: dead or succeeded."`
	Since   since  `placeholder:"DURATION|TIME" help:"With --rule: only runs created within this duration (1h) or since this RFC 3339 time (at most 10,000 at once)."`
	EventID string `name:"event-id" placeholder:"ID" help:"Match a stored event against the config in force again."`
	RunID   string `arg:"" optional:"" name:"run-id" help:"Replay this run."`
}

// Validate: exactly one of RUN_ID, --rule, --event-id.
func (c *replayCmd) Validate() error {
	n := 0
	for _, s := range []string{c.RunID, c.Rule, c.EventID} {
		if s != "" {
			n++
		}
	}
	if n != 1 {
		return errors.New("give one of <run-id>, --rule RULE or --event-id ID")
	}
	return nil
}

func (c *replayCmd) Run(e *env) error {
	cl, err := c.open(e)
	if err != nil {
		return err
	}
	defer cl.Close()
	var rs []*store.Run
	switch {
	case c.RunID != "":
		rs, err = cl.ReplayRun(e.ctx, c.RunID)
	case c.Rule != "":
		rs, err = cl.ReplayRule(e.ctx, c.Rule, c.State, string(c.Since))
	default:
		rs, err = cl.ReplayEvent(e.ctx, c.EventID)
	}
	if err != nil {
		return err
	}
	ops.WriteReplayed(e.out, rs)
	return nil
}
