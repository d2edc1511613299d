package importer_test

import (
	"strings"
	"testing"

	"github.com/hookrunner/hookrunner/importer"
)

// hookrunner redacts credential-named headers and query parameters before
// rules and actions see them (they read [REDACTED]). An imported hook must
// therefore never compare one in its condition (it would never hold, and
// its source would accept anything) nor pass one to its command (it would
// get [REDACTED]): the check becomes the source's verification, or the
// hook is refused with the reason.

// TestImportNeverReadsRedactedCredentials: every way a credential header or
// parameter could land in a condition or a command is refused, naming the
// hook and the element.
func TestImportNeverReadsRedactedCredentials(t *testing.T) {
	hook := func(extra, rule string) string {
		return `[{"id": "x", "execute-command": "/bin/true"` + extra + `, "trigger-rule": ` + rule + `}]`
	}
	tok := func(src, name, v string) string {
		return `{"match": {"type": "value", "value": "` + v + `", "parameter": {"source": "` + src + `", "name": "` + name + `"}}}`
	}
	ref := `{"match": {"type": "value", "value": "refs/heads/main", "parameter": {"source": "payload", "name": "ref"}}}`
	sig := `{"match": ` + hmacMatch + `}`
	tests := []struct{ name, in, want string }{
		{"signature and a header token", hook("", `{"and": [`+sig+`, `+tok("header", "X-Token", "t0k")+`]}`),
			`hook "x": trigger-rule.and[1]: the check of header "X-Token" cannot be converted: a hookrunner source verifies one credential (already the signature check at trigger-rule.and[0])`},
		{"signature and a URL token", hook("", `{"and": [`+sig+`, `+tok("url", "token", "tok-abcdef-1")+`]}`),
			`hook "x": trigger-rule.and[1]: the check of url "token" cannot be converted`},
		{"two tokens that must both hold", hook("", `{"and": [`+tok("header", "X-Token", "a")+`, `+tok("url", "access_token", "b")+`]}`),
			`the check of url "access_token" cannot be converted: a hookrunner source verifies one credential (already the token check at trigger-rule.and[0])`},
		{"token or a payload condition", hook("", `{"or": [`+tok("header", "X-Webhook-Token", "a")+`, `+ref+`]}`),
			`hook "x": trigger-rule.or[0].match.parameter: header "X-Webhook-Token" carries a credential, which hookrunner redacts before rules see it`},
		{"tokens on two headers", hook("", `{"or": [`+tok("header", "X-Token", "a")+`, `+tok("header", "X-Api-Key", "b")+`]}`),
			`trigger-rule.or[1].match.parameter: header "X-Api-Key" carries a credential`},
		{"negated token", hook("", `{"and": [`+ref+`, {"not": `+tok("header", "Authorization", "Bearer x")+`}]}`),
			`trigger-rule.and[1].not.match.parameter: header "Authorization" carries a credential`},
		{"regex on a credential", hook("", `{"match": {"type": "regex", "regex": "^Bearer ", "parameter": {"source": "header", "name": "Authorization"}}}`),
			`trigger-rule.match.parameter: header "Authorization" carries a credential`},
		{"key in the query, in a condition", hook("", `{"and": [`+sig+`, {"or": [`+tok("url", "api_key", "a")+`, `+ref+`]}]}`),
			`url "api_key" carries a credential`},
		{"credential argument", hook(`, "pass-arguments-to-command": [{"source": "payload", "name": "ref"}, {"source": "header", "name": "X-Api-Key"}]`, sig),
			`hook "x": pass-arguments-to-command[1]: header "X-Api-Key" carries a credential, which hookrunner redacts before actions see it, so the command would get [REDACTED]; give the command the secret from the environment instead`},
		{"credential environment", hook(`, "pass-environment-to-command": [{"source": "url", "name": "access_token"}]`, sig),
			`hook "x": pass-environment-to-command[0]: url "access_token" carries a credential`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := refused(t, tt.in); !strings.Contains(got, tt.want) {
				t.Errorf("refusal lacks %q:\n%s", tt.want, got)
			}
		})
	}
}

