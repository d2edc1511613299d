package expression_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/hookrunner/hookrunner/expression"
)

// numEnv holds numbers the way the payload decoder gives them: int64,
// uint64 above int64, json.Number for decimals (as sent).
func numEnv() *expression.Env {
	return &expression.Env{Payload: map[string]any{
		"id":     int64(820982911946154509),
		"big":    uint64(18446744073709551615),
		"big2":   uint64(18446744073709551614),
		"price":  json.Number("10.50"),
		"amount": json.Number("12.5"),
		"rate":   json.Number("1.0e-2"),
		"huge":   json.Number("123456789012345678901234567890"),
		"n":      int64(3),
		"neg":    int64(-1),
		"ids":    []any{int64(820982911946154508), int64(820982911946154509)},
		"prices": []any{json.Number("1.5"), json.Number("10.50"), int64(2)},
		"items":  []any{map[string]any{"p": json.Number("2.5")}, map[string]any{"p": json.Number("1.25")}},
		"ref":    "refs/heads/main",
		"legacy": float64(10.5), // a float64 (poll answers, tests) still works
	}}
}

func TestNumberConditions(t *testing.T) {
	tests := []struct {
		src  string
		want bool
	}{
		{"payload.id == 820982911946154509", true},
		{"payload.id == 820982911946154508", false},
		{"payload.id != 820982911946154508", true},
		{"payload.id > 820982911946154508", true},
		{"payload.id >= 820982911946154510", false},
		{"payload.id < 820982911946154510", true},
		{"820982911946154509 in payload.ids", true},
		{"820982911946154507 in payload.ids", false},
		{"payload.id in [820982911946154508, 1]", false},
		{"payload.id == 820982911946154508.0", false}, // an integer and a float64 compare exactly
		{"payload.price == 10.5", true},
		{"payload.price == 10.50", true},
		{"payload.price != 10.5", false},
		{"payload.price > 10", true},
		{"payload.price < 10.51", true},
		{"payload.amount > 10", true},
		{"payload.amount == 12.5 && payload.amount > payload.price", true},
		{"payload.rate == 0.01", true},
		{"payload.price == payload.legacy", true},
		{"payload.price in [10.5, 11]", true},
		{"10.5 in payload.prices", true},
		{"payload.prices == [1.5, 10.5, 2]", true},
		{"payload.price == '10.50'", false}, // a number is not a string
		{"payload.big == payload.big", true},
		{"payload.big == payload.big2", false},
		{"payload.big > payload.big2", true},
		{"payload.big == -1", false}, // not the same bits as int64 -1
		{"payload.big > 9223372036854775807", true},
		{"payload.big > payload.id", true},
		{"payload.neg < payload.big", true},
		{"string(payload.big) == '18446744073709551615'", true},
		{"payload.huge > 1e29", true},
		{"payload.price * 2 == 21", true},
		{"payload.n + 1 == 4", true},
		{"-payload.price == -10.5", true},
		{"int(payload.price) == 10", true},
		{"abs(payload.neg) == 1", true},
		{"max(payload.prices) == 10.5", true},
		{"sum(payload.prices) == 14", true},
		{"sum(payload.items, .p) == 3.75", true},
		{"sortBy(payload.items, .p)[0].p == 1.25", true},
		{"all(payload.prices, # > 1)", true},
		{"count(payload.prices, # < 10.5) == 2", true},
		{"payload.n > 1 ? true : false", true},
		{"type(payload.price) == 'float' && type(payload.id) == 'int'", true},
		{"payload.price != nil && payload.missing == nil", true},
		{"payload.ref == 'refs/heads/main'", true},
	}
	for _, tt := range tests {
		c, err := expression.CompileCondition(tt.src)
		if err != nil {
			t.Errorf("compile %q: %v", tt.src, err)
			continue
		}
		got, err := c.Eval(numEnv())
		if err != nil || got != tt.want {
			t.Errorf("%s = %v, %v; want %v", tt.src, got, err, tt.want)
		}
	}
}

