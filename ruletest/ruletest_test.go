package ruletest_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	_ "github.com/hookrunner/hookrunner/actions/crm"
	_ "github.com/hookrunner/hookrunner/actions/httpcall"
	_ "github.com/hookrunner/hookrunner/actions/shell"
	_ "github.com/hookrunner/hookrunner/providers/builtin"
	"github.com/hookrunner/hookrunner/ruletest"
)

// The secrets of the test config: none may appear in any output.
const (
	sourceSecret = "gh-secret-ruletest-4f9a"
	deployKey    = "dk-live-7Hq2xZ91-deploy"
)

const testConfig = `
sources:
  github: { provider: github, secret: "${RT_GITHUB_SECRET}" }
  stripe: { provider: stripe, secret: "whsec_ruletest_0000" }
rules:
  - name: deploy
    source: github
    events: [push]
    if: payload.ref == "refs/heads/main"
    actions:
      - shell:
          command: ["/opt/deploy.sh", "{{ payload.after }}", "${RT_DEPLOY_KEY}"]
          env: { SHA: "{{ payload.after }}", PUSHER: "{{ payload.pusher.name }}" }
          stdin: body
  - name: notify
    source: github
    events: [push]
    actions:
      - http:
          url: "http://127.0.0.1:9/notify?repo={{ payload.repository.full_name }}"
          headers: { Authorization: "Bearer ${RT_DEPLOY_KEY}", X-Repo: "{{ payload.repository.full_name }}" }
          body: '{"sha": {{ toJSON(payload.after) }}}'
  - name: on-release
    source: github
    events: [release]
    actions:
      - shell: { command: ["/bin/true"] }
  - name: customer
    source: stripe
    events: ["customer.*"]
    actions:
      - crm:
          driver: sql
          dsn: crm.db
          table: contacts
          key: [email]
          fields: { email: payload.data.object.email, name: payload.data.object.name }
`

const pushMain = `{"ref":"refs/heads/main","after":"abc123","repository":{"full_name":"acme/api"},"pusher":{"name":"ada"}}`

// A case whose answers are all right.
const passing = `cases:
  - name: push to main
    source: github
    headers: {X-GitHub-Event: push, X-GitHub-Delivery: d-1}
    payload_file: push.json
    match: [deploy, notify]
    no_match: [on-release]
    actions:
      deploy:
        - shell:
            argv: [/opt/deploy.sh, abc123, "[REDACTED]"]
            env: {PUSHER: ada, SHA: abc123}
            stdin_body: true
      notify:
        - http:
            method: POST
            url: http://127.0.0.1:9/notify?repo=acme%2Fapi
            headers: {Authorization: "[REDACTED]", X-Repo: acme/api}
            body: '{"sha": "abc123"}'
`

func setup(t *testing.T, tests string) (cfg, testFile string) {
	t.Helper()
	t.Setenv("RT_GITHUB_SECRET", sourceSecret)
	t.Setenv("RT_DEPLOY_KEY", deployKey)
	dir := t.TempDir()
	write(t, dir, "hooks.yaml", testConfig)
	write(t, dir, "push.json", pushMain)
	return filepath.Join(dir, "hooks.yaml"), write(t, dir, "hooks.test.yaml", tests)
}

