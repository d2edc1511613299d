// Package actions holds the Action interface, its registry and the built-in
// actions (shell, http). A new action is one file that registers a Factory.
package actions

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"
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
	// Started, when set, is called by actions that start processes (shell)
	// once the process group exists; the engine records it with the run
	// so a restart after a crash can kill it before the run is retried.
	Started ProcessStarted
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

// BuildContext is what a factory may use to construct an action.
type BuildContext struct {
	// Decode strictly decodes the action's YAML into a struct pointer.
	Decode func(target any) error
	// Dir is the directory of the config file (relative paths).
	Dir string
	// Rule is the name of the rule the action belongs to.
	Rule string
}

// Factory builds an action from its config.
type Factory func(bc BuildContext) (Action, error)

var (
	mu       sync.RWMutex
	registry = map[string]Factory{}
	configs  = map[string]any{}
)

// RegisterConfig records the YAML shape of an action type (a zero value of
// its config struct) for the JSON Schema of hooks.yaml.
func RegisterConfig(name string, zero any) {
	mu.Lock()
	defer mu.Unlock()
	configs[name] = zero
}

// ConfigTypes returns the registered config shapes by action type.
func ConfigTypes() map[string]any {
	mu.RLock()
	defer mu.RUnlock()
	out := make(map[string]any, len(configs))
	for k, v := range configs {
		out[k] = v
	}
	return out
}

// Register adds an action type. A duplicate name panics at start-up.
func Register(name string, f Factory) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := registry[name]; dup {
		panic("actions: duplicate registration of " + name)
	}
	registry[name] = f
}

// Build constructs an action of the named type.
func Build(kind string, bc BuildContext) (Action, error) {
	mu.RLock()
	f, ok := registry[kind]
	mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("unknown action type %q (known: %v)", kind, Names())
	}
	return f(bc)
}

// Names lists the registered action types.
func Names() []string {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]string, 0, len(registry))
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// compileTemplates compiles a list of templates, naming the failing entry.
func compileTemplates(field string, srcs []string) ([]*expression.Template, error) {
	out := make([]*expression.Template, len(srcs))
	for i, s := range srcs {
		t, err := expression.CompileTemplate(s)
		if err != nil {
			return nil, fmt.Errorf("%s[%d]: %w", field, i, err)
		}
		out[i] = t
	}
	return out, nil
}

// compileTemplateMap compiles a map of templates, naming the failing key.
func compileTemplateMap(field string, m map[string]string) (map[string]*expression.Template, error) {
	out := make(map[string]*expression.Template, len(m))
	for k, s := range m {
		t, err := expression.CompileTemplate(s)
		if err != nil {
			return nil, fmt.Errorf("%s.%s: %w", field, k, err)
		}
		out[k] = t
	}
	return out, nil
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu    sync.Mutex
	max   int
	buf   []byte
	total int64
}

func newTailBuffer(max int) *tailBuffer { return &tailBuffer{max: max} }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.total += int64(len(p))
	if len(p) >= t.max {
		t.buf = append(t.buf[:0], p[len(p)-t.max:]...)
		return len(p), nil
	}
	if over := len(t.buf) + len(p) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	t.buf = append(t.buf, p...)
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.total > int64(len(t.buf)) {
		return fmt.Sprintf("[… %d bytes cut …]\n", t.total-int64(len(t.buf))) + string(t.buf)
	}
	return string(t.buf)
}

// headBuffer keeps the first max bytes written to it.
type headBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (h *headBuffer) Write(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if room := h.max - len(h.buf); room > 0 {
		if len(p) < room {
			room = len(p)
		}
		h.buf = append(h.buf, p[:room]...)
	}
	return len(p), nil
}
