package main

import "github.com/hookrunner/hookrunner/internal/completion"

type completionCmd struct {
	Shell string `arg:"" enum:"bash,zsh,fish" help:"bash, zsh or fish."`
}

func (c *completionCmd) Run(e *env) error {
	return completion.Write(e.stdout, c.Shell, e.parser.Model)
}

// helpCmd is "hookrunner help [COMMAND]", the same as --help.
type helpCmd struct {
	Command []string `arg:"" optional:""`
}

func (c *helpCmd) Run(e *env) error {
	if _, err := e.parser.Parse(append(c.Command, "--help")); err != nil {
		usage(e.stderr, err)
		return exitCode(2)
	}
	return nil
}
