package importer_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/hookrunner/hookrunner/config"
	"github.com/hookrunner/hookrunner/expression"
	"github.com/hookrunner/hookrunner/importer"
	"github.com/hookrunner/hookrunner/payload"
)

// importOne converts hooks and loads the result as hookrunner would.
func importOne(t *testing.T, hooks string) (*config.Config, *importer.Result) {
	t.Helper()
	res, err := importer.FromWebhook([]byte(hooks))
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	mustBuild(t, res.YAML)
	cfg, err := config.Parse("hooks.yaml", []byte(res.YAML), func(k string) (string, bool) { return "x", strings.HasSuffix(k, "SECRET") })
	if err != nil {
		t.Fatal(err)
	}
	return cfg, res
}

func shellOf(t *testing.T, cfg *config.Config, i int) map[string]any {
	t.Helper()
	sh, ok := cfg.Rules[i].Actions[0]["shell"].(map[string]any)
	if !ok {
		t.Fatalf("rule %d has no shell action: %v", i, cfg.Rules[i].Actions)
	}
	return sh
}

// env is an event as a rule sees it.
func env(t *testing.T, body string, headers map[string]string) *expression.Env {
	t.Helper()
	var doc any
	if body != "" {
		var err error
		if doc, err = payload.DecodeJSON([]byte(body), payload.MaxJSONDepth); err != nil {
			t.Fatal(err)
		}
	}
	if headers == nil {
		headers = map[string]string{}
	}
	return &expression.Env{Payload: doc, Headers: headers, Query: map[string]string{}, Body: []byte(body)}
}

