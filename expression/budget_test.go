package expression_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/hookrunner/hookrunner/expression"
)

// pathological is a payload for the expressions below: two arrays of
// 20,000 numbers, 20,000 strings, a 1 MB string, its JSON, a large count.
func pathological() *expression.Env {
	e := hostile(20000)
	p := e.Payload.(map[string]any)
	small, strs := make([]any, 200), make([]any, 20000)
	for i := range small {
		small[i] = float64(i)
	}
	for i := range strs {
		strs[i] = strings.Repeat("a", 40)
	}
	p["small"], p["strs"], p["s"], p["n"] = small, strs, strings.Repeat("ab", 500_000), float64(100_000_000)
	p["json"] = `[` + strings.Repeat(`1,`, 100_000) + `1]`
	return e
}

// TestBudgetStopsPathologicalConditions runs conditions whose work grows
// faster than their input (each would take from seconds to hours without
// the meter; the test would time out) and checks that each stops with
// ErrBudgetExceeded having spent no more than its budget.
func TestBudgetStopsPathologicalConditions(t *testing.T) {
	for _, src := range []string{
		`any(payload.a, # in payload.b)`,                                           // the reported attack
		`any(payload.small, # in payload.b)`,                                       // in over a big array, in a loop
		`all(payload.small, # not in payload.b)`,                                   // not in
		`any(payload.small, any(payload.b, # == 1.5))`,                             // nested loops
		`len(map(payload.small, map(payload.small, count(payload.b, # < 0)))) < 0`, // three levels
		`reduce(1..100, #acc + #acc, "xx") == ""`,                                  // string doubling
		`len(repeat(payload.s, 1000)) > 0`,                                         // repeat
		`any(payload.small, len(repeat(payload.s, 10)) < 0)`,                       //
		`any(payload.small, len(sort(payload.a)) < 0)`,                             // sort
		`any(payload.small, len(sortBy(payload.a, -#)) < 0)`,                       //
		`any(payload.small, len(groupBy(payload.a, # > 7)) < 0)`,                   // groupBy
		`any(payload.small, reduce(payload.a, #acc + #, 0) < 0)`,                   // reduce
		`len(1..100000000) > 0`,                                                    // ranges
		`any(1..100000000, # < 0)`,                                                 //
		`any(1..int(payload.n), # < 0)`,                                            //
		`any(payload.small, payload.s matches "x+y")`,                              // string operators
		`any(payload.small, payload.s contains "zz")`,                              //
		`any(payload.small, payload.s + payload.s == "")`,                          //
		`any(payload.small, upper(payload.s) == "")`,                               // string builtins
		`any(payload.small, len(split(payload.s, "a")) < 0)`,                       //
		`any(payload.small, replace(payload.s, "a", "bb") == "")`,                  //
		`any(payload.small, join(payload.strs, ",") == "")`,                        //
		`any(payload.small, toJSON(payload.a) == "")`,                              // JSON
		`any(payload.small, len(fromJSON(payload.json)) < 0)`,                      //
		`any(payload.small, len(uniq(payload.a)) < 0)`,                             // quadratic builtin
		`any(payload.small, sum(payload.a) < 0)`,                                   // aggregates
		`any(payload.small, len(map(payload.a, #)) < 0)`,                           //
		`any(payload.small, payload.a == payload.b)`,                               // deep equality
		`any(payload.small, len(concat(payload.a, payload.b)) < 0)`,                //
	} {
		t.Run(src, func(t *testing.T) {
			c, err := expression.CompileCondition(src)
			if err != nil {
				t.Fatal(err)
			}
			b := expression.NewBudget(expression.DefaultBudget)
			ok, err := c.EvalBudget(pathological(), b)
			if ok || !errors.Is(err, expression.ErrBudgetExceeded) || !b.Exceeded() {
				t.Fatalf("= %v, %v (exceeded %v); want evaluation budget exceeded", ok, err, b.Exceeded())
			}
			if b.Used() > expression.DefaultBudget {
				t.Fatalf("used %d steps of %d", b.Used(), expression.DefaultBudget)
			}
			// A spent budget stops the next condition before it runs.
			cheap, _ := expression.CompileCondition(`payload.n > 0`)
			if _, err := cheap.EvalBudget(pathological(), b); !errors.Is(err, expression.ErrBudgetExceeded) {
				t.Fatalf("condition after the budget was spent: %v", err)
			}
		})
	}
}