// TestNumberTemplates: a payload's numbers print as they were sent in
// every template context; computed numbers in their shortest form.
func TestNumberTemplates(t *testing.T) {
	tests := []struct {
		ctx       expression.Context
		src, want string
	}{
		{expression.Text, "{{ payload.id }} {{ payload.price }} {{ payload.big }} {{ payload.rate }} {{ payload.huge }}",
			"820982911946154509 10.50 18446744073709551615 1.0e-2 123456789012345678901234567890"},
		{expression.Text, "{{ payload.id + 1 }} {{ payload.price * 2 }} {{ string(payload.price) }}", "820982911946154510 21 10.50"},
		{expression.Text, "{{ payload.prices }}", "[1.5,10.50,2]"},
		{expression.URL, "https://h/o/{{ payload.id }}?p={{ payload.price }}&b={{ payload.big }}#{{ payload.rate }}",
			"https://h/o/820982911946154509?p=10.50&b=18446744073709551615#1.0e-2"},
		{expression.JSON, `{"id": {{ payload.id }}, "p": {{ payload.price }}, "b": {{ payload.big }}, "r": {{ payload.rate }}, "h": {{ payload.huge }}, "s": "{{ payload.price }}"}`,
			`{"id": 820982911946154509, "p": 10.50, "b": 18446744073709551615, "r": 1.0e-2, "h": 123456789012345678901234567890, "s": "10.50"}`},
		{expression.JSON, `{"l": {{ payload.prices }}, "i": {{ payload.items[0] }}}`, `{"l": [1.5,10.50,2], "i": {"p":2.5}}`},
		{expression.JSON, `{{ toJSON(payload.ids) }}`, "[\n  820982911946154508,\n  820982911946154509\n]"},
		{expression.Header, "id={{ payload.id }} p={{ payload.price }}", "id=820982911946154509 p=10.50"},
		{expression.Form, "id={{ payload.id }}&p={{ payload.price }}", "id=820982911946154509&p=10.50"},
	}
	for _, tt := range tests {
		tpl, err := expression.CompileTemplateFor(tt.ctx, tt.src)
		if err != nil {
			t.Errorf("compile %q: %v", tt.src, err)
			continue
		}
		got, err := tpl.Render(numEnv())
		if err != nil || got != tt.want {
			t.Errorf("%s %q = %q, %v\nwant %q", tt.ctx, tt.src, got, err, tt.want)
		}
	}
	// toJSON of the whole payload keeps every number as sent.
	v, err := expression.CompileValue("toJSON(payload)")
	if err != nil {
		t.Fatal(err)
	}
	out, err := v.Eval(numEnv())
	s, _ := out.(string)
	for _, tok := range []string{`"id": 820982911946154509`, `"price": 10.50`, `"big": 18446744073709551615`, `"rate": 1.0e-2`, `"huge": 123456789012345678901234567890`} {
		if err != nil || !strings.Contains(s, tok) {
			t.Errorf("toJSON(payload) lacks %s: %s %v", tok, s, err)
		}
	}
	for v, want := range map[any]string{int64(-5): "-5", uint64(18446744073709551615): "18446744073709551615", json.Number("10.50"): "10.50", float64(0.1): "0.1"} {
		if got := expression.Stringify(v); got != want {
			t.Errorf("Stringify(%#v) = %q, want %q", v, got, want)
		}
	}
}

// TestNumberOperatorsStillChecked: the operators routed through the number
// functions still refuse unknown names at load and still report type
// errors at run time.
func TestNumberOperatorsStillChecked(t *testing.T) {
	for _, src := range []string{"nosuchvar == 1", "nosuchvar > 1", "1 in nosuchvar", "-nosuchvar", "max(nosuchvar)", "payload.x == nosuch.y"} {
		if _, err := expression.CompileCondition(src); err == nil {
			t.Errorf("%q compiled", src)
		}
	}
	c, err := expression.CompileCondition("payload.price < 'a'")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := c.Eval(numEnv()); ok || err == nil {
		t.Errorf("number < string = %v, %v; want an error", ok, err)
	}
}

// TestNumberOperatorsPayTheBudget: comparing, searching and summing large
// payload values through the number functions is metered like before.
func TestNumberOperatorsPayTheBudget(t *testing.T) {
	list := make([]any, 200_000)
	for i := range list {
		list[i] = json.Number("1.5")
	}
	env := &expression.Env{Payload: map[string]any{"l": list, "m": list}}
	for _, src := range []string{"payload.l == payload.m", "2 in payload.l", "sum(payload.l) > 0", "max(payload.l) > 0", "sort(payload.l)[0] > 0", "any(payload.l, # > 2)"} {
		c, err := expression.CompileCondition(src)
		if err != nil {
			t.Fatalf("compile %q: %v", src, err)
		}
		if _, err := c.EvalBudget(env, expression.NewBudget(10_000)); !errors.Is(err, expression.ErrBudgetExceeded) {
			t.Errorf("%s: %v, want the budget exceeded", src, err)
		}
	}
}
