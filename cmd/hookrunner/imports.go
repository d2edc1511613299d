package main

// Every provider and action built into hookrunner is registered here, by a
// blank import of the package that holds it (the way Caddy's
// modules/standard/imports.go does): engine, config and server know only
// the registries. To add a provider or an action, write its file or package
// and, for a new package, add one line here. Blank imports only.
import (
	_ "github.com/hookrunner/hookrunner/actions/crm"       // crm: upsert into SQL, HubSpot, Salesforce
	_ "github.com/hookrunner/hookrunner/actions/forward"   // forward: relay the original request
	_ "github.com/hookrunner/hookrunner/actions/httpcall"  // http: call a URL
	_ "github.com/hookrunner/hookrunner/actions/shell"     // shell: run a command
	_ "github.com/hookrunner/hookrunner/providers/builtin" // every built-in provider, one file each
)