// TestBudgetLeavesOrdinaryConditions checks that everyday conditions
// decide as before and use a tiny part of the budget.
func TestBudgetLeavesOrdinaryConditions(t *testing.T) {
	tests := []struct {
		src  string
		want bool
	}{
		{`payload.ref == "refs/heads/main"`, true},
		{`payload.repository?.full_name == "acme/api" && event == "push"`, true},
		{`any(payload.alerts, .labels.alertname == "HighLoad")`, true},
		{`payload.ref startsWith "refs/tags/"`, false},
		{`payload.ref matches "^refs/heads/(main|master)$"`, true},
		{`"push" in ["push", "release"] && headers["x-github-event"] in ["push"]`, true},
		{`len(payload.alerts) == 1 && payload.count in 40..50`, true},
		{`filter(payload.alerts, .labels.alertname != "")[0].labels.alertname == "HighLoad"`, true},
		{`upper(payload.after) + "-" + lower("X") == "ABC123-x"`, true},
		{`len(repeat("ab", 3)) == 6 && sort([3, 1, 2])[0] == 1 && uniq([1, 1, 2]) == [1, 2]`, true},
		{`reduce(1..10, #acc + #, 0) == 55 && sum(map(1..3, # * 2)) == 12`, true},
		{`toJSON(payload.repository) contains "acme/api" && fromJSON("[1,2]")[1] == 2`, true},
	}
	for _, tt := range tests {
		c, err := expression.CompileCondition(tt.src)
		if err != nil {
			t.Fatalf("%s: %v", tt.src, err)
		}
		b := expression.NewBudget(expression.DefaultBudget)
		got, err := c.EvalBudget(env(), b)
		if err != nil || got != tt.want {
			t.Errorf("%s = %v, %v; want %v", tt.src, got, err, tt.want)
		}
		if b.Used() > 1000 {
			t.Errorf("%s used %d steps", tt.src, b.Used())
		}
	}
}

// TestBudgetIsExactAndShared checks that the steps do not depend on time:
// a condition that needs n steps runs on a budget of n and stops on n-1,
// and conditions sharing a budget spend it together.
func TestBudgetIsExactAndShared(t *testing.T) {
	e := hostile(300)
	c, err := expression.CompileCondition(`any(payload.a, # in payload.b)`)
	if err != nil {
		t.Fatal(err)
	}
	probe := expression.NewBudget(1 << 40)
	if ok, err := c.EvalBudget(e, probe); ok || err != nil {
		t.Fatalf("unbounded: %v, %v", ok, err)
	}
	n := probe.Used()
	if n < 300*300 {
		t.Fatalf("%d steps for 300×300 comparisons", n)
	}
	if _, err := c.EvalBudget(e, expression.NewBudget(n)); err != nil {
		t.Fatalf("budget of %d: %v", n, err)
	}
	if _, err := c.EvalBudget(e, expression.NewBudget(n-1)); !errors.Is(err, expression.ErrBudgetExceeded) {
		t.Fatalf("budget of %d: %v", n-1, err)
	}
	shared := expression.NewBudget(2*n - 1)
	if _, err := c.EvalBudget(e, shared); err != nil {
		t.Fatalf("first of two: %v", err)
	}
	if _, err := c.EvalBudget(e, shared); !errors.Is(err, expression.ErrBudgetExceeded) {
		t.Fatalf("second of two on one budget: %v", err)
	}
}

// TestMeterCannotBeNamed checks that an expression cannot reach the
// metering hooks by name.
func TestMeterCannotBeNamed(t *testing.T) {
	for _, src := range []string{"budget meter", "`budget charge`(1)", "budget_meter == nil"} {
		if _, err := expression.CompileCondition(src); err == nil {
			t.Errorf("%q compiled", src)
		}
	}
}

// TestTemplatesAndValuesAreBounded checks that templates and values (action
// arguments, CRM fields) run on a budget of their own.
func TestTemplatesAndValuesAreBounded(t *testing.T) {
	tpl, err := expression.CompileTemplate(`{{ any(payload.a, # in payload.b) }}`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tpl.Render(hostile(20000)); !errors.Is(err, expression.ErrBudgetExceeded) {
		t.Fatalf("render: %v", err)
	}
	v, err := expression.CompileValue(`filter(payload.a, # in payload.b)`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Eval(hostile(20000)); !errors.Is(err, expression.ErrBudgetExceeded) {
		t.Fatalf("value: %v", err)
	}
	ok, err := expression.CompileTemplate(`{{ payload.ref }}@{{ len(payload.alerts) }}`)
	if err != nil {
		t.Fatal(err)
	}
	if s, err := ok.Render(env()); err != nil || s != "refs/heads/main@1" {
		t.Fatalf("render = %q, %v", s, err)
	}
}
