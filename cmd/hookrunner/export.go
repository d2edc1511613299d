package main

import (
	"fmt"

	"github.com/hookrunner/hookrunner/ops"
)

type exportCmd struct {
	configFlag
	Since since `placeholder:"DURATION|TIME" help:"Only events received within this duration (30d) or since this RFC 3339 time (default: all)."`
}

func (c *exportCmd) Run(e *env) error {
	cl, err := ops.Open(e.ctx, c.Config, "", "")
	if err != nil {
		return err
	}
	defer cl.Close()
	// Streamed to stdout as it is read, each line already redacted by
	// ops.Export (not through e.out, which holds the whole output).
	n, err := cl.Export(e.ctx, string(c.Since), e.stdout)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "exported %d events\n", n)
	return nil
}
