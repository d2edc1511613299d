package main

import (
	"fmt"

	"github.com/hookrunner/hookrunner/ruletest"
)

// testCmd runs rule tests: exit 0 when every case passes, 1 when one
// fails, 2 when the config or a test file is not valid.
type testCmd struct {
	configFlag
	Update  bool     `help:"Rewrite the expected answers (match, no_match, actions) from the current results."`
	Verbose bool     `short:"v" help:"List passing cases too."`
	Files   []string `arg:"" optional:"" name:"test-file" type:"existingfile" help:"Test files (default: hooks.test.yaml beside the config, or its tests: files)."`
}

func (c *testCmd) Run(e *env) error {
	res, err := ruletest.Run(e.ctx, ruletest.Options{Config: c.Config, Files: c.Files, Update: c.Update, Verbose: c.Verbose, Out: e.out})
	if err != nil {
		fmt.Fprintln(e.stderr, err) // redacted by Run
		return exitCode(2)
	}
	if res.Failed > 0 {
		return exitCode(1)
	}
	return nil
}
