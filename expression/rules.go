// Package rules compiles the expressions of hooks.yaml — `if:` conditions,
// `{{ expr }}` templates and field mappings — once per config load, and
// evaluates them against an event's environment.
package expression

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
)

// Env is what an expression sees. Field names are the ones documented in the
// README; payload is the decoded body (JSON, or the form for form posts).
type Env struct {
	Source     string            `expr:"source"`
	Provider   string            `expr:"provider"`
	Event      string            `expr:"event"`
	ID         string            `expr:"id"`
	DeliveryID string            `expr:"delivery_id"`
	Payload    any               `expr:"payload"`
	Headers    map[string]string `expr:"headers"`
	Query      map[string]string `expr:"query"`
	RemoteIP   string            `expr:"remote_ip"`
	// RemoteAddr is the address of the connection the request came on, IP
	// and port (trusted_proxies do not change it).
	RemoteAddr string `expr:"remote_addr"`
	// Body is the raw request body as received (after decrypt:), for
	// templates that pass it on as it is: `{{ body }}`.
	Body       []byte    `expr:"body"`
	ReceivedAt time.Time `expr:"received_at"`
	// Set while a poll source builds its request.
	Cursor string `expr:"cursor"`
	// Set while actions run.
	Rule    string `expr:"rule"`
	RunID   string `expr:"run_id"`
	Attempt int    `expr:"attempt"`
	// Alert is set while an alert's actions run (alerts:).
	Alert *Alert `expr:"alert"`

	// Meter is the budget the evaluation in progress spends (set by the
	// Eval methods; no expression can name it).
	Meter *Budget `expr:"budget meter"`
	// lazy decodes Payload when an expression is first evaluated against
	// the Env (SetPayloadFunc); no expression can name it.
	lazy *lazyPayload `expr:"lazy payload"`
}

// lazyPayload is a payload decoded on first use.
type lazyPayload struct {
	once sync.Once
	load func() any
	v    any
}

// SetPayloadFunc makes Payload what load returns, called once, when an
// expression is first evaluated against e: an action whose templates are
// all literal (a fixed URL, the body passed on as received) never decodes
// the payload.
func (e *Env) SetPayloadFunc(load func() any) {
	e.Payload, e.lazy = nil, &lazyPayload{load: load}
}

// resolve sets Payload from the lazy loader, if any.
func (e *Env) resolve() {
	if e.lazy != nil && e.Payload == nil {
		e.lazy.once.Do(func() { e.lazy.v = e.lazy.load() })
		e.Payload = e.lazy.v
	}
}

// Alert is what an alert's actions see as `alert`: why it fired.
type Alert struct {
	Name    string `expr:"name"`
	Kind    string `expr:"kind"`
	Rule    string `expr:"rule"`
	RunID   string `expr:"run_id"`
	EventID string `expr:"event_id"`
	Source  string `expr:"source"`
	Error   string `expr:"error"`
	// Count is the causes the firing reports (more than 1 when grouped).
	Count int `expr:"count"`
	// URL is the console page of the cause (a run, or the overview).
	URL string `expr:"url"`
}

// MaxNodes bounds the size of one expression.
const MaxNodes = 2000

func options(m *meter, extra ...expr.Option) []expr.Option {
	opts := append([]expr.Option{expr.Env(Env{}), expr.MaxNodes(MaxNodes)}, meterOptions(m)...)
	return append(append(append(opts, numberOptions()...), functionOptions()...), extra...)
}

// compile compiles src metered, with what the meter refused as its error.
func compile(src string, extra ...expr.Option) (*vm.Program, error) {
	m := new(meter)
	p, err := expr.Compile(src, options(m, extra...)...)
	if err == nil {
		err = m.err
	}
	if err != nil {
		return nil, err
	}
	return p, nil
}

// WithBudget returns a copy of env whose evaluations spend b: evaluating
// many expressions with it and b saves a copy of env per evaluation.
func WithBudget(env *Env, b *Budget) *Env {
	metered := *env
	metered.Meter = b
	return &metered
}

