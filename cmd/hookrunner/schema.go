package main

import (
	"github.com/hookrunner/hookrunner/actions"
	"github.com/hookrunner/hookrunner/config"
	"github.com/hookrunner/hookrunner/providers"
)

// schemaCmd prints the JSON Schema of hooks.yaml for the registered
// providers and actions (editors validate hooks.yaml with it).
type schemaCmd struct{}

func (schemaCmd) Run(e *env) error {
	_, err := e.stdout.Write(config.JSONSchema(providers.Names(), actions.ConfigTypes()))
	return err
}
