package importer_test

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/json"
	"net"
	"reflect"
	"strings"
	"testing"
)

// matchedOf reads the rules a 202 answer names.
func matchedOf(t *testing.T, a answer) []string {
	t.Helper()
	var d struct {
		Matched []string `json:"matched"`
	}
	if err := json.Unmarshal([]byte(a.body), &d); err != nil {
		t.Fatalf("answer %d %q: %v", a.status, a.body, err)
	}
	return d.Matched
}

const signedHooks = `[
 {"id": "deploy", "execute-command": "%CMD%", "include-command-output-in-response": true,
  "pass-arguments-to-command": [{"source": "payload", "name": "after"}, {"source": "payload", "name": "pusher.email"}],
  "pass-environment-to-command": [{"source": "payload", "name": "head_commit.timestamp"}, {"source": "payload", "name": "head_commit.missing"}],
  "trigger-rule": {"and": [
    {"match": {"type": "payload-hmac-sha1", "secret": "s3cret", "parameter": {"source": "header", "name": "X-Hub-Signature"}}},
    {"match": {"type": "value", "value": "refs/heads/main", "parameter": {"source": "payload", "name": "ref"}}}]}},
 {"id": "rotate", "execute-command": "%CMD%", "include-command-output-in-response": true,
  "trigger-signature-soft-failures": true,
  "trigger-rule": {"or": [
    {"match": {"type": "payload-hmac-sha256", "secret": "old", "parameter": {"source": "header", "name": "X-Sig"}}},
    {"match": {"type": "payload-hmac-sha256", "secret": "new", "parameter": {"source": "header", "name": "X-Sig"}}}]}},
 {"id": "first-only", "execute-command": "%CMD%", "include-command-output-in-response": true,
  "trigger-rule": {"or": [
    {"match": {"type": "payload-hmac-sha256", "secret": "old", "parameter": {"source": "header", "name": "X-Sig"}}},
    {"match": {"type": "payload-hmac-sha256", "secret": "new", "parameter": {"source": "header", "name": "X-Sig"}}}]}}
]`

