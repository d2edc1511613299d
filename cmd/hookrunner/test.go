package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/hookrunner/hookrunner/ruletest"
)

// test runs rule tests: exit 0 when every case passes, 1 when one fails,
// 2 when the config or a test file is not valid.
func test(args []string, out, stderr io.Writer) error {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	path := fs.String("config", "hooks.yaml", "path to hooks.yaml")
	upd := fs.Bool("update", false, "rewrite the expected answers (match, no_match, actions) from the current results")
	verbose := fs.Bool("v", false, "list passing cases too")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return exitCode(2) // flag printed the problem and the usage
	}
	res, err := ruletest.Run(context.Background(), ruletest.Options{Config: *path, Files: fs.Args(), Update: *upd, Verbose: *verbose, Out: out})
	if err != nil {
		fmt.Fprintln(stderr, err) // redacted by Run
		return exitCode(2)
	}
	if res.Failed > 0 {
		return exitCode(1)
	}
	return nil
}