func write(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func run(t *testing.T, cfg string, update bool, files ...string) (ruletest.Result, string, error) {
	t.Helper()
	var out bytes.Buffer
	res, err := ruletest.Run(context.Background(), ruletest.Options{Config: cfg, Files: files, Update: update, Out: &out})
	s := out.String()
	if err != nil {
		s += err.Error()
	}
	for _, secret := range []string{sourceSecret, deployKey} {
		if strings.Contains(s, secret) {
			t.Fatalf("a secret is in the output:\n%s", s)
		}
	}
	return res, s, err
}

func TestRun(t *testing.T) {
	tests := []struct {
		name   string
		file   string // edits of passing: old => new
		failed int
		want   []string
	}{
		{name: "pass", file: passing, want: []string{"ok    ", "1 case in 1 file: 1 passed, 0 failed"}},
		{name: "unexpected match", file: strings.Replace(passing, "match: [deploy, notify]", "match: [deploy]", 1), failed: 1,
			want: []string{"FAIL  ", "hooks.test.yaml:2: push to main", "unexpected match: notify (match: does not list it)", "+  - notify"}},
		{name: "unexpected match by no_match", file: strings.Replace(passing, "    match: [deploy, notify]\n    no_match: [on-release]", "    no_match: [on-release, notify]", 1), failed: 1,
			want: []string{"unexpected match: notify (no_match lists it)"}},
		{name: "missing match", file: strings.Replace(passing, "payload_file: push.json", `payload: {ref: refs/heads/dev, after: abc123, repository: {full_name: acme/api}, pusher: {name: ada}}`, 1), failed: 1,
			want: []string{`missing match: deploy did not match — the if expression is false`, `payload.ref == "refs/heads/main"  →  false`, "-  - deploy"}},
		{name: "argv differs", file: strings.Replace(passing, "argv: [/opt/deploy.sh, abc123,", "argv: [/opt/deploy.sh, def456,", 1), failed: 1,
			want: []string{"actions: deploy[0] (line 10) differs", "-          - def456", "+          - abc123"}},
		{name: "env differs", file: strings.Replace(passing, "PUSHER: ada", "PUSHER: bob", 1), failed: 1,
			want: []string{"actions: deploy[0] (line 10) differs", "-          PUSHER: bob", "+          PUSHER: ada"}},
		{name: "http body differs", file: strings.Replace(passing, `body: '{"sha": "abc123"}'`, `body: '{"sha": "abc124"}'`, 1), failed: 1,
			want: []string{"actions: notify[0] (line 15) differs", `-        body: '{"sha": "abc124"}'`, `+        body: '{"sha": "abc123"}'`, "Authorization: '[REDACTED]'"}},
		{name: "fields not given are not checked", file: strings.Replace(passing, "            env: {PUSHER: ada, SHA: abc123}\n            stdin_body: true\n", "", 1)},
		{name: "secret written in the test is neither needed nor shown",
			file: strings.Replace(passing, `abc123, "[REDACTED]"]`, `abc123, "`+deployKey+`"]`, 1)},
		{name: "secret in a differing argv is redacted", file: strings.Replace(passing, `abc123, "[REDACTED]"]`, `abc123, "x`+deployKey+`"]`, 1), failed: 1,
			want: []string{"-          - x[REDACTED]", "+          - '[REDACTED]'"}},
		{name: "unknown rule", file: strings.Replace(passing, "no_match: [on-release]", "no_match: [on-relase]", 1), failed: 1,
			want: []string{`no_match (line 7): no rule "on-relase" on source "github"`}},
		{name: "event the headers contradict", file: strings.Replace(passing, "    headers: {X-GitHub-Event: push,", "    event: release\n    headers: {X-GitHub-Event: push,", 1), failed: 1,
			want: []string{`event: "release", but the github provider reads "push" from the request`}},
		{name: "unknown source", file: strings.Replace(passing, "source: github", "source: gitlab", 1), failed: 1,
			want: []string{`source: no source "gitlab" in the config (sources: github, stripe)`}},
		{name: "fewer actions than the rule has", file: strings.Replace(passing, "      notify:\n        - http:", "      notify: []\n      x:\n        - http:", 1), failed: 1,
			want: []string{"actions: notify has 1 actions, the test lists 0", `actions (line 15): no rule "x" on source "github"`}},
		{name: "refused by ingest", file: strings.Replace(passing, "payload_file: push.json", `payload: '{"ref": '`+"\n    headers: {Content-Type: application/json, X-GitHub-Event: push}", 1) + "", failed: 1,
			want: []string{"ingest would refuse this request: 400: invalid JSON body"}},
		{name: "refused as expected", file: `cases:
  - name: truncated JSON
    source: github
    event: push
    headers: {Content-Type: application/json}
    payload: '{"ref": '
    refused: invalid JSON body
    match: []
`},
		{name: "refusal expected, request accepted", file: strings.Replace(passing, "payload_file: push.json", "payload_file: push.json\n    refused: '400'", 1), failed: 1,
			want: []string{`refused: "400" expected, but ingest accepts the request`, "-refused: \"400\"", "+refused: \"\""}},
		{name: "form body decoded as ingest decodes it", file: `cases:
  - name: a form post
    source: github
    event: push
    headers: {Content-Type: application/x-www-form-urlencoded}
    payload: payload=` + url.QueryEscape(pushMain) + `
    match: [deploy, notify]
    actions:
      deploy: [{shell: {argv: [/opt/deploy.sh, abc123, "[REDACTED]"], env: {PUSHER: ada, SHA: abc123}}}]
`},
		{name: "multipart body decoded as ingest decodes it", file: `cases:
  - name: a multipart post
    source: github
    event: push
    headers: {Content-Type: multipart/form-data; boundary=XyZ}
    payload: "--XyZ\r\nContent-Disposition: form-data; name=\"ref\"\r\n\r\nrefs/heads/main\r\n--XyZ\r\nContent-Disposition: form-data; name=\"after\"\r\n\r\nfed789\r\n--XyZ--\r\n"
    match: [deploy, notify]
`},
		{name: "an action that cannot render shows why", file: `cases:
  - name: no pusher
    source: github
    event: push
    payload: {ref: refs/heads/main, after: abc123, repository: {full_name: acme/api}}
    actions:
      deploy: [{shell: {argv: [/opt/deploy.sh, abc123, "[REDACTED]"]}}]
`, failed: 1, want: []string{"+    - error: 'env.PUSHER:"}},
		{name: "crm plan", file: `cases:
  - name: a customer
    source: stripe
    payload: {id: evt_1, type: customer.created, data: {object: {email: a@example.com, name: Ada}}}
    match: [customer]
    actions:
      customer:
        - crm: {driver: sql, table: contacts, key: [email], fields: {email: a@example.com, name: Ada}}
`},
		{name: "action that refuses the payload", file: `cases:
  - name: an option as the sha
    source: github
    event: push
    payload: {ref: refs/heads/main, after: --upload-pack=x, repository: {full_name: acme/api}, pusher: {name: ada}}
    match: [deploy, notify]
    actions:
      deploy:
        - error: 'command[1]: the value "--upload-pack=x" starts with "-" and deploy.sh would read it as an option; refused (set allow_dash: true on the action if this element may carry options)'
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := tt.file
			if strings.Contains(file, "headers: {Content-Type") {
				file = strings.Replace(file, "    headers: {X-GitHub-Event: push, X-GitHub-Delivery: d-1}\n", "", 1)
			}
			cfg, _ := setup(t, file)
			res, out, err := run(t, cfg, false)
			if err != nil {
				t.Fatalf("Run: %v\n%s", err, out)
			}
			if res.Failed != tt.failed {
				t.Errorf("failed = %d, want %d\n%s", res.Failed, tt.failed, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

// TestBadFile: a test file that is not valid is an error naming the file
// and the line, and no case runs.
func TestBadFile(t *testing.T) {
	tests := []struct {
		name, file, want string
	}{
		{"unknown key", "cases:\n  - name: a\n    source: github\n    payload: {}\n    matches: [deploy]\n", `hooks.test.yaml:5:5: unknown key "matches" (did you mean "match"?)`},
		{"YAML syntax", "cases:\n  - name: a\n    source: [github\n", "hooks.test.yaml:2: YAML syntax"},
		{"missing payload file", "cases:\n  - name: a\n    source: github\n    payload_file: nosuch.json\n", "hooks.test.yaml:4:19: payload_file: open"},
		{"argv not a list", "cases:\n  - name: a\n    source: github\n    payload: {}\n    actions:\n      deploy:\n        - shell: {argv: {a: b}}\n", "hooks.test.yaml:7:11: actions.deploy: line 7: cannot unmarshal"},
		{"unknown plan field", "cases:\n  - name: a\n    source: github\n    payload: {}\n    actions:\n      deploy:\n        - shell: {args: [x]}\n", `hooks.test.yaml:7:19: unknown key "args" (did you mean "argv"?)`},
		{"unknown action kind", "cases:\n  - name: a\n    source: github\n    payload: {}\n    actions:\n      deploy:\n        - exec: {argv: [x]}\n", `hooks.test.yaml:7:11: unknown key "exec"`},
		{"no source", "cases:\n  - name: a\n    payload: {}\n", "hooks.test.yaml:2:5: source: required"},
		{"no payload", "cases:\n  - name: a\n    source: github\n", "hooks.test.yaml:2:5: payload or payload_file: required"},
		{"both payloads", "cases:\n  - name: a\n    source: github\n    payload: {}\n    payload_file: push.json\n", "hooks.test.yaml:5:19: give payload or payload_file, not both"},
		{"duplicate case", "cases:\n  - {name: a, source: github, payload: {}}\n  - {name: a, source: github, payload: {}}\n", `hooks.test.yaml:3:5: duplicate case name "a" (first at line 2)`},
		{"match and no_match", "cases:\n  - name: a\n    source: github\n    payload: {}\n    match: [deploy]\n    no_match: [deploy]\n", `hooks.test.yaml:6: no_match: "deploy" is also in match`},
		{"no cases", "tests:\n  - name: a\n", `hooks.test.yaml:1:1: unknown key "tests"`},
		{"a config given as a test file", "sources: {}\nrules: []\n", `hooks.test.yaml:1:1: this is a config, not a test file (give the config with --config)`},
		{"empty cases", "cases: []\n", `hooks.test.yaml:1:8: cases: empty`},
		{"bad received_at", "cases:\n  - {name: a, source: github, payload: {}, received_at: yesterday}\n", `hooks.test.yaml:2:57: received_at: "yesterday" is not an RFC 3339 time`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _ := setup(t, tt.file)
			res, out, err := run(t, cfg, false)
			var fe *ruletest.Error
			if err == nil || !errors.As(err, &fe) {
				t.Fatalf("Run = %v, want a test file error\n%s", err, out)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error:\n%v\nwant it to contain %q", err, tt.want)
			}
			if len(res.Cases) != 0 {
				t.Errorf("%d cases ran", len(res.Cases))
			}
		})
	}
}

// TestUpdate: --update writes the current answers; the inputs and
// comments stay, and the file then passes.
func TestUpdate(t *testing.T) {
	const file = `# top comment
cases:
  # the main branch
  - name: push to main
    source: github   # where it goes
    headers: {X-GitHub-Event: push, X-GitHub-Delivery: d-1}
    payload_file: push.json
    match: [deploy]   # wrong on purpose
    no_match: [on-release, notify]
    actions:
      deploy:
        - shell: {argv: [wrong]}
  - name: a release
    source: github
    event: release
    payload: {action: published}
  - name: a push to dev
    source: github
    event: push
    payload: {ref: refs/heads/dev, after: abc, repository: {full_name: acme/api}}
    match: [deploy]
`
	cfg, path := setup(t, file)
	res, out, err := run(t, cfg, false)
	if err != nil || res.Failed != 2 {
		t.Fatalf("before: failed %d, err %v\n%s", res.Failed, err, out)
	}
	res, out, err = run(t, cfg, true)
	if err != nil || res.Failed != 0 || len(res.Updated) != 1 {
		t.Fatalf("update: %+v, err %v\n%s", res, err, out)
	}
	b, _ := os.ReadFile(path)
	got := string(b)
	for _, w := range []string{
		"# top comment", "# the main branch", "source: github # where it goes",
		"headers: {X-GitHub-Event: push, X-GitHub-Delivery: d-1}", "payload: {action: published}",
		"match: [deploy, notify] # wrong on purpose", "no_match: [on-release]\n",
		"argv: [/opt/deploy.sh, abc123, '[REDACTED]']", "stdin_body: true",
		"headers:\n              Authorization: '[REDACTED]'",
		"match: [on-release]\n    actions:\n      on-release:\n        - shell:\n            argv: [/bin/true]",
		"  - name: a push to dev\n    source: github\n    event: push\n    payload: {ref: refs/heads/dev, after: abc, repository: {full_name: acme/api}}\n    match: [notify]\n",
	} {
		if !strings.Contains(got, w) {
			t.Errorf("updated file lacks %q:\n%s", w, got)
		}
	}
	if strings.Contains(got, deployKey) || strings.Contains(got, sourceSecret) {
		t.Fatalf("a secret was written to the test file:\n%s", got)
	}
	res, out, err = run(t, cfg, false)
	if err != nil || res.Failed != 0 || res.Passed != 3 {
		t.Fatalf("after update: %+v, err %v\n%s", res, err, out)
	}
}

// TestFiles: the config's tests: key names the files; without it,
// hooks.test.yaml beside the config; none is an error.
func TestFiles(t *testing.T) {
	cfg, path := setup(t, passing)
	dir := filepath.Dir(cfg)
	if err := os.Rename(path, filepath.Join(dir, "github.cases.yaml")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := run(t, cfg, false); err == nil || !strings.Contains(err.Error(), "hooks.test.yaml does not exist") {
		t.Fatalf("no test file: %v", err)
	}
	write(t, dir, "hooks.yaml", testConfig+"tests: [\"*.cases.yaml\"]\n")
	res, out, err := run(t, cfg, false)
	if err != nil || res.Passed != 1 || len(res.Files) != 1 || filepath.Base(res.Files[0]) != "github.cases.yaml" {
		t.Fatalf("tests: %+v, %v\n%s", res, err, out)
	}
	// Files given explicitly win.
	other := write(t, dir, "other.yaml", strings.Replace(passing, "match: [deploy, notify]", "match: [deploy]", 1))
	res, _, err = run(t, cfg, false, other)
	if err != nil || res.Failed != 1 || len(res.Files) != 1 {
		t.Fatalf("explicit file: %+v, %v", res, err)
	}
	write(t, dir, "hooks.yaml", testConfig+"tests: [\"nosuch.yaml\"]\n")
	if _, _, err := run(t, cfg, false); err == nil || !strings.Contains(err.Error(), "tests[0]: nosuch.yaml: no such file") {
		t.Fatalf("missing tests: file: %v", err)
	}
}

// TestRunsNothing: a passing and a failing case, and --update, run no
// command, make no HTTP call and open no CRM database.
func TestRunsNothing(t *testing.T) {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls.Add(1) }))
	defer srv.Close()
	dir := t.TempDir()
	ran, crmDB := filepath.Join(dir, "ran"), filepath.Join(dir, "crm.db")
	cfg := write(t, dir, "hooks.yaml", `
sources:
  gen: { provider: generic, verify: token, header: X-Token, secret: tok-ruletest-1234, event_header: X-Event }
rules:
  - name: all
    source: gen
    actions:
      - shell: { command: ["/usr/bin/touch", "`+ran+`"] }
      - http: { url: "`+srv.URL+`/x", body: '{"a": {{ toJSON(payload.a) }}}' }
      - crm: { driver: sql, dsn: "`+crmDB+`", create_table: true, table: t, key: [a], fields: { a: payload.a } }
`)
	write(t, dir, "hooks.test.yaml", `cases:
  - {name: ok, source: gen, event: e, payload: {a: x}, match: [all]}
  - {name: fails, source: gen, event: e, payload: {a: y}, match: []}
`)
	for _, update := range []bool{false, true} {
		if _, out, err := run(t, cfg, update); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
	}
	if _, err := os.Stat(ran); !os.IsNotExist(err) {
		t.Errorf("the command ran (%v)", err)
	}
	if _, err := os.Stat(crmDB); !os.IsNotExist(err) {
		t.Errorf("the CRM database was opened (%v)", err)
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("%d HTTP calls", n)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "hooks.test.yaml"))
	if !strings.Contains(string(b), "argv: [/usr/bin/touch, "+ran+"]") || !strings.Contains(string(b), `body: '{"a": "y"}'`) {
		t.Errorf("updated file lacks the plans:\n%s", b)
	}
}