// A SHA-1 signature on X-Hub-Signature verifies as adnanh reads it (hex,
// with or without "sha1=", or a comma list); an or of signatures is secret
// rotation with soft failures, and only its first secret without them.
func TestServeSignatures(t *testing.T) {
	s := serveWebhook(t, signedHooks)
	push := `{"ref":"refs/heads/main","after":"c0ffee","pusher":{"email":"dev@example.org"},"head_commit":{"timestamp":"2026-01-02T03:04:05Z"}}`
	noEmail := `{"ref":"refs/heads/main","after":"c0ffee","head_commit":{"timestamp":"2026-01-02T03:04:05Z"}}`
	other := `{"ref":"refs/heads/dev","after":"c0ffee"}`
	sig1 := func(secret, body string) string { return hmacHex(sha1.New, secret, body) }
	sig256 := func(secret, body string) string { return hmacHex(sha256.New, secret, body) }
	tests := []struct {
		name, hook, body string
		headers          map[string]string
		status           int
		answer           string   // exact body, when the command runs in the request
		argv             []string // the arguments; nil: no run
		env              map[string]string
	}{
		{"bare hex", "deploy", push, map[string]string{"X-Hub-Signature": sig1("s3cret", push)}, 200,
			"arg: c0ffee dev@example.org\nenv: HOOK_head_commit.timestamp=2026-01-02T03:04:05Z\n",
			[]string{"c0ffee", "dev@example.org"}, map[string]string{"HOOK_head_commit.timestamp": "2026-01-02T03:04:05Z"}},
		{"sha1= prefix", "deploy", push, map[string]string{"X-Hub-Signature": "sha1=" + sig1("s3cret", push)}, 200,
			"arg: c0ffee dev@example.org\nenv: HOOK_head_commit.timestamp=2026-01-02T03:04:05Z\n",
			[]string{"c0ffee", "dev@example.org"}, map[string]string{"HOOK_head_commit.timestamp": "2026-01-02T03:04:05Z"}},
		{"comma list", "deploy", push, map[string]string{"X-Hub-Signature": "sha1=00ff,sha1=" + sig1("s3cret", push)}, 200,
			"arg: c0ffee dev@example.org\nenv: HOOK_head_commit.timestamp=2026-01-02T03:04:05Z\n",
			[]string{"c0ffee", "dev@example.org"}, map[string]string{"HOOK_head_commit.timestamp": "2026-01-02T03:04:05Z"}},
		{"missing argument is empty", "deploy", noEmail, map[string]string{"X-Hub-Signature": sig1("s3cret", noEmail)}, 200,
			"arg: c0ffee \nenv: HOOK_head_commit.timestamp=2026-01-02T03:04:05Z\n",
			[]string{"c0ffee", ""}, map[string]string{"HOOK_head_commit.timestamp": "2026-01-02T03:04:05Z"}},
		{"wrong secret", "deploy", push, map[string]string{"X-Hub-Signature": sig1("guess", push)}, 401, "", nil, nil},
		{"no signature", "deploy", push, nil, 401, "", nil, nil},
		{"sha256 is not sha1", "deploy", push, map[string]string{"X-Hub-Signature": "sha256=" + sig256("s3cret", push)}, 401, "", nil, nil},
		{"rule not satisfied", "deploy", other, map[string]string{"X-Hub-Signature": sig1("s3cret", other)}, 202, "", nil, nil},
		{"rotation: new secret", "rotate", "{}", map[string]string{"X-Sig": "sha256=" + sig256("new", "{}")}, 200, "", []string{}, map[string]string{}},
		{"rotation: old secret", "rotate", "{}", map[string]string{"X-Sig": sig256("old", "{}")}, 200, "", []string{}, map[string]string{}},
		{"rotation: other secret", "rotate", "{}", map[string]string{"X-Sig": sig256("other", "{}")}, 401, "", nil, nil},
		{"no soft failures: first secret", "first-only", "{}", map[string]string{"X-Sig": sig256("old", "{}")}, 200, "", []string{}, map[string]string{}},
		{"no soft failures: second never reached", "first-only", "{}", map[string]string{"X-Sig": sig256("new", "{}")}, 401, "", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := s.post(t, tt.hook, "application/json", tt.body, tt.headers)
			if a.status != tt.status || tt.status == 200 && a.body != tt.answer {
				t.Fatalf("answer %d %q, want %d %q", a.status, a.body, tt.status, tt.answer)
			}
			if tt.status == 202 {
				if m := matchedOf(t, a); len(m) != 0 {
					t.Fatalf("matched %v, want none", m)
				}
			}
			if tt.argv == nil {
				if rs := s.newRuns(t); len(rs) != 0 {
					t.Fatalf("ran: %v", rs)
				}
				return
			}
			r := s.waitRun(t)
			if got := r.argv; !reflect.DeepEqual(got, tt.argv) {
				t.Errorf("argv %q, want %q", got, tt.argv)
			}
			if !reflect.DeepEqual(r.env, tt.env) {
				t.Errorf("env %v, want %v (a missing value sets no variable)", r.env, tt.env)
			}
		})
	}
}

const bodyHooks = `
- id: number
  execute-command: "%CMD%"
  trigger-rule:
    or:
    - match: {type: value, value: bar, parameter: {source: payload, name: foo}}
    - match: {type: value, value: 1, parameter: {source: payload, name: exists}}
- id: number-and
  execute-command: "%CMD%"
  trigger-rule:
    and:
    - match: {type: value, value: bar, parameter: {source: payload, name: foo}}
    - match: {type: value, value: 1, parameter: {source: payload, name: exists}}
- id: list
  execute-command: "%CMD%"
  pass-arguments-to-command: [{source: payload, name: root.1.email}]
  trigger-rule:
    match: {type: value, value: delivered, parameter: {source: payload, name: root.0.event}}
- id: mail/inbound
  execute-command: "%CMD%"
  trigger-rule:
    match: {type: regex, regex: "^ok", parameter: {source: payload, name: root.0.event}}
- id: xml
  execute-command: "%CMD%"
  pass-arguments-to-command: [{source: payload, name: order.item.1.-sku}]
  trigger-rule:
    and:
    - match: {type: value, value: A1, parameter: {source: payload, name: order.item.0.-sku}}
    - match: {type: value, value: rush, parameter: {source: payload, name: "order.note.#text"}}
- id: media
  execute-command: "%CMD%"
  parse-parameters-as-json: [{source: payload, name: payload}]
  pass-arguments-to-command: [{source: payload, name: payload.Player.title}]
  trigger-rule:
    match: {type: value, value: media.stop, parameter: {source: payload, name: payload.event}}
- id: form
  execute-command: "%CMD%"
  parse-parameters-as-json: [{source: payload, name: payload}]
  pass-arguments-to-command: [{source: payload, name: payload.commits.0.node}]
  trigger-rule:
    match: {type: value, value: main, parameter: {source: payload, name: payload.commits.0.branch}}
- id: raw
  execute-command: "%CMD%"
  include-command-output-in-response: true
  pass-arguments-to-command: [{source: raw-request-body}]
- id: entire
  execute-command: "%CMD%"
  pass-arguments-to-command: [{source: entire-payload}, {source: string, name: "{{ literal }}"}]
`

