package alerts_test

// The alerts' actions are the registered ones, as in the binary.
import (
	_ "github.com/hookrunner/hookrunner/actions/httpcall"
	_ "github.com/hookrunner/hookrunner/actions/shell"
	_ "github.com/hookrunner/hookrunner/providers/builtin"
)
