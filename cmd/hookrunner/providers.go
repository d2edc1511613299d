package main

import (
	"io"

	"github.com/hookrunner/hookrunner/ops"
	"github.com/hookrunner/hookrunner/providers"
)

type providersCmd struct {
	Markdown bool     `help:"Print the Markdown table of the README."`
	Names    []string `arg:"" optional:"" name:"provider" help:"Show these providers in full, with their documentation link and samples."`
}

func (c *providersCmd) Run(e *env) error {
	if c.Markdown {
		_, err := io.WriteString(e.stdout, providers.MarkdownTable())
		return err
	}
	return ops.WriteProviders(e.stdout, c.Names)
}