// Values compare as adnanh prints them (the number 1 is "1"), a JSON array
// body is payload root, a hook id with '/' keeps its URL, XML, multipart
// and form bodies decode to what adnanh's parameter names read, and the raw
// body is an argument.
func TestServeValuesAndBodies(t *testing.T) {
	s := serveWebhook(t, bodyHooks)
	multipart := "--XyZ\r\nContent-Disposition: form-data; name=\"payload\"\r\n\r\n" +
		`{"event":"media.stop","Player":{"title":"Living room"}}` +
		"\r\n--XyZ\r\nContent-Disposition: form-data; name=\"thumb\"; filename=\"t.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n\xff\xd8\xff\r\n--XyZ--\r\n"
	tests := []struct {
		name, path, ctype, body string
		match                   bool     // the rule matches (202 matched, or 200 for a sync hook)
		argv                    []string // the arguments, when it matches
	}{
		{"number 1 is value 1", "number", "application/json", `{"exists": 1}`, true, []string{}},
		{"string 1 is value 1", "number", "application/json", `{"exists": "1"}`, true, []string{}},
		{"1.0 is not 1 (as sent)", "number", "application/json", `{"exists": 1.0}`, false, nil},
		{"and with a missing value", "number-and", "application/json", `{"exists": 1}`, false, nil},
		{"array body is root", "list", "application/json", `[{"event":"delivered"},{"email":"x@example.org"}]`, true, []string{"x@example.org"}},
		{"array index out of range", "list", "application/json", `[]`, false, nil},
		{"object body with root key", "list", "application/json", `{"root":[{"event":"delivered"}]}`, true, []string{""}},
		{"id with a slash", "mail/inbound", "application/json", `[{"event":"ok then"}]`, true, []string{}},
		{"xml attributes and text", "xml", "application/xml",
			`<order><item sku="A1"/><item sku="B2"/><note lang="en">rush</note></order>`, true, []string{"B2"}},
		{"xml not matching", "xml", "text/xml", `<order><item sku="Z9"/><item sku="B2"/><note lang="en">rush</note></order>`, false, nil},
		{"multipart json field", "media", "multipart/form-data; boundary=XyZ", multipart, true, []string{"Living room"}},
		{"form payload field", "form", "application/x-www-form-urlencoded",
			"payload=" + strings.ReplaceAll(`{"commits":[{"branch":"main","node":"620ade"}]}`, `"`, "%22"), true, []string{"620ade"}},
		{"raw body argument", "raw", "text/plain", "# title\n\nline two", true, []string{"# title\n\nline two"}},
		{"entire payload and a literal", "entire", "application/json", `{"b":2,"a":1.50}`, true, []string{`{"a":1.50,"b":2}`, "{{ literal }}"}},
		{"entire payload of an array", "entire", "application/json", `[1]`, true, []string{`{"root":[1]}`, "{{ literal }}"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := s.post(t, tt.path, tt.ctype, tt.body, nil)
			switch {
			case a.status == 200 && tt.path == "raw":
				if want := "arg: " + tt.body + "\n"; a.body != want {
					t.Fatalf("answer %q, want %q", a.body, want)
				}
			case a.status == 202:
				if m := matchedOf(t, a); (len(m) == 1) != tt.match {
					t.Fatalf("matched %v, want match %v", m, tt.match)
				}
			default:
				t.Fatalf("answer %d %q", a.status, a.body)
			}
			if !tt.match {
				if rs := s.newRuns(t); len(rs) != 0 {
					t.Fatalf("ran: %v", rs)
				}
				return
			}
			r := s.waitRun(t)
			if got := r.argv; !reflect.DeepEqual(got, tt.argv) {
				t.Errorf("argv %q, want %q", got, tt.argv)
			}
		})
	}
}

