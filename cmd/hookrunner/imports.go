package main

// Every provider and action built into hookrunner is registered here, by a
// blank import of the package that holds it (the way Caddy's
// modules/standard/imports.go does): engine, config and server know only
// the registries. Blank imports only.
import (
	_ "github.com/hookrunner/hookrunner/providers/builtin"
)
