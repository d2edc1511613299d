package expression_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/hookrunner/hookrunner/expression"
)

type ctxCase struct {
	name    string
	src     string
	v       any    // payload.v
	want    string // the rendering, when wantErr is empty
	wantErr string // a render error containing this
}

func runContext(t *testing.T, ctx expression.Context, cases []ctxCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tpl, err := expression.CompileTemplateFor(ctx, c.src)
			if err != nil {
				t.Fatalf("compile %q: %v", c.src, err)
			}
			got, err := tpl.Render(&expression.Env{Payload: map[string]any{"v": c.v, "n": float64(7)}})
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("render = %q, %v; want error %q", got, err, c.wantErr)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("render = %q, %v; want %q", got, err, c.want)
			}
		})
	}
}

func TestTemplateURLPath(t *testing.T) {
	base := "https://api.example.com/users/{{ payload.v }}/profile"
	runContext(t, expression.URL, []ctxCase{
		{"plain", base, "42", "https://api.example.com/users/42/profile", ""},
		{"climb", base, "../admin", "https://api.example.com/users/..%2Fadmin/profile", ""},
		{"slash", base, "a/b", "https://api.example.com/users/a%2Fb/profile", ""},
		{"encoded dots", base, "%2e%2e", "https://api.example.com/users/%252e%252e/profile", ""},
		{"query and fragment", base, "a?b=c#d", "https://api.example.com/users/a%3Fb=c%23d/profile", ""},
		{"unicode", base, "café ☃", "https://api.example.com/users/caf%C3%A9%20%E2%98%83/profile", ""},
		{"dot dot segment", base, "..", "", "would climb"},
		{"dot segment", base, ".", "", "would climb"},
		{"empty segment", base, "", "", "renders empty"},
		{"dots with literal", "https://h/a/{{ payload.v }}.txt", ".", "https://h/a/..txt", ""},
		{"literal encoded dot joins", "https://h/a/%2e{{ payload.v }}", ".", "", "would climb"},
		{"number", "https://h/{{ payload.n }}", nil, "https://h/7", ""},
	})
}

func TestTemplateURLQueryAndFragment(t *testing.T) {
	runContext(t, expression.URL, []ctxCase{
		{"one value", "https://h/x?ref={{ payload.v }}&b=2", "1&admin=true", "https://h/x?ref=1%26admin%3Dtrue&b=2", ""},
		{"equals", "https://h/x?ref={{ payload.v }}", "a=b", "https://h/x?ref=a%3Db", ""},
		{"hash", "https://h/x?ref={{ payload.v }}", "#frag", "https://h/x?ref=%23frag", ""},
		{"key", "https://h/x?{{ payload.v }}=1", "a&b", "https://h/x?a%26b=1", ""},
		{"no path", "https://h?q={{ payload.v }}", "x y", "https://h?q=x+y", ""},
		{"slash in query stays", "https://h/?q={{ payload.v }}", "../a", "https://h/?q=..%2Fa", ""},
		{"fragment", "https://h/x#{{ payload.v }}", "a b#c", "https://h/x#a%20b%23c", ""},
	})
	// What a server parses: exactly the keys of the template.
	tpl, err := expression.CompileTemplateFor(expression.URL, "https://h/x?ref={{ payload.v }}&b=2")
	if err != nil {
		t.Fatal(err)
	}
	out, err := tpl.Render(&expression.Env{Payload: map[string]any{"v": "1&admin=true#x"}})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(out)
	if q := u.Query(); len(q) != 2 || q.Get("ref") != "1&admin=true#x" || q.Get("b") != "2" || u.Fragment != "" {
		t.Fatalf("query %v fragment %q", q, u.Fragment)
	}
}

func TestTemplateURLRefusedAtLoad(t *testing.T) {
	for _, src := range []string{
		"https://{{ payload.host }}/x",
		"https://api.example.com{{ payload.path }}",
		"https://api.example.com:{{ payload.port }}/x",
		"https://{{ payload.user }}@api.example.com/x",
		"{{ payload.scheme }}://api.example.com/x",
		"{{ payload.url }}",
		"{{ payload.base }}/x",
		"/relative/{{ payload.x }}",
		"ftp://h/{{ payload.x }}",
		"https:///{{ payload.x }}",
	} {
		if _, err := expression.CompileTemplateFor(expression.URL, src); err == nil {
			t.Errorf("%q compiled for the URL context", src)
		}
	}
}

