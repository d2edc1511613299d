package expression_test

import (
	"errors"
	"regexp/syntax"
	"strings"
	"testing"

	"github.com/hookrunner/hookrunner/expression"
)

// textPayload is the payload of the string attacks: a 1 MB string of one
// letter, a SHA-looking string that never matches, the same texts cut to
// 2 KB, and patterns and operands read from the event.
func textPayload() *expression.Env {
	return &expression.Env{Event: "push", Payload: map[string]any{
		"h":     strings.Repeat("a", 1_000_000),
		"sha":   strings.Repeat(strings.Repeat("a", 39)+"g", 25_000),
		"small": strings.Repeat("a", 2000),
		"pat":   "[a-z]{200}!",
		"huge":  strings.Repeat("[a-z]{1000}", 1000),
		"big":   strings.Repeat("b", 2000),
		"strs":  strings.Split(strings.Repeat("x", 2000), ""),
		"uni":   strings.Repeat("é", 50_000),
		"cut":   strings.Repeat("àü", 10_000) + "é",
		"deep":  nested(500),
	}}
}

func nested(depth int) any {
	v := any(1.0)
	for i := 0; i < depth; i++ {
		v = []any{v, "x"}
	}
	return v
}

// program is the number of instructions Go's regexp runs pattern with.
func program(t *testing.T, pattern string) int64 {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		t.Fatal(err)
	}
	prog, err := syntax.Compile(re.Simplify())
	if err != nil {
		t.Fatal(err)
	}
	return int64(len(prog.Inst))
}

// TestBudgetPricesStringWork runs conditions whose work is not linear in
// the size of their operands: a regexp costs its text times its program
// (seconds on 1 MB for a mundane pattern), replace, join and toJSON make
// more than they read, trim with a non-ASCII cutset searches the cutset
// for every rune. Each must stop on the default budget. Then the same
// operation on a small input runs under a large budget, and the steps it
// was charged must cover its work, counted independently: for a regexp
// the NFA's bound (bytes of text × instructions of the program, 2 to a
// step: the meter's unit, calibrated on Go's worst case), for the builtins
// the bytes they made (16 to a step, the meter's unit).
func TestBudgetPricesStringWork(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		small     string // the same work on a small input, run to the end
		work      func(t *testing.T, out any) int64
	}{
		{"literal regexp", `payload.h matches "a{100}b"`, `payload.small matches "a{100}b"`,
			func(t *testing.T, _ any) int64 { return 2000 * program(t, "a{100}b") / 2 }},
		{"regexp of the report", `payload.h matches "[a-z]{200}!"`, `payload.small matches "[a-z]{200}!"`,
			func(t *testing.T, _ any) int64 { return 2000 * program(t, "[a-z]{200}!") / 2 }},
		{"short regexp, long text", `payload.sha matches "[0-9a-f]{40}"`, `payload.small matches "[0-9a-f]{40}"`,
			func(t *testing.T, _ any) int64 { return 2000 * program(t, "[0-9a-f]{40}") / 2 }},
		{"alternation", `payload.h matches "(a|aa){0,100}b"`, `payload.small matches "(a|aa){0,100}b"`,
			func(t *testing.T, _ any) int64 { return 2000 * program(t, "(a|aa){0,100}b") / 2 }},
		{"regexp read from the event", `payload.h matches payload.pat`, `payload.small matches payload.pat`,
			func(t *testing.T, _ any) int64 { return 2000 * program(t, "[a-z]{200}!") / 2 }},
		{"regexp computed", `payload.h matches ("[a-z]{2" + "00}!")`, `payload.small matches ("[a-z]{2" + "00}!")`,
			func(t *testing.T, _ any) int64 { return 2000 * program(t, "[a-z]{200}!") / 2 }},
		{"regexp on bytes", `body matches "[a-z]{200}!"`, ``, nil},
		{"replace grows the text", `len(replace(payload.h, "a", payload.big)) < 0`, `replace(payload.small, "a", payload.big)`,
			func(_ *testing.T, out any) int64 { return int64(len(out.(string)) / 16) }},
		{"replace of the empty string", `len(replace(payload.h, "", payload.big)) < 0`, `replace(payload.small, "", payload.big)`,
			func(_ *testing.T, out any) int64 { return int64(len(out.(string)) / 16) }},
		{"join with a long glue", `len(join(payload.strs, payload.big + payload.big)) < 0`, `join(payload.strs, payload.big)`,
			func(_ *testing.T, out any) int64 { return int64(len(out.(string)) / 16) }},
		{"trim with a non-ASCII cutset", `len(trim(payload.uni, payload.cut)) < 0`, `trim(payload.uni[:2000], payload.cut)`,
			func(_ *testing.T, _ any) int64 { return 1000 * 20001 / 16 }}, // runes × bytes of cutset searched
		{"toJSON of a deep value", `len(toJSON([payload.deep, payload.deep, payload.deep])) < 0`, `toJSON(payload.deep)`,
			func(_ *testing.T, out any) int64 { return int64(len(out.(string)) / 16) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := expression.CompileCondition(tc.src)
			if err != nil {
				t.Fatal(err)
			}
			env := textPayload()
			env.Body = []byte(strings.Repeat("a", 1_000_000))
			b := expression.NewBudget(expression.DefaultBudget)
			ok, err := c.EvalBudget(env, b)
			if ok || !errors.Is(err, expression.ErrBudgetExceeded) || !b.Exceeded() {
				t.Fatalf("= %v, %v (used %d); want evaluation budget exceeded", ok, err, b.Used())
			}
			if tc.small == "" {
				return
			}
			v, err := expression.CompileValue(tc.small)
			if err != nil {
				t.Fatal(err)
			}
			big := expression.NewBudget(1 << 40)
			out, err := v.EvalBudget(textPayload(), big)
			if err != nil {
				t.Fatal(err)
			}
			if work := tc.work(t, out); big.Used() < work {
				t.Fatalf("charged %d steps for %d steps of work", big.Used(), work)
			}
		})
	}
}

