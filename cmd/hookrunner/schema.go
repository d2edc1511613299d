package main

import (
	"io"

	"github.com/hookrunner/hookrunner/actions"
	"github.com/hookrunner/hookrunner/config"
	"github.com/hookrunner/hookrunner/providers"
)

// schema prints the JSON Schema of hooks.yaml for the registered
// providers and actions (editors validate hooks.yaml with it).
func schema(_ []string, out io.Writer) error {
	_, err := out.Write(config.JSONSchema(providers.Names(), actions.ConfigTypes()))
	return err
}