func TestTemplateTrustedURL(t *testing.T) {
	tpl, err := expression.CompileTemplateFor(expression.TrustedURL, "{{ payload.v }}")
	if err != nil {
		t.Fatal(err)
	}
	env := func(v string) *expression.Env { return &expression.Env{Payload: map[string]any{"v": v}} }
	if got, err := tpl.Render(env("https://other.example/a/../b?x=1&y=2")); err != nil || got != "https://other.example/a/../b?x=1&y=2" {
		t.Fatalf("trusted = %q, %v", got, err)
	}
	for _, bad := range []string{"file:///etc/passwd", "/relative", "", "gopher://h/"} {
		if got, err := tpl.Render(env(bad)); err == nil {
			t.Errorf("trusted %q rendered %q", bad, got)
		}
	}
	for _, src := range []string{"https://h/{{ payload.v }}", "{{ payload.a }}{{ payload.b }}", " {{ payload.v }}", "https://h/"} {
		if _, err := expression.CompileTemplateFor(expression.TrustedURL, src); err == nil {
			t.Errorf("trusted %q compiled: only a single {{ }} may be trusted", src)
		}
	}
}

func TestTemplateJSON(t *testing.T) {
	str := `{"text": "New customer {{ payload.v }}"}`
	val := `{"v": {{ payload.v }}}`
	runContext(t, expression.JSON, []ctxCase{
		{"quote", str, `x", "admin": true, "y": "`, `{"text": "New customer x\", \"admin\": true, \"y\": \""}`, ""},
		{"backslash", str, `a\`, `{"text": "New customer a\\"}`, ""},
		{"newline", str, "a\nb\u2028", `{"text": "New customer a\nb\u2028"}`, ""},
		{"script", str, "</script><script>", `{"text": "New customer \u003c/script\u003e\u003cscript\u003e"}`, ""},
		{"big int in string", str, json.Number("12345678901234567890"), `{"text": "New customer 12345678901234567890"}`, ""},
		{"map in string", str, map[string]any{"a": "b"}, `{"text": "New customer {\"a\":\"b\"}"}`, ""},
		{"string value", val, `x", "admin": true`, `{"v": "x\", \"admin\": true"}`, ""},
		{"number value", val, float64(42), `{"v": 42}`, ""},
		{"big float value", val, float64(1e21), `{"v": 1000000000000000000000}`, ""},
		{"big int value", val, json.Number("12345678901234567890"), `{"v": 12345678901234567890}`, ""},
		{"int64 value", val, int64(9007199254740993), `{"v": 9007199254740993}`, ""},
		{"bool value", val, true, `{"v": true}`, ""},
		{"null value", val, nil, `{"v": null}`, ""},
		{"object value", val, map[string]any{"k": []any{"a", 1.5}}, `{"v": {"k":["a",1.5]}}`, ""},
		{"toJSON value", `{"v": {{ toJSON(payload.v) }}}`, `a"b`, `{"v": "a\"b"}`, ""},
		{"array", `[{{ payload.n }}, "{{ payload.v }}"]`, "x", `[7, "x"]`, ""},
		{"key in string", `{"{{ payload.v }}": 1}`, `a"`, `{"a\"": 1}`, ""},
		{"bad json.Number", val, json.Number("1,2"), "", "JSON"},
	})
}

func TestTemplateJSONRefusedAtLoad(t *testing.T) {
	for _, src := range []string{
		`{"a": "x"{{ payload.v }}"}`, // straddles a string boundary
		`{"a": "x" {{ payload.v }}}`, // after a value
		`{ {{ payload.k }}: 1}`,      // in key position outside a string
		`{"a": tru{{ payload.v }}}`,  // glued to a literal
		`{"a": {{ payload.a }}{{ payload.b }}}`,
		`{"a": "\{{ payload.v }}"}`,      // right after a backslash
		`{"a": "\u00{{ payload.v }}41"}`, // inside \u
		`{"a": "unclosed {{ payload.v }}}`,
		`{"a": 1`,
		``,
	} {
		if _, err := expression.CompileTemplateFor(expression.JSON, src); err == nil {
			t.Errorf("%q compiled for the JSON context", src)
		}
	}
}