// TestRegexpProgramBounded: a pattern whose program is over
// MaxRegexpInsts is refused at load with the reason, in a condition, a
// value and a template; one read from an event is refused when it is
// evaluated (the condition does not match), before it is compiled.
func TestRegexpProgramBounded(t *testing.T) {
	for _, src := range []string{
		`payload.h matches "[a-z]{1000}b"`,
		`payload.h matches "(a|aa){0,1000}b"`,
		`payload.h matches "(abc{30}){30}"`,
		`payload.h matches "` + strings.Repeat("[a-z]{1000}", 40) + `"`,
		`any(payload.list, # matches "x{600}y{600}")`,
	} {
		_, err := expression.CompileCondition(src)
		if err == nil || !strings.Contains(err.Error(), "more than 1000 instructions") {
			t.Errorf("CompileCondition(%s) = %v; want the program refused", src, err)
		}
		if _, err := expression.CompileValue(src); err == nil {
			t.Errorf("CompileValue(%s) compiled", src)
		}
		if _, err := expression.CompileTemplate("x={{ " + src + " }}"); err == nil {
			t.Errorf("template of %s compiled", src)
		}
	}
	for _, src := range []string{`payload.small matches payload.huge`, `payload.small matches repeat("a", 1001)`} {
		c, err := expression.CompileCondition(src)
		if err != nil {
			t.Fatal(err)
		}
		ok, err := c.Eval(textPayload())
		if ok || err == nil || !strings.Contains(err.Error(), "more than 1000 instructions") {
			t.Errorf("%s = %v, %v; want the pattern refused", src, ok, err)
		}
	}
}

// TestCostedOperationsKeepTheirMeaning: the operations the meter prices
// itself give what expr's own give, and their type errors are still
// found at load.
func TestCostedOperationsKeepTheirMeaning(t *testing.T) {
	env := &expression.Env{Body: []byte("xyz"), Payload: map[string]any{"s": "a-b-c", "p": "^a.b", "l": []any{"x", "y"}, "n": 5.0, "nil": nil}}
	for src, want := range map[string]string{
		`payload.s matches payload.p`:        "true",
		`payload.s matches "^b"`:             "false",
		`body matches "y"`:                   "true",
		`payload.nil matches payload.p`:      "false",
		`replace(payload.s, "-", "+")`:       "a+b+c",
		`replace(payload.s, "-", "", 1)`:     "ab-c",
		`join(payload.l, ", ")`:              "x, y",
		`join(payload.l)`:                    "xy",
		`trim("éaé", "é")`:                   "a",
		`trim("  a ")`:                       "a",
		`toJSON(payload.l)`:                  "[\n  \"x\",\n  \"y\"\n]",
		`upper(replace(payload.s, "-", ""))`: "ABC",
	} {
		v, err := expression.CompileValue(src)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		out, err := v.Eval(env)
		if got := expression.Stringify(out); err != nil || got != want {
			t.Errorf("%s = %q, %v; want %q", src, got, err, want)
		}
	}
	for _, src := range []string{`nosuch matches payload.p`, `payload.s matches nosuch`, `payload.s matches 1`,
		`replace(1, "a", "b")`, `join(1, ",")`, `trim(payload.s, 2)`, `toJSON(nosuch)`, `payload.s matches "("`} {
		if _, err := expression.CompileValue(src); err == nil {
			t.Errorf("%s compiled", src)
		}
	}
	c, _ := expression.CompileCondition(`payload.n matches payload.p`)
	if ok, err := c.Eval(env); ok || err == nil {
		t.Errorf("a number matched: %v, %v", ok, err)
	}
}

// TestTypicalRegexpsFitTheDefaultBudget: the rules people write, on the
// texts they get (a 4 KB commit message, a tag ref), match within the
// default budget together; the regexp price is the worst case of Go's
// matcher, not a multiple of it.
func TestTypicalRegexpsFitTheDefaultBudget(t *testing.T) {
	msg := strings.Repeat("Fix the rate limiter's off-by-one in the token bucket refill.\n", 64) + "[skip ci]"
	env := &expression.Env{Event: "push", Payload: map[string]any{"ref": "refs/tags/v1.2.3", "message": msg}}
	b := expression.NewBudget(expression.DefaultBudget)
	for _, src := range []string{
		`payload.message matches "(?i)\\[(skip ci|ci skip)\\]"`,
		`payload.message matches "\\[deploy\\]" || payload.message contains "[skip ci]"`,
		`payload.ref matches "^refs/tags/v[0-9]+"`,
	} {
		c, err := expression.CompileCondition(src)
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := c.EvalBudget(env, b); !ok || err != nil {
			t.Fatalf("%s = %v, %v (used %d of %d)", src, ok, err, b.Used(), expression.DefaultBudget)
		}
	}
}
