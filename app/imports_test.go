package app

// The actions the tests' configs use register themselves on import, as
// cmd/hookrunner/imports.go does for the binary.
import (
	_ "github.com/hookrunner/hookrunner/actions/crm"
	_ "github.com/hookrunner/hookrunner/actions/httpcall"
	_ "github.com/hookrunner/hookrunner/actions/shell"
)
