package expression_test

import (
	"strings"
	"testing"

	"github.com/expr-lang/expr"

	"github.com/hookrunner/hookrunner/expression"
)

// hostile is the payload of the matching attack: two arrays of n numbers
// with nothing in common.
func hostile(n int) *expression.Env {
	a, b := make([]any, n), make([]any, n)
	for i := range a {
		a[i], b[i] = float64(i), float64(n+i)
	}
	return &expression.Env{Event: "push", Payload: map[string]any{"a": a, "b": b}}
}

const attack = `any(payload.a, # in payload.b)`

// BenchmarkAttackMetered is the attack as hookrunner evaluates it: stopped
// by the default budget.
func BenchmarkAttackMetered(b *testing.B) {
	c, err := expression.CompileCondition(attack)
	if err != nil {
		b.Fatal(err)
	}
	env := hostile(20000)
	for b.Loop() {
		if _, err := c.EvalBudget(env, expression.NewBudget(expression.DefaultBudget)); err != expression.ErrBudgetExceeded {
			b.Fatalf("err = %v", err)
		}
	}
}

// BenchmarkAttackUnmetered is the same expression compiled by expr without
// the meter (what hookrunner did before), on arrays of 2,000: the cost
// grows with the square of the length, so 20,000 costs 100 times this.
func BenchmarkAttackUnmetered(b *testing.B) {
	p, err := expr.Compile(attack, expr.Env(expression.Env{}), expr.AsBool())
	if err != nil {
		b.Fatal(err)
	}
	env := hostile(2000)
	for b.Loop() {
		if _, err := expr.Run(p, env); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOrdinaryCondition is a typical condition, to see the meter's
// overhead where it should cost nothing.
func BenchmarkOrdinaryCondition(b *testing.B) {
	c, err := expression.CompileCondition(`payload.ref == "refs/heads/main" && any(payload.alerts, .labels.alertname == "HighLoad")`)
	if err != nil {
		b.Fatal(err)
	}
	e := env()
	for b.Loop() {
		if ok, err := c.Eval(e); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

// BenchmarkRegexpMetered is the regexp attack of the ingress review: a
// mundane pattern on a 1 MB title under the default budget (seconds of CPU
// per event when `matches` paid only for the length of its text).
func BenchmarkRegexpMetered(b *testing.B) {
	for _, src := range []string{`payload.title matches "[a-z]{200}!"`, `payload.title matches "a{100}b"`, `payload.title matches payload.pat`} {
		b.Run(src, func(b *testing.B) {
			c, err := expression.CompileCondition(src)
			if err != nil {
				b.Fatal(err)
			}
			env := &expression.Env{Payload: map[string]any{"title": strings.Repeat("a", 1_000_000), "pat": "(a|aa){0,100}b"}}
			for b.Loop() {
				if _, err := c.EvalBudget(env, expression.NewBudget(expression.DefaultBudget)); err == nil {
					b.Log("not stopped by the budget")
				}
			}
		})
	}
}