// run evaluates p against env spending b (a fresh DefaultBudget when nil).
func run(p *vm.Program, env *Env, b *Budget) (any, error) {
	if b == nil {
		b = NewBudget(DefaultBudget)
	}
	if b.Exceeded() {
		return nil, ErrBudgetExceeded
	}
	env.resolve()
	if env.Meter != b {
		env = WithBudget(env, b)
	}
	out, err := expr.Run(p, env)
	if err != nil {
		if b.Exceeded() || isBudgetErr(err) {
			b.exceeded, b.left = true, 0
			return nil, ErrBudgetExceeded
		}
		return nil, cleanErr(err)
	}
	return out, nil
}

// Condition is a compiled `if:` expression.
type Condition struct {
	Source  string
	program *vm.Program
}

// CompileCondition compiles src as a boolean expression. An empty source is
// a condition that always holds.
func CompileCondition(src string) (*Condition, error) {
	c := &Condition{Source: strings.TrimSpace(src)}
	if c.Source == "" {
		return c, nil
	}
	p, err := compile(c.Source, expr.AsBool())
	if err != nil {
		return nil, fmt.Errorf("compile %q: %w", c.Source, cleanErr(err))
	}
	c.program = p
	return c, nil
}

// Eval reports whether the condition holds, within a budget of its own
// (DefaultBudget). A run-time error (a missing field, a type mismatch)
// means no match; the error says why.
func (c *Condition) Eval(env *Env) (bool, error) {
	return c.EvalBudget(env, nil)
}

// EvalBudget is Eval spending b, the budget shared by the conditions of
// one event. When b runs out the evaluation stops and the error is
// ErrBudgetExceeded: no match.
func (c *Condition) EvalBudget(env *Env, b *Budget) (bool, error) {
	if c == nil || c.program == nil {
		return true, nil
	}
	out, err := run(c.program, env, b)
	if err != nil {
		return false, err
	}
	ok, _ := out.(bool)
	return ok, nil
}

// Value is a compiled expression whose result is used as is (CRM fields).
type Value struct {
	Source  string
	program *vm.Program
}

// CompileValue compiles src as an expression of any type.
func CompileValue(src string) (*Value, error) {
	p, err := compile(src)
	if err != nil {
		return nil, fmt.Errorf("compile %q: %w", src, cleanErr(err))
	}
	return &Value{Source: src, program: p}, nil
}

// Eval evaluates the expression within a budget of its own.
func (v *Value) Eval(env *Env) (any, error) {
	return run(v.program, env, nil)
}

// EvalBudget is Eval spending b.
func (v *Value) EvalBudget(env *Env, b *Budget) (any, error) {
	return run(v.program, env, b)
}

// cleanErr keeps the first line of expr's errors (the rest is a source
// excerpt with a caret that reads badly inside one log line).
func cleanErr(err error) error {
	msg := err.Error()
	if i := strings.IndexByte(msg, '\n'); i > 0 {
		msg = strings.TrimSpace(msg[:i])
	}
	return errors.New(msg)
}

// Stringify formats a value the way templates insert it: a payload's
// numbers as they were sent (int64, uint64 and json.Number, see
// numbers.go), a float64 computed by an expression in its shortest form
// without exponent.
func Stringify(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []byte:
		return string(x)
	case bool:
		return strconv.FormatBool(x)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case uint64:
		return strconv.FormatUint(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case json.Number:
		return x.String()
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case fmt.Stringer:
		return x.String()
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// Glob matches an event type against a pattern where * matches any run of
// characters (dots included) and ? one character: "customer.*" matches
// "customer.created" and "customer.subscription.deleted".
func Glob(pattern, s string) bool {
	px, sx := 0, 0
	nextPx, nextSx := -1, -1
	for px < len(pattern) || sx < len(s) {
		if px < len(pattern) {
			switch c := pattern[px]; c {
			case '*':
				nextPx, nextSx = px, sx+1
				px++
				continue
			case '?':
				if sx < len(s) {
					px++
					sx++
					continue
				}
			default:
				if sx < len(s) && s[sx] == c {
					px++
					sx++
					continue
				}
			}
		}
		if nextSx > 0 && nextSx <= len(s) {
			px, sx = nextPx, nextSx
			continue
		}
		return false
	}
	return true
}

// IsGlob reports whether a pattern has wildcards.
func IsGlob(p string) bool { return strings.ContainsAny(p, "*?") }
