package expression_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hookrunner/hookrunner/expression"
)

// FuzzTemplate: any template either compiles or is refused; a compiled one
// renders or errors against a real event; never a panic.
func FuzzTemplate(f *testing.F) {
	for _, s := range []string{"plain", "{{ payload.after }}", "a {{ payload.count * 2 }} b", "{{ payload.repository }}",
		"{{ upper(payload.ref) }}", "{{", "}}{{ }}", "{{ payload[\"x\"] ?? 'd' }}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		tpl, err := expression.CompileTemplate(src)
		if err != nil {
			return
		}
		_, _ = tpl.Render(env())
	})
}

// FuzzEscapedValue: whatever the payload value, a JSON body stays valid JSON
// and carries the value exactly, a URL keeps its path segments and query
// keys, and a header value never carries CR or LF.
func FuzzEscapedValue(f *testing.F) {
	for _, s := range []string{"", "..", "../admin", "a/b?c=d#e", "1&admin=true", "\"}\\\n</script>", "\r\nX-Evil: 1", "%2e%2e", "\u2028é"} {
		f.Add(s)
	}
	js, _ := expression.CompileTemplateFor(expression.JSON, `{"s": "x{{ payload.v }}", "v": {{ payload.v }}}`)
	u, _ := expression.CompileTemplateFor(expression.URL, "https://h/a/{{ payload.v }}/b?q={{ payload.v }}&k=1")
	h, _ := expression.CompileTemplateFor(expression.Header, "v {{ payload.v }}")
	f.Fuzz(func(t *testing.T, v string) {
		if !utf8.ValidString(v) {
			return
		}
		e := &expression.Env{Payload: map[string]any{"v": v}}
		out, err := js.Render(e)
		var got struct{ S, V string }
		if err != nil || json.Unmarshal([]byte(out), &got) != nil || got.S != "x"+v || got.V != v {
			t.Fatalf("json %q: %q %v %+v", v, out, err, got)
		}
		if out, err := u.Render(e); err == nil {
			p, perr := url.Parse(out)
			if perr != nil || len(strings.Split(p.EscapedPath(), "/")) != 4 || p.Query().Get("q") != v || len(p.Query()) != 2 || p.Fragment != "" {
				t.Fatalf("url %q: %q", v, out)
			}
		} else if v != "" && v != "." && v != ".." {
			t.Fatalf("url %q: %v", v, err)
		}
		if out, err := h.Render(e); err == nil && strings.ContainsAny(out, "\r\n") {
			t.Fatalf("header %q: %q", v, out)
		}
	})
}
