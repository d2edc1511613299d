package app

// The providers and actions the tests' configs use register themselves on
// import, as cmd/hookrunner/imports.go registers them in the binary.
import (
	_ "github.com/hookrunner/hookrunner/actions/crm"
	_ "github.com/hookrunner/hookrunner/actions/forward"
	_ "github.com/hookrunner/hookrunner/actions/httpcall"
	_ "github.com/hookrunner/hookrunner/actions/shell"
	_ "github.com/hookrunner/hookrunner/providers/builtin"
)
