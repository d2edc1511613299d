package main

// The actions (and, in time, providers) hookrunner ships with. Each
// package registers itself in its init; this file is the only place that
// names them. To add an action, write its package and add one line here.
import (
	_ "github.com/hookrunner/hookrunner/actions/crm"      // crm: upsert into SQL, HubSpot, Salesforce
	_ "github.com/hookrunner/hookrunner/actions/httpcall" // http: call a URL
	_ "github.com/hookrunner/hookrunner/actions/shell"    // shell: run a command
)
