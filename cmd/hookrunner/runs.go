package main

import "github.com/hookrunner/hookrunner/ops"

type runsCmd struct {
	clientFlags
	Rule    string `placeholder:"RULE" help:"Only this rule."`
	State   string `enum:"pending,running,retrying,waiting,succeeded,dead,replayed," default:"" placeholder:"STATE" help:"Only this state: pending, running, retrying, waiting, succeeded, dead, replayed."`
	EventID string `name:"event-id" placeholder:"ID" help:"Only runs of this event."`
	Since   since  `placeholder:"DURATION|TIME" help:"Only runs created within this duration (1h) or since this RFC 3339 time."`
	Limit   int    `default:"50" help:"At most this many."`
	JSON    bool   `name:"json" help:"Print JSON (for machines)."`
	Diff    bool   `help:"With ID: print the diff of the config from the run's revision to the one in force."`
	ID      string `arg:"" optional:"" help:"Show this run: its state, attempts, errors and config revision."`
}

func (c *runsCmd) Run(e *env) error {
	cl, err := c.open(e)
	if err != nil {
		return err
	}
	defer cl.Close()
	if c.ID != "" {
		d, err := cl.Run(e.ctx, c.ID)
		if err != nil {
			return err
		}
		if c.JSON {
			return ops.WriteJSON(e.out, d)
		}
		return ops.WriteRun(e.out, d, c.Diff)
	}
	rs, err := cl.Runs(e.ctx, ops.RunQuery{Rule: c.Rule, State: c.State, EventID: c.EventID, Since: string(c.Since), Limit: c.Limit})
	if err != nil {
		return err
	}
	if c.JSON {
		return ops.WriteJSON(e.out, rs)
	}
	return ops.WriteRuns(e.out, rs)
}
