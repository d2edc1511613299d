package main

import (
	"github.com/hookrunner/hookrunner/ruleset"
	"github.com/hookrunner/hookrunner/sender"
)

type sendCmd struct {
	configFlag
	Source     string   `required:"" placeholder:"NAME" help:"Source name."`
	Event      string   `placeholder:"TYPE" help:"Event type for the provider's event header; picks the sample payload (default: the provider's most common event, e.g. push)."`
	Payload    string   `placeholder:"FILE" complete:"file" help:"File with the body (default: a built-in sample for the provider and event)."`
	URL        string   `name:"url" placeholder:"URL" help:"URL to post to (default: http://127.0.0.1:<server port>/hooks/<source>)."`
	Header     []header `placeholder:"NAME:VALUE" help:"Extra header (repeatable)."`
	Handshake  bool     `help:"Send the provider's handshake request (Meta's hub.challenge GET, Zoom's url_validation, …) instead of an event."`
	SigningKey string   `name:"signing-key" placeholder:"FILE" complete:"file" help:"File with the private key, for providers that sign with one the config does not hold (discord: the Ed25519 private key, hex)."`
}

// Run exits 1 when the server does not answer 2xx.
func (c *sendCmd) Run(e *env) error {
	snap, err := ruleset.Load(c.Config)
	if err != nil {
		return err
	}
	e.out.use(snap.Redactor)
	res, err := sender.Send(e.ctx, snap, sender.SendOptions{Source: c.Source, Event: c.Event, Payload: c.Payload,
		URL: c.URL, Headers: headers(c.Header), SigningKeyFile: c.SigningKey, Handshake: c.Handshake})
	if err != nil {
		return err
	}
	res.Write(e.out)
	if res.StatusCode >= 300 {
		return exitCode(1)
	}
	return nil
}
