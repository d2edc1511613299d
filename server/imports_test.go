package server

// The providers hookrunner ships, registered as cmd/hookrunner/imports.go
// registers them in the binary.
import _ "github.com/hookrunner/hookrunner/providers/builtin"
