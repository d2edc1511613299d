package main

import (
	"errors"

	"github.com/hookrunner/hookrunner/ops"
	"github.com/hookrunner/hookrunner/ruleset"
)

type explainCmd struct {
	configFlag
	Source  string   `placeholder:"NAME" help:"Source name."`
	Event   string   `placeholder:"TYPE" help:"Event type (default: what the provider reads from the headers or body)."`
	Payload string   `placeholder:"FILE" complete:"file" help:"File with the request body."`
	Header  []header `placeholder:"NAME:VALUE" help:"Request header (repeatable)."`
	EventID string   `name:"event-id" placeholder:"ID" help:"Explain a stored event instead."`
}

// Validate: a stored event, or a source and a payload.
func (c *explainCmd) Validate() error {
	if c.EventID == "" && (c.Source == "" || c.Payload == "") {
		return errors.New("give --source and --payload, or --event-id")
	}
	return nil
}

// Run exits 1 when no rule matches.
func (c *explainCmd) Run(e *env) error {
	snap, err := ruleset.Load(c.Config)
	if err != nil {
		return err
	}
	e.out.use(snap.Redactor)
	return ops.Explain(e.ctx, snap, ops.ExplainOptions{EventID: c.EventID, Source: c.Source, Event: c.Event,
		Payload: c.Payload, Headers: headers(c.Header)}, e.out)
}