const answerHooks = `[
 {"id": "quiet", "execute-command": "%CMD%", "response-message": "ok",
  "pass-arguments-to-command": [{"source": "string", "name": "exit=0"}]},
 {"id": "shown", "execute-command": "%CMD%", "include-command-output-in-response": true,
  "pass-arguments-to-command": [{"source": "string", "name": "exit=0"}]},
 {"id": "fail-hidden", "execute-command": "%CMD%", "include-command-output-in-response": true,
  "pass-arguments-to-command": [{"source": "string", "name": "exit=3"}]},
 {"id": "fail-shown", "execute-command": "%CMD%", "include-command-output-in-response": true,
  "include-command-output-in-response-on-error": true,
  "pass-arguments-to-command": [{"source": "string", "name": "exit=3"}]},
 {"id": "cannot-start", "execute-command": "%CMD% --flag", "include-command-output-in-response": true},
 {"id": "created", "execute-command": "%CMD%", "include-command-output-in-response": true,
  "success-http-response-code": 201},
 {"id": "stdin", "execute-command": "%CMD%", "include-command-output-in-response": true,
  "pass-file-to-command": [{"source": "entire-payload", "envname": "PAYLOAD_FILE"}]},
 {"id": "request", "execute-command": "%CMD%", "include-command-output-in-response": true,
  "pass-arguments-to-command": [{"source": "request", "name": "method"}, {"source": "request", "name": "remote-addr"}]}
]`

const adnanhError = "Error occurred while executing the hook's command. Please check your logs for more details."

// Synchronous answers are adnanh's: its output on success, 500 with a
// fixed message on failure unless ...-on-error shows the output, 500 for a
// command that cannot start, the success code; a failed command runs once.
func TestServeAnswers(t *testing.T) {
	s := serveWebhook(t, answerHooks)
	tests := []struct {
		hook   string
		status int
		body   string // "" with 202: the event answer
		runs   bool
		state  string // the run's state after, for sync hooks
	}{
		{"quiet", 202, "", true, ""},
		{"shown", 200, "arg: exit=0\n", true, "succeeded"},
		{"fail-hidden", 500, adnanhError, true, "dead"},
		{"fail-shown", 500, "arg: exit=3\n", true, "dead"},
		{"cannot-start", 500, adnanhError, false, "dead"},
		{"created", 201, "", true, "succeeded"},
		{"stdin", 200, "", true, "succeeded"},
		{"request", 200, "", true, "succeeded"},
	}
	for _, tt := range tests {
		t.Run(tt.hook, func(t *testing.T) {
			a := s.post(t, tt.hook, "application/json", `{"k":"v"}`, nil)
			if tt.hook == "request" {
				// adnanh passes the method and the connection's ip:port.
				host, port, err := net.SplitHostPort(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(a.body), "arg: POST ")))
				if a.status != 200 || !strings.HasPrefix(a.body, "arg: POST 127.0.0.1:") || err != nil || host != "127.0.0.1" || port == "0" {
					t.Fatalf("answer %d %q, want arg: POST 127.0.0.1:<port>", a.status, a.body)
				}
			} else if a.status != tt.status || tt.status != 202 && a.body != tt.body {
				t.Fatalf("answer %d %q, want %d %q", a.status, a.body, tt.status, tt.body)
			}
			if tt.runs {
				r := s.waitRun(t)
				if tt.hook == "stdin" && r.stdin != `{"k":"v"}` {
					t.Errorf("stdin %q", r.stdin)
				}
			}
			if tt.state != "" {
				state, attempts := s.runState(t, a.header.Get("X-Hookrunner-Run-Id"))
				if state != tt.state || attempts != 1 {
					t.Errorf("run %s after %d attempts, want %s after 1 (adnanh runs a command once)", state, attempts, tt.state)
				}
			}
			if rs := s.newRuns(t); len(rs) != 0 {
				t.Fatalf("ran again: %v", rs)
			}
		})
	}
}

