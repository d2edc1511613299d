// Package actions holds the Action interface, its registry (Register,
// Build), Invocation and Result, permanent errors and the helpers actions
// share. It holds no action: those live in sub-packages (actions/shell,
// actions/httpcall, actions/crm) that register themselves in init, and
// cmd/hookrunner/imports.go blank-imports them.
package actions

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/hookrunner/hookrunner/expression"
)

// Invocation is one execution of one action for one run.
type Invocation struct {
	Env *expression.Env
	// Body is the raw request body of the event.
	Body []byte
	// OutputLimit caps the captured output, in bytes.
	OutputLimit int
	// Stream, when set, receives standard output as it is produced
	// (`respond: stream`).
	Stream io.Writer
	// Answer is set when the run answers the request that created it
	// (`respond: sync` or `stream`): an action keeps what the answer is
	// made of (a shell command's standard output apart from its standard
	// error). Otherwise a shell command's two outputs share one pipe, and
	// its stored output has them in the order it wrote them.
	Answer bool
	// Started, when set, is called by actions that start processes (shell)
	// once the process group exists; the engine records it with the run
	// so a restart after a crash can kill it before the run is retried.
	Started ProcessStarted
	// RelayHeader, when set, returns the event's request headers as they
	// are relayed to another receiver (the `forward` action): as stored,
	// with the provider's signature headers, the credential headers that
	// were redacted before storage re-attached from the source's config,
	// hop-by-hop headers dropped (ruleset.Source.RelayHeader).
	RelayHeader func() http.Header
}

// IdempotencyKey is stable for an event and rule, across attempts and
// replays, so a receiver can dedupe.
func (inv *Invocation) IdempotencyKey() string { return inv.Env.ID + "/" + inv.Env.Rule }

// Result is what an attempt of an action did.
type Result struct {
	// Output is the tail of what the action printed or received.
	Output string
	// Stdout is the head of standard output (for synchronous answers).
	Stdout     []byte
	ExitCode   *int
	HTTPStatus int
	// Detail is a short summary ("inserted email=a@b").
	Detail string
	// RetryAfter is the delay the target asked for (HTTP Retry-After).
	RetryAfter time.Duration
	// Response is set by actions that produce the answer of a sync rule.
	Response *Response
}

// Response is the synchronous answer built from an action's output.
type Response struct {
	Status      int
	ContentType string
	Body        []byte
}

// Action runs one step of a rule.
type Action interface {
	// Run executes the action. A non-nil error fails the attempt; wrap it
	// with Permanent when retrying cannot help.
	Run(ctx context.Context, inv *Invocation) (Result, error)
	// Describe renders what the action would do for env (explain).
	Describe(env *expression.Env) (string, error)
	// Close releases what the action holds (database pools, idle
	// connections). The engine calls it once the config the action belongs
	// to is no longer used (evicted from the kept revisions, or at
	// shutdown). A run still in flight on a closed action must still
	// complete (see actions/crm).
	Close() error
}

// Checker is an action that can check, without running anything, what it
// needs from this machine (`hookrunner validate`): a shell action's
// program and dir. Problems that a later deploy may fix are warnings.
type Checker interface {
	Check() []Finding
}

// Finding is one thing Check found: the field (relative to the action,
// like ConfigError.Path), what is wrong, and whether it is only a warning.
type Finding struct {
	Path    string
	Msg     string
	Warning bool
}

// PermanentError marks a failure that retrying cannot fix (a 4xx answer, a
// rendering error).
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent wraps err as a PermanentError.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &PermanentError{Err: err}
}

// IsPermanent reports whether err was marked permanent.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}

// ConfigError is a problem with one field of an action's YAML. Path is
// relative to the action ("command[3]", "env.LD_PRELOAD"); the config
// loader prefixes the rule and action, as it does for its own problems.
type ConfigError struct {
	Path string
	Msg  string
}

func (e *ConfigError) Error() string { return e.Path + ": " + e.Msg }

// FieldPath returns the path of the field (read by config.Errors.AddErr).
func (e *ConfigError) FieldPath() string { return e.Path }

// FieldMsg returns what is wrong with the field.
func (e *ConfigError) FieldMsg() string { return e.Msg }

// ConfigErrors collects every ConfigError of an action, so one load shows
// them all.
type ConfigErrors []*ConfigError

// Add records a problem at path.
func (e *ConfigErrors) Add(path, format string, args ...any) {
	*e = append(*e, &ConfigError{Path: path, Msg: fmt.Sprintf(format, args...)})
}

// Err returns nil when there are no problems.
func (e ConfigErrors) Err() error {
	if len(e) == 0 {
		return nil
	}
	return e
}

func (e ConfigErrors) Error() string {
	lines := make([]string, len(e))
	for i, p := range e {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns every problem (errors.Is/As and the config loader see
// each one).
func (e ConfigErrors) Unwrap() []error {
	out := make([]error, len(e))
	for i, p := range e {
		out[i] = p
	}
	return out
}
