package expression_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hookrunner/hookrunner/expression"
)

// asList reads an element that may appear once (a value) or many times (a
// list) the same way, as XML payloads give them.
func TestAsList(t *testing.T) {
	one := map[string]any{"order": map[string]any{"item": map[string]any{"sku": "A1"}}}
	many := map[string]any{"order": map[string]any{"item": []any{map[string]any{"sku": "B2"}, map[string]any{"sku": "A1"}}}}
	none := map[string]any{"order": map[string]any{}}
	tests := []struct {
		src     string
		payload any
		want    bool
	}{
		{`any(asList(payload.order.item), .sku == "A1")`, one, true},
		{`any(asList(payload.order.item), .sku == "A1")`, many, true},
		{`len(asList(payload.order.item)) == 2`, many, true},
		{`len(asList(payload.order.item)) == 1`, one, true},
		{`len(asList(payload.order?.item)) == 0`, none, true},
		{`asList(payload.order.item)[0].sku == "B2"`, many, true},
		{`asList("x") == ["x"]`, none, true},
	}
	for _, tt := range tests {
		c, err := expression.CompileCondition(tt.src)
		if err != nil {
			t.Fatalf("%s: %v", tt.src, err)
		}
		got, err := c.Eval(&expression.Env{Payload: tt.payload})
		if err != nil || got != tt.want {
			t.Errorf("%s = %v, %v; want %v", tt.src, got, err, tt.want)
		}
	}
	tpl, err := expression.CompileTemplate(`{{ asList(payload.order.item)[0].sku }}`)
	if err != nil {
		t.Fatal(err)
	}
	if s, err := tpl.Render(&expression.Env{Payload: one}); err != nil || s != "A1" {
		t.Errorf("template = %q, %v", s, err)
	}
}

// lookup reads a dotted path as adnanh/webhook reads a parameter: a whole
// key before its segments, list indexes, nil for anything missing.
func TestLookup(t *testing.T) {
	doc := map[string]any{
		"a.b": "whole", "a": map[string]any{"b": "nested", "c": []any{"x", map[string]any{"d": int64(7)}}},
		"s": "text",
	}
	tests := []struct {
		src  string
		want any
	}{
		{`lookup(payload, "a.b")`, "whole"},
		{`lookup(payload, "a.c.0")`, "x"},
		{`lookup(payload, "a.c.1.d")`, int64(7)},
		{`lookup(payload, "a.c.2")`, nil},
		{`lookup(payload, "a.c.-1")`, nil},
		{`lookup(payload, "a.c.x")`, nil},
		{`lookup(payload, "s.0")`, nil},
		{`lookup(payload, "nope.x")`, nil},
		{`lookup(headers, "x-sig")`, "abc"},
		{`lookup(headers, "x-other")`, nil},
		{`lookup(nil, "a")`, nil},
		{`lookup([[1]], "0.0")`, 1},
	}
	env := &expression.Env{Payload: doc, Headers: map[string]string{"x-sig": "abc"}}
	for _, tt := range tests {
		p, err := expression.CompileTemplate("{{ " + tt.src + " == nil ? \"<nil>\" : toJSON(" + tt.src + ") }}")
		if err != nil {
			t.Fatalf("%s: %v", tt.src, err)
		}
		got, err := p.Render(env)
		want := "<nil>"
		if tt.want != nil {
			want = fmt.Sprintf("%v", tt.want)
			if s, ok := tt.want.(string); ok {
				want = `"` + s + `"`
			}
		}
		if err != nil || got != want {
			t.Errorf("%s = %q, %v; want %q", tt.src, got, err, want)
		}
	}
	c, _ := expression.CompileCondition(`lookup(payload, repeat("a.", 200)) == nil`)
	if _, err := c.Eval(env); err == nil || !strings.Contains(err.Error(), "path longer than") {
		t.Errorf("a long path: %v", err)
	}
}

// RenderOrAbsent tells a missing value from an empty one.
func TestRenderOrAbsent(t *testing.T) {
	env := &expression.Env{Payload: map[string]any{"empty": "", "n": int64(1)}}
	tests := []struct {
		src    string
		want   string
		absent bool
	}{
		{"{{ payload.gone }}", "", true},
		{"{{ payload.empty }}", "", false},
		{"{{ payload.n }}", "1", false},
		{"x{{ payload.gone }}", "x", false},
		{"literal", "literal", false},
	}
	for _, tt := range tests {
		p, err := expression.CompileTemplate(tt.src)
		if err != nil {
			t.Fatal(err)
		}
		got, absent, err := p.RenderOrAbsent(env)
		if err != nil || got != tt.want || absent != tt.absent {
			t.Errorf("%s = %q, %v, %v; want %q, %v", tt.src, got, absent, err, tt.want, tt.absent)
		}
	}
}