func TestTemplateHeader(t *testing.T) {
	runContext(t, expression.Header, []ctxCase{
		{"plain", "Bearer {{ payload.v }}", "abc", "Bearer abc", ""},
		{"tab", "{{ payload.v }}", "a\tb", "a\tb", ""},
		{"crlf", "x-{{ payload.v }}", "1\r\nX-Evil: 1", "", "control character"},
		{"lf", "{{ payload.v }}", "1\nX-Evil: 1", "", "control character"},
		{"nul", "{{ payload.v }}", "a\x00", "", "control character"},
		{"del", "{{ payload.v }}", "a\x7f", "", "control character"},
		{"nel", "{{ payload.v }}", "1\u0085X-Evil: 1", "", "control character"},
		{"csi", "{{ payload.v }}", "a\u009b31m", "", "control character"},
		{"line separator", "{{ payload.v }}", "1\u2028X-Evil: 1", "", "control character"},
		{"paragraph separator", "{{ payload.v }}", "1\u2029X-Evil: 1", "", "control character"},
		{"right-to-left override", "{{ payload.v }}", "a\u202eb", "", "control character"},
		{"not utf-8", "{{ payload.v }}", "a\xffb", "", "control character"},
		{"non-ASCII text", "{{ payload.v }}", "Zoë ☃ \ufffd", "Zoë ☃ \ufffd", ""},
	})
	for _, lit := range []string{"a\r\nX-Evil: 1 {{ payload.v }}", "a\u2028b {{ payload.v }}", "a\u0085 {{ payload.v }}"} {
		if _, err := expression.CompileTemplateFor(expression.Header, lit); err == nil {
			t.Errorf("the literal %+q compiled as a header template", lit)
		}
	}
}

func TestTemplateFormAndText(t *testing.T) {
	runContext(t, expression.Form, []ctxCase{
		{"value", "ref={{ payload.v }}&b=2", "1&admin=true", "ref=1%26admin%3Dtrue&b=2", ""},
	})
	runContext(t, expression.Text, []ctxCase{
		{"as is", "--ref={{ payload.v }}", "1&a=\"b\"\n../x", "--ref=1&a=\"b\"\n../x", ""},
	})
}

func TestPathSegment(t *testing.T) {
	for v, want := range map[string]string{"../../admin": "..%2F..%2Fadmin", "a/b?c=d#e": "a%2Fb%3Fc=d%23e", "a@b.com": "a@b.com"} {
		if got, err := expression.PathSegment(v); err != nil || got != want {
			t.Errorf("PathSegment(%q) = %q, %v; want %q", v, got, err, want)
		}
	}
	for _, v := range []string{"", ".", ".."} {
		if got, err := expression.PathSegment(v); err == nil {
			t.Errorf("PathSegment(%q) = %q", v, got)
		}
	}
}

func TestBodyContext(t *testing.T) {
	for _, c := range []struct {
		ct, src string
		want    expression.Context
	}{
		{"", `{"a": 1}`, expression.JSON},
		{"", "  [1]", expression.JSON},
		{"", "{{ payload }}", expression.Text},
		{"", "hello {{ x }}", expression.Text},
		{"application/json; charset=utf-8", "{{ payload }}", expression.JSON},
		{"application/cloudevents+json", "x", expression.JSON},
		{"Application/x-www-form-urlencoded", "a=1", expression.Form},
		{"text/plain", `{"a": 1}`, expression.Text},
	} {
		got, err := expression.BodyContext(c.ct, c.src)
		if err != nil || got != c.want {
			t.Errorf("BodyContext(%q, %q) = %s, %v; want %s", c.ct, c.src, got, err, c.want)
		}
	}
}

// A payload set with SetPayloadFunc is decoded once, when an expression
// first reads the env, and never for a template without one.
func TestLazyPayload(t *testing.T) {
	static, err := expression.CompileTemplateFor(expression.URL, "https://example.test/hooks")
	if err != nil {
		t.Fatal(err)
	}
	dynamic, err := expression.CompileTemplateFor(expression.JSON, `{"ref": "{{ payload.ref }}", "n": {{ payload.n }}}`)
	if err != nil {
		t.Fatal(err)
	}
	cond, err := expression.CompileCondition(`payload.n == 2`)
	if err != nil {
		t.Fatal(err)
	}
	loads := 0
	env := &expression.Env{Source: "gh"}
	env.SetPayloadFunc(func() any {
		loads++
		return map[string]any{"ref": "refs/heads/main", "n": 2}
	})
	if got, err := static.Render(env); err != nil || got != "https://example.test/hooks" {
		t.Fatalf("static: %q, %v", got, err)
	}
	if loads != 0 {
		t.Fatalf("a literal template decoded the payload (%d loads)", loads)
	}
	for i := 0; i < 2; i++ {
		got, err := dynamic.Render(env)
		if err != nil || got != `{"ref": "refs/heads/main", "n": 2}` {
			t.Fatalf("render %d: %q, %v", i, got, err)
		}
	}
	if ok, err := cond.Eval(env); err != nil || !ok {
		t.Fatalf("condition: %v, %v", ok, err)
	}
	if loads != 1 {
		t.Fatalf("payload decoded %d times, want once", loads)
	}
}
