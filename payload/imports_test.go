package payload_test

// The providers the tests verify with register themselves on import, as
// cmd/hookrunner/imports.go registers them in the binary.
import _ "github.com/hookrunner/hookrunner/providers/builtin"