// The shape of the example configs at the root of adnanh/webhook's
// repository (a GitHub redeploy hook signed with SHA-1, answering with a
// message and a CORS header), as JSON, YAML and -template files whose
// secret is `{{ getenv "NAME" | js }}` inside a quoted string. Each imports,
// loads, serves and runs the command for a signed push.
func TestServeRootExampleShapes(t *testing.T) {
	const secretVar = "EXAMPLE_REDEPLOY_SECRET"
	t.Setenv(secretVar, `s3cret"quoted`)
	jsonHook := func(secret string) string {
		return `[
  {
    "id": "redeploy",
    "execute-command": "%CMD%",
    "command-working-directory": "/tmp",
    "response-message": "Redeploying.",
    "response-headers": [{"name": "Access-Control-Allow-Origin", "value": "*"}],
    "pass-arguments-to-command": [
      {"source": "payload", "name": "head_commit.id"},
      {"source": "payload", "name": "pusher.name"},
      {"source": "payload", "name": "pusher.email"}
    ],
    "trigger-rule": {"and": [
      {"match": {"type": "payload-hmac-sha1", "secret": "` + secret + `", "parameter": {"source": "header", "name": "X-Hub-Signature"}}},
      {"match": {"type": "value", "value": "refs/heads/main", "parameter": {"source": "payload", "name": "ref"}}}
    ]}
  }
]`
	}
	yamlHook := func(secret string) string {
		return `- id: redeploy
  execute-command: "%CMD%"
  command-working-directory: /tmp
  response-message: Redeploying.
  response-headers:
  - name: Access-Control-Allow-Origin
    value: '*'
  pass-arguments-to-command:
  - source: payload
    name: head_commit.id
  - source: payload
    name: pusher.name
  - source: payload
    name: pusher.email
  trigger-rule:
    and:
    - match:
        type: payload-hmac-sha1
        secret: "` + secret + `"
        parameter:
          source: header
          name: X-Hub-Signature
    - match:
        type: value
        value: refs/heads/main
        parameter:
          source: payload
          name: ref
`
	}
	tmpl := `{{ getenv "` + secretVar + `" | js }}`
	tests := []struct{ name, hooks, secret string }{
		{"hooks.json", jsonHook("literal-secret"), "literal-secret"},
		{"hooks.yaml", yamlHook("literal-secret"), "literal-secret"},
		{"hooks.json.tmpl", jsonHook(tmpl), `s3cret"quoted`},
		{"hooks.yaml.tmpl", yamlHook(tmpl), `s3cret"quoted`},
	}
	push := `{"ref":"refs/heads/main","head_commit":{"id":"9b2f"},"pusher":{"name":"ada","email":"ada@example.org"}}`
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := serveWebhook(t, tt.hooks)
			if a := s.post(t, "redeploy", "application/json", push, map[string]string{"X-Hub-Signature": "sha1=" + hmacHex(sha1.New, "wrong", push)}); a.status != 401 {
				t.Fatalf("forged push: %d %q", a.status, a.body)
			}
			a := s.post(t, "redeploy", "application/json", push, map[string]string{
				"X-Hub-Signature": "sha1=" + hmacHex(sha1.New, tt.secret, push), "X-GitHub-Event": "push"})
			if a.status != 202 || !reflect.DeepEqual(matchedOf(t, a), []string{"redeploy"}) {
				t.Fatalf("signed push: %d %q", a.status, a.body)
			}
			r := s.waitRun(t)
			if want := []string{"9b2f", "ada", "ada@example.org"}; !reflect.DeepEqual(r.argv, want) {
				t.Errorf("argv %q, want %q", r.argv, want)
			}
		})
	}
}