// TestImportCredentialChecksBecomeVerification: a top-level token check,
// an or of tokens on one header or parameter, and an Authorization check
// become the source's verification, never verify: none.
func TestImportCredentialChecksBecomeVerification(t *testing.T) {
	tests := []struct {
		name string
		rule string
		want []string
	}{
		{"or of header tokens", `{"or": [{"match": {"type": "value", "value": "tok-new-123456", "parameter": {"source": "header", "name": "X-Webhook-Token"}}},
			{"match": {"type": "value", "value": "tok-old-123456", "parameter": {"source": "header", "name": "x-webhook-token"}}}]}`,
			[]string{"verify: token", `header: "X-Webhook-Token"`, `secrets: ["tok-new-123456", "tok-old-123456"]`}},
		{"or of URL tokens", `{"or": [{"match": {"type": "value", "value": "a1", "parameter": {"source": "url", "name": "token"}}},
			{"match": {"type": "value", "value": "{{ getenv "NEXT_SECRET" }}", "parameter": {"source": "url", "name": "token"}}}]}`,
			[]string{"verify: token", `query_param: "token"`, `secrets: ["a1", "${NEXT_SECRET}"]`}},
		{"Authorization bearer", `{"match": {"type": "value", "value": "Bearer s3cr3t-abcdef", "parameter": {"source": "header", "name": "Authorization"}}}`,
			[]string{"verify: token", `header: "Authorization"`, `secret: "s3cr3t-abcdef"`}},
		{"Authorization with another scheme", `{"match": {"type": "value", "value": "Token abc", "parameter": {"source": "header", "name": "Authorization"}}}`,
			[]string{"verify: token", `header: "Authorization"`, `secret: "Token abc"`}},
		{"token beside a payload condition", `{"and": [{"match": {"type": "value", "value": "main", "parameter": {"source": "payload", "name": "ref"}}},
			{"match": {"type": "value", "value": "k", "parameter": {"source": "header", "name": "X-Stage"}}},
			{"match": {"type": "value", "value": "t", "parameter": {"source": "header", "name": "X-Api-Key"}}}]}`,
			[]string{"verify: token", `header: "X-Api-Key"`, `secret: "t"`, `lookup(headers, \"x-stage\")`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := importer.FromWebhook([]byte(`[{"id": "x", "execute-command": "/bin/true", "trigger-rule": ` + tt.rule + `}]`))
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(res.YAML, w) {
					t.Errorf("output lacks %s:\n%s", w, res.YAML)
				}
			}
			if strings.Contains(res.YAML, "verify: none") || len(res.Unverified) > 0 || strings.Contains(res.YAML, "lookup(headers, \"x-api-key\")") {
				t.Errorf("a credential check was not verified:\n%s", res.YAML)
			}
			mustBuild(t, res.YAML)
		})
	}
}

const credentialHooks = `[
 {"id": "deploy", "execute-command": "%CMD%", "include-command-output-in-response": true,
  "trigger-rule": {"or": [
   {"match": {"type": "value", "value": "tok-new-123456", "parameter": {"source": "header", "name": "X-Webhook-Token"}}},
   {"match": {"type": "value", "value": "tok-old-123456", "parameter": {"source": "header", "name": "X-Webhook-Token"}}}]}},
 {"id": "bearer", "execute-command": "%CMD%", "include-command-output-in-response": true,
  "trigger-rule": {"match": {"type": "value", "value": "Bearer s3cr3t-abcdef", "parameter": {"source": "header", "name": "Authorization"}}}},
 {"id": "query", "execute-command": "%CMD%", "include-command-output-in-response": true,
  "pass-arguments-to-command": [{"source": "url", "name": "stage"}],
  "trigger-rule": {"and": [
   {"match": {"type": "value", "value": "tok-abcdef-1", "parameter": {"source": "url", "name": "access_token"}}},
   {"match": {"type": "value", "value": "prod", "parameter": {"source": "url", "name": "stage"}}}]}}
]`

// TestServeCredentialChecks imports hooks whose checks read credential
// headers and parameters, serves them, and sends the right and wrong
// credentials: the right one runs the command, a wrong one is 401 and
// runs nothing (before, the right one matched no rule and the wrong one
// was stored).
func TestServeCredentialChecks(t *testing.T) {
	s := serveWebhook(t, credentialHooks)
	tests := []struct {
		name, path string
		headers    map[string]string
		status     int
		argv       []string // nil: no run
	}{
		{"new token", "deploy", map[string]string{"X-Webhook-Token": "tok-new-123456"}, 200, []string{}},
		{"old token", "deploy", map[string]string{"X-Webhook-Token": "tok-old-123456"}, 200, []string{}},
		{"wrong token", "deploy", map[string]string{"X-Webhook-Token": "tok-guess"}, 401, nil},
		{"no token", "deploy", nil, 401, nil},
		{"bearer", "bearer", map[string]string{"Authorization": "Bearer s3cr3t-abcdef"}, 200, []string{}},
		{"wrong bearer", "bearer", map[string]string{"Authorization": "Bearer guess"}, 401, nil},
		{"query token", "query?access_token=tok-abcdef-1&stage=prod", nil, 200, []string{"prod"}},
		{"query token, other stage", "query?access_token=tok-abcdef-1&stage=dev", nil, 202, nil},
		{"wrong query token", "query?access_token=guess&stage=prod", nil, 401, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := s.post(t, tt.path, "application/json", "{}", tt.headers)
			if a.status != tt.status {
				t.Fatalf("answer %d %q, want %d", a.status, a.body, tt.status)
			}
			if tt.argv == nil {
				if rs := s.newRuns(t); len(rs) != 0 {
					t.Fatalf("ran: %v", rs)
				}
				return
			}
			if r := s.waitRun(t); strings.Join(r.argv, " ") != strings.Join(tt.argv, " ") {
				t.Errorf("argv %q, want %q", r.argv, tt.argv)
			}
		})
	}
}
