package expression_test

import (
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
