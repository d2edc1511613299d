package main

import (
	"fmt"

	"github.com/hookrunner/hookrunner/ops"
)

type healthCmd struct {
	Config string `short:"c" placeholder:"FILE" complete:"file" help:"Path to hooks.yaml, whose admin.listen is asked (default: hooks.yaml when it exists, else ${default_health})."`
	URL    string `name:"url" placeholder:"URL" help:"Readiness URL to ask instead (e.g. http://127.0.0.1:8081/readyz)."`
}

func (c *healthCmd) Run(e *env) error {
	u := c.URL
	if u == "" {
		var err error
		if u, err = ops.HealthURL(c.Config); err != nil {
			return err
		}
	}
	if err := ops.Health(e.ctx, u); err != nil {
		return err
	}
	fmt.Fprintln(e.out, "ready")
	return nil
}
