package expression_test

import (
	"strings"
	"testing"

	"github.com/hookrunner/hookrunner/expression"
)

func env() *expression.Env {
	return &expression.Env{Source: "github", Event: "push", Payload: map[string]any{
		"ref": "refs/heads/main", "after": "abc123", "count": float64(42), "ratio": 0.5,
		"repository": map[string]any{"full_name": "acme/api"},
		"alerts":     []any{map[string]any{"labels": map[string]any{"alertname": "HighLoad"}}},
	}, Headers: map[string]string{"x-github-event": "push"}}
}

func TestConditions(t *testing.T) {
	tests := []struct {
		src     string
		want    bool
		wantErr string
	}{
		{``, true, ""},
		{`payload.ref == "refs/heads/main"`, true, ""},
		{`payload.ref == "refs/heads/dev"`, false, ""},
		{`payload.repository?.full_name == "acme/api" && event == "push"`, true, ""},
		{`any(payload.alerts, .labels.alertname == "HighLoad")`, true, ""},
		{`payload.count > 40`, true, ""},
		{`headers["x-github-event"] == "push"`, true, ""},
		{`payload.missing.field == "x"`, false, "nil"},
	}
	for _, tt := range tests {
		c, err := expression.CompileCondition(tt.src)
		if err != nil {
			t.Fatalf("%s: %v", tt.src, err)
		}
		got, err := c.Eval(env())
		if got != tt.want {
			t.Errorf("%s = %v, want %v", tt.src, got, tt.want)
		}
		if (err != nil) != (tt.wantErr != "") || err != nil && !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%s: err = %v, want %q", tt.src, err, tt.wantErr)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	for _, src := range []string{`payload.ref ==`, `1 + `, `"str"`, `nosuchvar == 1`} {
		if _, err := expression.CompileCondition(src); err == nil {
			t.Errorf("%q compiled", src)
		}
	}
	for _, src := range []string{"{{ payload.ref ", "{{ }}", "{{ payload. }}"} {
		if _, err := expression.CompileTemplate(src); err == nil {
			t.Errorf("template %q compiled", src)
		}
	}
}

func TestTemplates(t *testing.T) {
	tests := map[string]string{
		"plain":               "plain",
		"{{ payload.after }}": "abc123",
		"sha={{ payload.after }} n={{ payload.count }} r={{ payload.ratio }}": "sha=abc123 n=42 r=0.5",
		"{{ payload.repository }}":                  `{"full_name":"acme/api"}`,
		"{{ payload.nothing }}":                     "",
		"{{ upper(payload.repository.full_name) }}": "ACME/API",
	}
	for src, want := range tests {
		tpl, err := expression.CompileTemplate(src)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		got, err := tpl.Render(env())
		if err != nil || got != want {
			t.Errorf("%s = %q, %v; want %q", src, got, err, want)
		}
	}
}

func TestGlob(t *testing.T) {
	tests := []struct {
		p, s string
		want bool
	}{
		{"customer.*", "customer.created", true},
		{"customer.*", "customer.subscription.deleted", true},
		{"customer.*", "invoice.paid", false},
		{"*", "anything", true},
		{"orders/*", "orders/create", true},
		{"push", "push", true},
		{"pus?", "push", true},
		{"*.paid", "invoice.paid", true},
		{"*.paid", "invoice.failed", false},
	}
	for _, tt := range tests {
		if got := expression.Glob(tt.p, tt.s); got != tt.want {
			t.Errorf("Glob(%q, %q) = %v", tt.p, tt.s, got)
		}
	}
}

func TestExplainShowsDecidingValues(t *testing.T) {
	c, _ := expression.CompileCondition(`payload.ref == "refs/heads/dev" && payload.repository.full_name == "acme/api"`)
	terms := c.Explain(env(), expression.NewBudget(0))
	if len(terms) != 2 {
		t.Fatalf("terms = %+v", terms)
	}
	if terms[0].Result != "false" || !strings.Contains(strings.Join(terms[0].Operands, " "), `payload.ref = "refs/heads/main"`) {
		t.Errorf("first term = %+v", terms[0])
	}
	if terms[1].Result != "true" {
		t.Errorf("second term = %+v", terms[1])
	}
}
