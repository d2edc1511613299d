// Package rules compiles the expressions of hooks.yaml — `if:` conditions,
// `{{ expr }}` templates and field mappings — once per config load, and
// evaluates them against an event's environment.
package rules

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
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
	ReceivedAt time.Time         `expr:"received_at"`
	// Set while a poll source builds its request.
	Cursor string `expr:"cursor"`
	// Set while actions run.
	Rule    string `expr:"rule"`
	RunID   string `expr:"run_id"`
	Attempt int    `expr:"attempt"`
}

// MaxNodes bounds the size of one expression.
const MaxNodes = 2000

func options(extra ...expr.Option) []expr.Option {
	return append([]expr.Option{expr.Env(Env{}), expr.MaxNodes(MaxNodes)}, extra...)
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
	p, err := expr.Compile(c.Source, options(expr.AsBool())...)
	if err != nil {
		return nil, fmt.Errorf("compile %q: %w", c.Source, cleanErr(err))
	}
	c.program = p
	return c, nil
}

// Eval reports whether the condition holds. A run-time error (a missing
// field, a type mismatch) means no match; the error says why.
func (c *Condition) Eval(env *Env) (bool, error) {
	if c == nil || c.program == nil {
		return true, nil
	}
	out, err := expr.Run(c.program, env)
	if err != nil {
		return false, cleanErr(err)
	}
	b, _ := out.(bool)
	return b, nil
}

// Value is a compiled expression whose result is used as is (CRM fields).
type Value struct {
	Source  string
	program *vm.Program
}

// CompileValue compiles src as an expression of any type.
func CompileValue(src string) (*Value, error) {
	p, err := expr.Compile(src, options()...)
	if err != nil {
		return nil, fmt.Errorf("compile %q: %w", src, cleanErr(err))
	}
	return &Value{Source: src, program: p}, nil
}

// Eval evaluates the expression.
func (v *Value) Eval(env *Env) (any, error) {
	out, err := expr.Run(v.program, env)
	if err != nil {
		return nil, cleanErr(err)
	}
	return out, nil
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

// Stringify formats a value the way templates insert it.
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