// The trigger rule decides as adnanh's does: values compared as the text
// adnanh prints (numbers as sent), a missing parameter never matching, and
// its error travelling up through not and and as in adnanh's Evaluate.
func TestImportConditionSemantics(t *testing.T) {
	m := func(name string, value string) string {
		return fmt.Sprintf(`{"match": {"type": "value", "value": %s, "parameter": {"source": "payload", "name": %q}}}`, value, name)
	}
	tests := []struct {
		name, rule, body string
		want             bool
	}{
		{"number value matches number", m("n", "1"), `{"n": 1}`, true},
		{"number value matches string", m("n", "1"), `{"n": "1"}`, true},
		{"number as sent", m("n", "1"), `{"n": 1.0}`, false},
		{"float value as float32 text", m("n", "1.50"), `{"n": 1.5}`, true},
		{"boolean value", m("b", "true"), `{"b": true}`, true},
		{"big integer exact", m("id", `"820982911946154509"`), `{"id": 820982911946154509}`, true},
		{"dotted key first", m("a.b", `"x"`), `{"a.b": "x", "a": {"b": "y"}}`, true},
		{"list index", m("l.1", `"y"`), `{"l": ["x", "y"]}`, true},
		{"list index out of range", m("l.5", `"y"`), `{"l": ["x", "y"]}`, false},
		{"array payload is root", m("root.0.e", `"x"`), `[{"e": "x"}]`, true},
		{"object payload with root", m("root.0.e", `"x"`), `{"root": [{"e": "x"}]}`, true},
		{"missing is not empty", m("gone", `""`), `{}`, false},
		{"regex", `{"match": {"type": "regex", "regex": "^v[0-9]", "parameter": {"source": "payload", "name": "tag"}}}`, `{"tag": "v2.1"}`, true},
		{"not of a missing value alone", `{"not": ` + m("gone", `"x"`) + `}`, `{}`, true},
		{"not of a missing value in an and", `{"and": [{"not": ` + m("gone", `"x"`) + `}, ` + m("a", `"1"`) + `]}`, `{"a": "1"}`, false},
		{"not of a present value in an and", `{"and": [{"not": ` + m("p", `"x"`) + `}, ` + m("a", `"1"`) + `]}`, `{"a": "1", "p": "y"}`, true},
		{"not of a missing value in an or", `{"or": [{"not": ` + m("gone", `"x"`) + `}, ` + m("a", `"2"`) + `]}`, `{"a": "1"}`, true},
		{"and inside or stops at a missing value", `{"or": [{"and": [{"not": ` + m("gone", `"x"`) + `}]}, ` + m("a", `"2"`) + `]}`, `{"a": "1"}`, false},
		{"or with a missing value", `{"or": [` + m("foo", `"bar"`) + `, ` + m("n", "1") + `]}`, `{"n": 1}`, true},
		{"and with a missing value", `{"and": [` + m("foo", `"bar"`) + `, ` + m("n", "1") + `]}`, `{"n": 1}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _ := importOne(t, `[{"id": "h", "execute-command": "/bin/true", "trigger-rule": `+tt.rule+`}]`)
			c, err := expression.CompileCondition(cfg.Rules[0].If)
			if err != nil {
				t.Fatalf("%s: %v", cfg.Rules[0].If, err)
			}
			got, err := c.Eval(env(t, tt.body, nil))
			if err != nil || got != tt.want {
				t.Errorf("%s\non %s = %v, %v; want %v", cfg.Rules[0].If, tt.body, got, err, tt.want)
			}
		})
	}
}

// Arguments and variables get the text adnanh passes: empty when missing,
// numbers as sent, objects as JSON, the raw body, literals as written;
// variables keep adnanh's names and are left out when missing.
func TestImportArguments(t *testing.T) {
	tests := []struct {
		name, arg, body string
		want            string
	}{
		{"string field", `{"source": "payload", "name": "a.b"}`, `{"a": {"b": "x y"}}`, "x y"},
		{"missing field", `{"source": "payload", "name": "a.c"}`, `{"a": {}}`, ""},
		{"number as sent", `{"source": "payload", "name": "n"}`, `{"n": 10.50}`, "10.50"},
		{"object as JSON", `{"source": "payload", "name": "o"}`, `{"o": {"z": 1, "a": "<"}}`, `{"a":"\u003c","z":1}`},
		{"array root", `{"source": "payload", "name": "root.1"}`, `["a", "b"]`, "b"},
		{"entire payload", `{"source": "entire-payload"}`, `{"b": 1, "a": 2}`, `{"a":2,"b":1}`},
		{"raw body", `{"source": "raw-request-body"}`, `{ "spaced" : true }`, `{ "spaced" : true }`},
		{"header", `{"source": "header", "name": "X-Request-Id"}`, `{}`, "r-1"},
		{"literal with braces", `{"source": "string", "name": "{{ .x }} ${HOME}"}`, `{}`, "{{ .x }} ${HOME}"},
		{"method", `{"source": "request", "name": "method"}`, `{}`, "POST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _ := importOne(t, `[{"id": "h", "execute-command": "/bin/echo", "pass-arguments-to-command": [`+tt.arg+`]}]`)
			cmd := shellOf(t, cfg, 0)["command"].([]any)
			tpl, err := expression.CompileTemplate(cmd[1].(string))
			if err != nil {
				t.Fatal(err)
			}
			got, err := tpl.Render(env(t, tt.body, map[string]string{"x-request-id": "r-1"}))
			if err != nil || got != tt.want {
				t.Errorf("%s = %q, %v; want %q", cmd[1], got, err, tt.want)
			}
		})
	}

	cfg, res := importOne(t, `[{"id": "h", "execute-command": "/bin/env", "pass-environment-to-command": [
		{"source": "payload", "name": "head_commit.timestamp"}, {"source": "payload", "name": "x", "envname": "MY_X"},
		{"source": "payload", "name": "a b/c"}, {"source": "header", "name": "X-Trace"}]}]`)
	sh := shellOf(t, cfg, 0)
	var names []string
	for k := range sh["env"].(map[string]any) {
		names = append(names, k)
	}
	want := []string{"HOOK_X-Trace", "HOOK_a_b_c", "HOOK_head_commit.timestamp", "MY_X"}
	if !equalSorted(names, want) || sh["omit_missing_env"] != true {
		t.Errorf("env names %v (omit_missing_env %v), want %v", names, sh["omit_missing_env"], want)
	}
	if !strings.Contains(strings.Join(res.Warnings, "\n"), `"HOOK_a b/c" is named "HOOK_a_b_c"`) {
		t.Errorf("renamed variable not warned: %v", res.Warnings)
	}
}

func equalSorted(a, b []string) bool {
	a, b = append([]string(nil), a...), append([]string(nil), b...)
	for _, s := range [][]string{a, b} {
		for i := range s {
			for j := i + 1; j < len(s); j++ {
				if s[j] < s[i] {
					s[i], s[j] = s[j], s[i]
				}
			}
		}
	}
	return reflect.DeepEqual(a, b)
}

func sigMatch(typ, secret, header string) string {
	return fmt.Sprintf(`{"match": {"type": %q, "secret": %q, "parameter": {"source": "header", "name": %q}}}`, typ, secret, header)
}

// Signature checks become the source's verification: the algorithm and
// header kept, the prefix optional as adnanh reads it, an or of them the
// source's secrets (only the first without soft failures); what cannot be
// kept exactly refuses the import.
func TestImportSignatures(t *testing.T) {
	tests := []struct {
		name, rule string
		soft       bool
		want       []string // in the source
		warn       string
		refuse     string
	}{
		{"sha1 github", sigMatch("payload-hmac-sha1", "s", "X-Hub-Signature"), false,
			[]string{"algorithm: sha1", `prefix: "sha1="`, "prefix_optional: true", `secret: "s"`, `event_header: "X-GitHub-Event"`}, "", ""},
		{"sha512 any header", sigMatch("payload-hash-sha512", "s", "X-Signature"), false,
			[]string{"algorithm: sha512", `header: "X-Signature"`, `prefix: "sha512="`}, "", ""},
		{"rotation", `{"or": [` + sigMatch("payload-hmac-sha256", "a", "X-Sig") + `, ` + sigMatch("payload-hmac-sha256", "b", "X-Sig") + `]}`, true,
			[]string{`secrets: ["a", "b"]`}, "", ""},
		{"or without soft failures", `{"or": [` + sigMatch("payload-hmac-sha256", "a", "X-Sig") + `, ` + sigMatch("payload-hmac-sha256", "b", "X-Sig") + `]}`, false,
			[]string{`secret: "a"`}, "only its first secret ever verified", ""},
		{"rotation inside and", `{"and": [{"or": [` + sigMatch("payload-hmac-sha1", "a", "X-Hub-Signature") + `, ` + sigMatch("payload-hmac-sha1", "b", "X-Hub-Signature") + `]}]}`, true,
			[]string{`secrets: ["a", "b"]`}, "", ""},
		{"or of different algorithms", `{"or": [` + sigMatch("payload-hmac-sha1", "a", "X-Hub-Signature") + `, ` + sigMatch("payload-hmac-sha256", "a", "X-Hub-Signature-256") + `]}`, true,
			nil, "", "different algorithms or headers"},
		{"signature inside not", `{"not": ` + sigMatch("payload-hmac-sha1", "a", "X-Hub-Signature") + `}`, false, nil, "", "inside or/not cannot be converted"},
		{"two signatures", `{"and": [` + sigMatch("payload-hmac-sha1", "a", "X-A") + `, ` + sigMatch("payload-hmac-sha1", "b", "X-B") + `]}`, false, nil, "", "a second signature check"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hooks := fmt.Sprintf(`[{"id": "h", "execute-command": "/bin/true", "trigger-signature-soft-failures": %v, "trigger-rule": %s}]`, tt.soft, tt.rule)
			res, err := importer.FromWebhook([]byte(hooks))
			if tt.refuse != "" {
				var r *importer.Refusal
				if !errors.As(err, &r) || !strings.Contains(err.Error(), tt.refuse) || !strings.Contains(err.Error(), `hook "h"`) {
					t.Fatalf("want a refusal naming the hook and %q, got %v", tt.refuse, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			mustBuild(t, res.YAML)
			for _, w := range append(tt.want, "provider: generic", "verify: hmac") {
				if !strings.Contains(res.YAML, w) {
					t.Errorf("lacks %s:\n%s", w, res.YAML)
				}
			}
			if tt.warn != "" && !strings.Contains(strings.Join(res.Warnings, "\n"), tt.warn) {
				t.Errorf("warnings lack %q: %v", tt.warn, res.Warnings)
			}
		})
	}
}

// What the hook answers: a synchronous hook answers with stdout and
// stderr, adnanh's fixed message on failure unless ...-on-error, its
// success code; every hook runs once.
func TestImportAnswers(t *testing.T) {
	tests := []struct {
		name, extra string
		want        map[string]any // shell keys
		respond     string
	}{
		{"async", `"response-message": "ok"`, map[string]any{"respond_stderr": nil, "error_body": nil}, "async"},
		{"sync", `"include-command-output-in-response": true`, map[string]any{"respond_stderr": true, "error_body": "Error occurred while executing the hook's command. Please check your logs for more details."}, "sync"},
		{"sync showing errors", `"include-command-output-in-response": true, "include-command-output-in-response-on-error": true`, map[string]any{"respond_stderr": true, "error_body": nil}, "sync"},
		{"on-error alone", `"include-command-output-in-response-on-error": true`, map[string]any{"error_body": nil}, "async"},
		{"success code", `"include-command-output-in-response": true, "success-http-response-code": 201`, map[string]any{"status": map[string]any{"0": 201}}, "sync"},
		{"relative command", `"execute-command": "bin/deploy.sh", "command-working-directory": "/srv"`, map[string]any{"command": []any{"/srv/bin/deploy.sh"}}, "async"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hooks := `[{"id": "h", "execute-command": "/bin/true", ` + tt.extra + `}]`
			if strings.Contains(tt.extra, "execute-command") {
				hooks = `[{"id": "h", ` + tt.extra + `}]`
			}
			cfg, _ := importOne(t, hooks)
			r := cfg.Rules[0]
			if r.Respond != tt.respond || r.Retry.Attempts != 1 {
				t.Errorf("respond %q attempts %d, want %q and 1", r.Respond, r.Retry.Attempts, tt.respond)
			}
			sh := shellOf(t, cfg, 0)
			for k, v := range tt.want {
				if got := sh[k]; fmt.Sprint(got) != fmt.Sprint(v) && !(v == nil && got == nil) {
					t.Errorf("shell.%s = %v, want %v", k, got, v)
				}
			}
		})
	}
}

// Ids: one with '/' keeps its URL through the source's path:, one that is
// no URL path is renamed with a warning, a repeated one is refused.
func TestImportIDs(t *testing.T) {
	cfg, res := importOne(t, `[{"id": "mail/in.bound", "execute-command": "/bin/true"}, {"id": "a b", "execute-command": "/bin/true"}]`)
	if src := cfg.Sources["mail-in.bound"]; src.Path != "mail/in.bound" {
		t.Errorf("source %+v, want path mail/in.bound", src)
	}
	if _, ok := cfg.Sources["a-b"]; !ok || !strings.Contains(strings.Join(res.Warnings, "\n"), "its URL is /hooks/a-b") {
		t.Errorf("renamed id: sources %v, warnings %v", cfg.SourceNames(), res.Warnings)
	}
	_, err := importer.FromWebhook([]byte(`[{"id": "x", "execute-command": "/bin/true"}, {"id": "x", "execute-command": "/bin/true"}]`))
	if err == nil || !strings.Contains(err.Error(), "a second hook with this id") {
		t.Errorf("duplicate id: %v", err)
	}
}

// -template files: {{ getenv "X" }} (with | js, as adnanh's documented
// examples write it, quotes inside quotes) becomes ${X} in a secret, and
// is refused anywhere else.
func TestImportTemplates(t *testing.T) {
	tests := []struct {
		name, hooks string
		want        string
		refuse      string
	}{
		{"json with js", `[{"id": "h", "execute-command": "/bin/true", "trigger-rule": {"match": {"type": "payload-hmac-sha1", "secret": "{{ getenv "HOOK_SECRET" | js }}", "parameter": {"source": "header", "name": "X-Hub-Signature"}}}}]`,
			`secret: "${HOOK_SECRET}"`, ""},
		{"yaml", "- id: h\n  execute-command: /bin/true\n  trigger-rule:\n    match:\n      type: value\n      value: \"{{ getenv \"TOKEN_SECRET\" }}\"\n      parameter: {source: header, name: X-Token}\n",
			`secret: "${TOKEN_SECRET}"`, ""},
		{"trimmed action", `[{"id": "h", "execute-command": "/bin/true", "trigger-rule": {"match": {"type": "payload-hmac-sha256", "secret": "{{- getenv "S_SECRET" -}}", "parameter": {"source": "header", "name": "X-Sig"}}}}]`,
			`secret: "${S_SECRET}"`, ""},
		{"in a command", `[{"id": "h", "execute-command": "{{ getenv "BIN" }}/deploy"}]`, "", "can be converted in a secret only"},
		{"in a condition", `[{"id": "h", "execute-command": "/bin/true", "trigger-rule": {"match": {"type": "value", "value": "{{ getenv "REF" }}", "parameter": {"source": "payload", "name": "ref"}}}}]`, "", "compares literal values only"},
		{"other template", `[{"id": "h", "execute-command": "/bin/true", "trigger-rule": {"match": {"type": "payload-hmac-sha1", "secret": "{{ cat "/run/s" }}", "parameter": {"source": "header", "name": "X-Hub-Signature"}}}}]`, "", "converts only {{ getenv"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := importer.FromWebhook([]byte(tt.hooks))
			if tt.refuse != "" {
				if err == nil || !strings.Contains(err.Error(), tt.refuse) {
					t.Fatalf("want an error with %q, got %v", tt.refuse, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			mustBuild(t, res.YAML)
			if !strings.Contains(res.YAML, tt.want) {
				t.Errorf("lacks %s:\n%s", tt.want, res.YAML)
			}
		})
	}
}
