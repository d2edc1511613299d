package main

import "github.com/hookrunner/hookrunner/ops"

type eventsCmd struct {
	clientFlags
	Source   string `placeholder:"NAME" help:"Only this source."`
	Event    string `placeholder:"TYPE" help:"Only this event type."`
	Delivery string `placeholder:"ID" help:"Only events of this delivery id."`
	State    string `placeholder:"STATE" help:"Only events with a run in this state (or none: matched no rule)."`
	Since    since  `placeholder:"DURATION|TIME" help:"Only events received within this duration (1h, 7d) or since this RFC 3339 time."`
	Where    string `placeholder:"EXPR" help:"Only events this expression holds for, as a rule's if: (payload, headers, source, event, ...)."`
	Limit    int    `default:"50" help:"At most this many."`
	JSON     bool   `name:"json" help:"Print JSON (for machines)."`
	ID       string `arg:"" optional:"" help:"Show this event: its headers, payload, runs, and what each rule decides."`
}

func (c *eventsCmd) Run(e *env) error {
	cl, err := c.open(e)
	if err != nil {
		return err
	}
	defer cl.Close()
	if c.ID != "" {
		d, err := cl.Event(e.ctx, c.ID)
		if err != nil {
			return err
		}
		if c.JSON {
			return ops.WriteJSON(e.out, d)
		}
		return ops.WriteEvent(e.out, d)
	}
	evs, err := cl.Events(e.ctx, ops.EventQuery{Source: c.Source, Event: c.Event, DeliveryID: c.Delivery, State: c.State,
		Since: string(c.Since), Where: c.Where, Limit: c.Limit})
	if err != nil {
		return err
	}
	if c.JSON {
		return ops.WriteJSON(e.out, evs)
	}
	return ops.WriteEvents(e.out, evs)
}
