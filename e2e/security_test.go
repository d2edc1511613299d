package e2e

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// secSecrets are the secret values of the security suite's config, each
// distinctive: an output that shows one of them is a leak. SEC_* are given
// as ${VAR} (the test sets them in the environment of the server and the
// CLI); the others are written literally into hooks.yaml.
var secSecrets = map[string]string{
	"SEC_GH":     "gh-SECSUITE-env-5d1e0a",
	"SEC_GENQ":   "genq-SECSUITE-env-8b3f27",
	"SEC_APIKEY": "apikey-SECSUITE-env-c4a915",
	"SEC_ADMIN":  "admin-SECSUITE-env-71f0d2",
	"GITEA":      "gitea-SECSUITE-lit-2e6b84",
	"GENH":       "genh-SECSUITE-lit-9a0c33",
	"URLPASS":    "urlpass-SECSUITE-lit-6f2d18",
	"XAPIKEY":    "xapikey-SECSUITE-lit-0e7b45",
}

// secConfig is the one config the suite's hookrunner serves: a GitHub
// source whose "alive" rule is the valid traffic every attack is followed
// by, a pathological condition, a Gitea source, a generic source verified
// by ?token= with a shell rule and an http rule (to the capture server), a
// generic source verified by a header token.
const secConfig = `
server: { listen: "%PUB%", max_conns_per_ip: 4, max_json_depth: 32 }
admin: { listen: "%ADM%", token: "${SEC_ADMIN}" }
store: { dsn: hr.db }
runner: { poll_interval: 100ms }
log: { level: info }
sources:
  github: { provider: github, secret: "${SEC_GH}" }
  gitea: { provider: gitea, secret: "%GITEA%" }
  gen: { provider: generic, verify: token, query_param: token, secret: "${SEC_GENQ}" }
  genh: { provider: generic, verify: token, header: X-Webhook-Token, secret: "%GENH%" }
rules:
  - name: alive
    source: github
    events: [push]
    if: payload.ref == "refs/heads/main"
    actions: [ { shell: { command: ["/bin/sh", "%DIR%/mark.sh", "%DIR%/alive.log", "{{ payload.after }}"] } } ]
  - name: budget
    source: github
    events: [push]
    if: 'any(payload.a, # in payload.b)'
    actions: [ { shell: { command: ["/bin/sh", "%DIR%/mark.sh", "%DIR%/budget.log", "matched"] } } ]
  - name: gitea-deploy
    source: gitea
    events: [push]
    if: payload.ref == "refs/heads/main"
    actions: [ { shell: { command: ["/bin/sh", "%DIR%/mark.sh", "%DIR%/gitea.log", "{{ payload.after }}"] } } ]
  - name: dash
    source: gen
    if: payload.kind == "dash"
    retry: { attempts: 3, backoff: 100ms }
    actions: [ { shell: { command: ["/bin/sh", "%DIR%/mark.sh", "%DIR%/dash.log", "{{ payload.arg }}"] } } ]
  - name: call
    source: gen
    if: payload.kind == "http"
    retry: { attempts: 2, backoff: 100ms }
    actions:
      - http:
          url: "http://relay:%URLPASS%@%CAP%/api/{{ payload.seg }}/x?q={{ payload.q }}&api_key=${SEC_APIKEY}&n=1"
          headers: { X-Note: "{{ payload.note }}", X-Api-Key: "%XAPIKEY%" }
          body: '{"text": "hello {{ payload.text }}", "n": 1}'
  - name: header-token
    source: genh
    actions: [ { shell: { command: ["/bin/sh", "%DIR%/mark.sh", "%DIR%/genh.log", "{{ payload.n }}"] } } ]
`

// secSuite is the running hookrunner the attacks are sent to.
type secSuite struct {
	dir, pub, adm string
	cfg           string // the served hooks.yaml
	p             *proc
	capture       *captureServer
	client        *http.Client // from 127.0.0.1, no redirects followed
	seq           atomic.Int64
}

// TestSecuritySuite runs each attack of the hostile review (issue 18)
// against one real hookrunner process and shows it refused, and that a
// valid signed GitHub push sent right after is still accepted and its
// action runs.
func TestSecuritySuite(t *testing.T) {
	for k, v := range secSecrets {
		if strings.HasPrefix(k, "SEC_") {
			t.Setenv(k, v)
		}
	}
	s := &secSuite{dir: t.TempDir(), pub: freePort(t), adm: freePort(t), capture: newCaptureServer()}
	defer s.capture.srv.Close()
	s.client = &http.Client{Timeout: 30 * time.Second, CheckRedirect: noRedirect}
	if err := os.WriteFile(filepath.Join(s.dir, "mark.sh"), []byte("printf '%s\\n' \"$2\" >> \"$1\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s.cfg = s.fill(secConfig)
	s.writeConfig(t, s.cfg)
	s.p = startProc(t, s.dir, "hooks.yaml", s.pub, "--watch=false")
	defer s.p.term(t)
	s.waitAdmin(t)
	s.assertStillServing(t)

	t.Run("gitea_unsigned_form_field", s.testGiteaUnsignedField)
	t.Run("json_depth_inside_payload_field", s.testJSONDepthInForm)
	t.Run("content_type_not_signed", s.testContentTypeNotSigned)
	t.Run("dash_value_in_argv", s.testDashValue)
	t.Run("http_templates_escaped", s.testHTTPEscaping)
	t.Run("payload_as_code_refused_at_load", s.testPayloadAsCode)
	t.Run("dns_rebinding", s.testDNSRebinding)
	t.Run("login_brute_force", s.testLoginBruteForce)
	t.Run("match_budget", s.testMatchBudget)
	t.Run("per_ip_connections", s.testPerIPConnections)
	t.Run("import_misspelt_trigger_rule", s.testImport)
	t.Run("secrets_never_shown", s.testSecrets) // last: scans what every attack left behind
}

func (s *secSuite) fill(tmpl string) string {
	r := []string{"%PUB%", s.pub, "%ADM%", s.adm, "%DIR%", s.dir, "%CAP%", strings.TrimPrefix(s.capture.srv.URL, "http://")}
	for k, v := range secSecrets {
		r = append(r, "%"+k+"%", v)
	}
	return strings.NewReplacer(r...).Replace(tmpl)
}

func (s *secSuite) writeConfig(t *testing.T, cfg string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(s.dir, "hooks.yaml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
}

func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// clientFrom is a client whose connections come from the loopback
// address ip (Linux routes all of 127.0.0.0/8 to lo).
func clientFrom(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	return &http.Client{Timeout: 30 * time.Second, CheckRedirect: noRedirect,
		Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}}
}

// request sends one request and returns status, headers and body.
func request(t *testing.T, c *http.Client, method, u string, hdr map[string]string, body []byte) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		if strings.EqualFold(k, "Host") {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header, string(b)
}

// admin calls the admin API with the admin token (from 127.0.0.1).
func (s *secSuite) admin(t *testing.T, method, path string) (int, string) {
	t.Helper()
	code, _, b := request(t, s.client, method, "http://"+s.adm+path, map[string]string{"Authorization": "Bearer " + secSecrets["SEC_ADMIN"]}, nil)
	return code, b
}

func (s *secSuite) adminJSON(t *testing.T, path string, v any) {
	t.Helper()
	code, b := s.admin(t, "GET", path)
	if code != 200 {
		t.Fatalf("GET %s: %d %s", path, code, b)
	}
	if err := json.Unmarshal([]byte(b), v); err != nil {
		t.Fatalf("GET %s: %v\n%s", path, err, b)
	}
}

func (s *secSuite) waitAdmin(t *testing.T) {
	t.Helper()
	waitUntil(t, "the admin listener", 15*time.Second, func() bool {
		c, err := net.DialTimeout("tcp", s.adm, 200*time.Millisecond)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
}

// waitUntil polls cond until it holds or the deadline passes.
func waitUntil(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func hmacHex(secret string, b []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(b)
	return hex.EncodeToString(m.Sum(nil))
}

// pushGitHub sends a correctly signed GitHub push from c.
func (s *secSuite) pushGitHub(t *testing.T, c *http.Client, delivery string, body []byte) (int, map[string]any) {
	t.Helper()
	code, _, b := request(t, c, "POST", "http://"+s.pub+"/hooks/github", map[string]string{
		"Content-Type":        "application/json",
		"X-GitHub-Event":      "push",
		"X-GitHub-Delivery":   delivery,
		"X-Hub-Signature-256": "sha256=" + hmacHex(secSecrets["SEC_GH"], body),
	}, body)
	var ans map[string]any
	_ = json.Unmarshal([]byte(b), &ans)
	return code, ans
}

// sendGen posts a JSON payload to the generic source verified by ?token=.
func (s *secSuite) sendGen(t *testing.T, payload map[string]any) string {
	t.Helper()
	body, _ := json.Marshal(payload)
	code, _, b := request(t, s.client, "POST", "http://"+s.pub+"/hooks/gen?token="+url.QueryEscape(secSecrets["SEC_GENQ"])+"&page=2",
		map[string]string{"Content-Type": "application/json"}, body)
	var ans struct {
		ID      string   `json:"id"`
		Matched []string `json:"matched"`
	}
	if err := json.Unmarshal([]byte(b), &ans); code != 202 || err != nil || len(ans.Matched) != 1 {
		t.Fatalf("generic source: %d %s", code, b)
	}
	return ans.ID
}

func matched(ans map[string]any) []string {
	var out []string
	m, _ := ans["matched"].([]any)
	for _, r := range m {
		s, _ := r.(string)
		out = append(out, s)
	}
	return out
}

// waitLine waits until the marker file holds the line.
func (s *secSuite) waitLine(t *testing.T, file, line string) {
	t.Helper()
	waitUntil(t, file+" to hold "+line, 15*time.Second, func() bool {
		return slices.Contains(readLines(filepath.Join(s.dir, file)), line)
	})
}

// assertStillServing sends a valid signed GitHub push from 127.0.0.1 and
// waits for its action to write the push's sha to alive.log.
func (s *secSuite) assertStillServing(t *testing.T) {
	t.Helper()
	sha := fmt.Sprintf("alive-%d", s.seq.Add(1))
	code, ans := s.pushGitHub(t, s.client, "d-"+sha, []byte(`{"ref":"refs/heads/main","after":"`+sha+`"}`))
	if code != http.StatusAccepted || !slices.Equal(matched(ans), []string{"alive"}) {
		t.Fatalf("valid push after the attack: %d %v\n%s", code, ans, s.p.logs)
	}
	s.waitLine(t, "alive.log", sha)
}

type apiRun struct {
	ID        string `json:"id"`
	EventID   string `json:"event_id"`
	Rule      string `json:"rule"`
	State     string `json:"state"`
	Attempt   int    `json:"attempt"`
	LastError string `json:"last_error"`
}

// waitRun waits until the run of rule for event is finished (succeeded
// or dead) and returns it.
func (s *secSuite) waitRun(t *testing.T, eventID, rule string) apiRun {
	t.Helper()
	var got apiRun
	waitUntil(t, "the run of "+rule+" for "+eventID+" to finish", 15*time.Second, func() bool {
		var rs []apiRun
		s.adminJSON(t, "/api/runs?event="+eventID, &rs)
		for _, r := range rs {
			if r.Rule == rule && (r.State == "succeeded" || r.State == "dead") {
				got = r
				return true
			}
		}
		return false
	})
	return got
}

type apiEvent struct {
	ID      string            `json:"id"`
	Source  string            `json:"source"`
	Headers map[string]string `json:"headers"`
	Query   string            `json:"query"`
	Matched []string          `json:"matched"`
}

func (s *secSuite) events(t *testing.T, source string) []apiEvent {
	t.Helper()
	var evs []apiEvent
	s.adminJSON(t, "/api/events?limit=1000&source="+source, &evs)
	return evs
}

// sendGitea posts a form as Gitea does: X-Gitea-Signature is the HMAC of
// the payload= field's JSON (signed), not of the whole body.
func (s *secSuite) sendGitea(t *testing.T, delivery, signed, body string) (int, string) {
	t.Helper()
	code, _, b := request(t, s.client, "POST", "http://"+s.pub+"/hooks/gitea", map[string]string{
		"Content-Type":      "application/x-www-form-urlencoded",
		"X-Gitea-Event":     "push",
		"X-Gitea-Delivery":  delivery,
		"X-Gitea-Signature": hmacHex(secSecrets["GITEA"], []byte(signed)),
	}, []byte(body))
	return code, b
}

func form(payload string) string { return url.Values{"payload": {payload}}.Encode() }

// §1: a signed Gitea delivery replayed with an unsigned ref= field beside
// payload= is refused; nothing is stored or run.
func (s *secSuite) testGiteaUnsignedField(t *testing.T) {
	dev := `{"ref":"refs/heads/dev","after":"devsha"}`
	if code, b := s.sendGitea(t, "g-orig", dev, form(dev)); code != 202 || !strings.Contains(b, `"matched":[]`) {
		t.Fatalf("the original dev delivery: %d %s", code, b)
	}
	for i, body := range []string{
		form(dev) + "&ref=refs%2Fheads%2Fmain",
		"ref=refs%2Fheads%2Fmain&" + form(dev),
		form(dev) + "&" + form(`{"ref":"refs/heads/main","after":"evil"}`),
	} {
		if code, b := s.sendGitea(t, fmt.Sprintf("g-replay-%d", i), dev, body); code != http.StatusBadRequest {
			t.Fatalf("replay %d with unsigned content: %d %s", i, code, b)
		}
	}
	if !strings.Contains(s.p.logs.String(), "request refused: body holds unsigned content") {
		t.Error("the refusal reason was not logged")
	}
	if evs := s.events(t, "gitea"); len(evs) != 1 {
		t.Fatalf("gitea events stored: %d, want only the original", len(evs))
	}
	// A valid main delivery runs the rule; the script saw only its sha.
	main := `{"ref":"refs/heads/main","after":"giteasha"}`
	if code, b := s.sendGitea(t, "g-valid", main, form(main)); code != 202 || !strings.Contains(b, `"gitea-deploy"`) {
		t.Fatalf("valid gitea delivery: %d %s", code, b)
	}
	s.waitLine(t, "gitea.log", "giteasha")
	if lines := readLines(filepath.Join(s.dir, "gitea.log")); len(lines) != 1 {
		t.Fatalf("gitea rule ran for an attack: %q", lines)
	}
	s.assertStillServing(t)
}

// §1: max_json_depth applies to the JSON inside payload=.
func (s *secSuite) testJSONDepthInForm(t *testing.T) {
	before := len(s.events(t, "gitea"))
	deep := strings.Repeat(`{"a":`, 40) + "1" + strings.Repeat("}", 40) // max_json_depth: 32
	code, b := s.sendGitea(t, "g-deep", deep, form(deep))
	if code != http.StatusBadRequest || !strings.Contains(b, "nested deeper") {
		t.Fatalf("JSON 40 deep inside payload=: %d %s", code, b)
	}
	if after := len(s.events(t, "gitea")); after != before {
		t.Fatalf("the too-deep delivery was stored (%d -> %d events)", before, after)
	}
	s.assertStillServing(t)
}

// §2: a payload value starting with "-" in a whole-template argv element
// fails the run permanently before the program starts.
func (s *secSuite) testDashValue(t *testing.T) {
	id := s.sendGen(t, map[string]any{"kind": "dash", "arg": "-rf"})
	r := s.waitRun(t, id, "dash")
	if r.State != "dead" || r.Attempt != 1 || !strings.Contains(r.LastError, `starts with "-"`) || !strings.Contains(r.LastError, "permanent") {
		t.Fatalf("run with -rf: %+v", r)
	}
	if _, err := os.Stat(filepath.Join(s.dir, "dash.log")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the program ran with -rf (dash.log: %v)", err)
	}
	id = s.sendGen(t, map[string]any{"kind": "dash", "arg": "safe-value"})
	if r := s.waitRun(t, id, "dash"); r.State != "succeeded" {
		t.Fatalf("valid dash-rule run: %+v", r)
	}
	if lines := readLines(filepath.Join(s.dir, "dash.log")); !slices.Equal(lines, []string{"safe-value"}) {
		t.Fatalf("dash.log = %q", lines)
	}
	s.assertStillServing(t)
}

// §2: http templates are escaped for where they land; a CR/LF header value
// fails the run and nothing is sent.
func (s *secSuite) testHTTPEscaping(t *testing.T) {
	text := `x" , "admin": true, "y": "`
	id := s.sendGen(t, map[string]any{"kind": "http", "seg": "../admin", "q": "1&admin=true", "text": text, "note": "fine"})
	if r := s.waitRun(t, id, "call"); r.State != "succeeded" {
		t.Fatalf("http run: %+v", r)
	}
	got := s.capture.byKey(id + "/call")
	if len(got) != 1 {
		t.Fatalf("capture server got %d requests for the run", len(got))
	}
	c := got[0]
	path := strings.SplitN(c.RequestURI, "?", 2)[0]
	segs := strings.Split(path, "/")
	if !slices.Equal(segs, []string{"", "api", "..%2Fadmin", "x"}) {
		t.Errorf("path %q: ../admin is not one escaped segment", path)
	}
	if seg, _ := url.PathUnescape(segs[min(2, len(segs)-1)]); seg != "../admin" {
		t.Errorf("path segment decodes to %q", seg)
	}
	q, err := url.ParseQuery(c.RawQuery)
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if err != nil || !slices.Equal(keys, []string{"api_key", "n", "q"}) || q.Get("q") != "1&admin=true" || q.Get("n") != "1" {
		t.Errorf("query %q: keys %v, q=%q (err %v)", c.RawQuery, keys, q.Get("q"), err)
	}
	var body map[string]any
	if err := json.Unmarshal(c.Body, &body); err != nil {
		t.Errorf("body is not JSON: %v\n%s", err, c.Body)
	}
	if len(body) != 2 || body["text"] != "hello "+text || body["n"] != float64(1) {
		t.Errorf("body %s parses to %v; want text = %q and n only", c.Body, body, "hello "+text)
	}
	if c.Header.Get("X-Note") != "fine" || c.Method != "POST" {
		t.Errorf("method %s, X-Note %q", c.Method, c.Header.Get("X-Note"))
	}
	// The secrets reached the target (so the outputs scanned by
	// secrets_never_shown had them to leak).
	if _, pass, _ := (&http.Request{Header: c.Header}).BasicAuth(); pass != secSecrets["URLPASS"] || q.Get("api_key") != secSecrets["SEC_APIKEY"] || c.Header.Get("X-Api-Key") != secSecrets["XAPIKEY"] {
		t.Errorf("the action did not send its credentials: basic %q, api_key %q, X-Api-Key %q", pass, q.Get("api_key"), c.Header.Get("X-Api-Key"))
	}

	// CR/LF in a templated header: dead at once, nothing sent.
	id = s.sendGen(t, map[string]any{"kind": "http", "seg": "s", "q": "1", "text": "t", "note": "ok\r\nX-Injected: yes"})
	r := s.waitRun(t, id, "call")
	if r.State != "dead" || r.Attempt != 1 || !strings.Contains(r.LastError, "permanent") {
		t.Fatalf("run with CR/LF in a header: %+v", r)
	}
	if n := len(s.capture.byKey(id + "/call")); n != 0 {
		t.Fatalf("the CR/LF run sent %d requests", n)
	}
	for _, c := range s.capture.all() {
		if c.Header.Get("X-Injected") != "" {
			t.Fatalf("a header was injected: %v", c.Header)
		}
	}
	s.assertStillServing(t)
}

// badRules are argv forms in which a payload value would be read as code.
var badRules = []struct{ command, element, reader string }{
	{`["bash", "-lc", "deploy {{ payload.ref }}"]`, "command[2]", "bash -c"},
	{`["env", "sh", "-c", "deploy {{ payload.ref }}"]`, "command[3]", "sh -c"},
	{`["timeout", "5", "python3", "-c", "print({{ payload.ref }})"]`, "command[4]", "python3 -c"},
	// A launcher, a program the guard does not know, a code option whose
	// value looks like options (the shell review).
	{`["docker", "exec", "app", "sh", "-c", "deploy {{ payload.ref }}"]`, "command[5]", "sh -c"},
	{`["hookrunner-unknown-wrapper", "app", "sh", "-c", "deploy {{ payload.ref }}"]`, "command[4]", "does not know how hookrunner-unknown-wrapper"},
	{`["node", "-pe", "{{ payload.ref }}"]`, "command[2]", "node -e"},
}

func withBadRule(cfg, command string) string {
	return cfg + "  - name: injectable\n    source: github\n    actions: [ { shell: { command: " + command + " } } ]\n"
}

// §2: payload-as-code argv is refused by validate and by reload (SIGHUP
// and POST /-/reload); the old config keeps serving.
func (s *secSuite) testPayloadAsCode(t *testing.T) {
	var status struct {
		Hash        string `json:"hash"`
		LastSuccess bool   `json:"last_reload_successful"`
		LastError   string `json:"last_reload_error"`
	}
	s.adminJSON(t, "/api/status", &status)
	hash := status.Hash
	for i, b := range badRules {
		name := fmt.Sprintf("bad%d.yaml", i)
		os.WriteFile(filepath.Join(s.dir, name), []byte(withBadRule(s.cfg, b.command)), 0o600)
		out, code := runCLI(t, s.dir, "validate", "--config", name)
		want := "(injectable).actions[0].shell." + b.element
		if code == 0 || !strings.Contains(out, want) || !strings.Contains(out, b.reader) || !strings.Contains(out, `$1`) && !strings.Contains(out, "sys.argv") {
			t.Errorf("validate %s: exit %d, want %q, %q and the safe form in:\n%s", b.command, code, want, b.reader, out)
		}
		// Written over the served config, then reloaded.
		s.writeConfig(t, withBadRule(s.cfg, b.command))
		if i == 0 {
			if err := s.p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
				t.Fatal(err)
			}
			waitUntil(t, "the SIGHUP reload to be refused", 10*time.Second, func() bool {
				s.adminJSON(t, "/api/status", &status)
				return strings.Contains(status.LastError, want)
			})
		} else {
			code, body := s.admin(t, "POST", "/-/reload")
			if code != http.StatusBadRequest || !strings.Contains(body, want) {
				t.Errorf("POST /-/reload of %s: %d %s", b.command, code, body)
			}
		}
		s.adminJSON(t, "/api/status", &status)
		if status.Hash != hash || status.LastSuccess {
			t.Errorf("after refusing %s: hash %s (was %s), last success %v", b.command, status.Hash, hash, status.LastSuccess)
		}
		s.assertStillServing(t)
	}
	s.writeConfig(t, s.cfg)
	if code, body := s.admin(t, "POST", "/-/reload"); code != 200 {
		t.Fatalf("reload of the good config: %d %s", code, body)
	}
	s.adminJSON(t, "/api/status", &status)
	if status.Hash != hash || !status.LastSuccess {
		t.Fatalf("good config back: %+v", status)
	}
	s.assertStillServing(t)
}

// §4: the admin listener answers only to IP literals, localhost and
// admin.hosts.
func (s *secSuite) testDNSRebinding(t *testing.T) {
	_, port, _ := net.SplitHostPort(s.adm)
	auth := "Bearer " + secSecrets["SEC_ADMIN"]
	routes := []struct{ method, path string }{{"GET", "/api/events"}, {"POST", "/-/reload"}, {"GET", "/debug/pprof/"}, {"GET", "/ui/config"}}
	for _, rt := range routes {
		for _, host := range []string{"evil.example", "evil.example:" + port} {
			code, _, b := request(t, s.client, rt.method, "http://"+s.adm+rt.path, map[string]string{"Host": host, "Authorization": auth}, nil)
			if code != http.StatusMisdirectedRequest && code != http.StatusForbidden {
				t.Errorf("%s %s with Host %s: %d %.80s", rt.method, rt.path, host, code, b)
			}
		}
		for _, host := range []string{"127.0.0.1:" + port, "localhost:" + port} {
			code, _, b := request(t, s.client, rt.method, "http://"+s.adm+rt.path, map[string]string{"Host": host, "Authorization": auth}, nil)
			if code != 200 {
				t.Errorf("%s %s with Host %s: %d %s", rt.method, rt.path, host, code, b)
			}
		}
	}
	s.assertStillServing(t)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// loginForm fetches the sign-in page's CSRF token.
func loginCSRF(t *testing.T, c *http.Client, adm string) string {
	t.Helper()
	code, _, page := request(t, c, "GET", "http://"+adm+"/ui/login", nil, nil)
	m := csrfRE.FindStringSubmatch(page)
	if code != 200 || m == nil {
		t.Fatalf("GET /ui/login: %d, no csrf field\n%s", code, page)
	}
	return m[1]
}

func postLogin(t *testing.T, c *http.Client, adm, csrf, token string) (int, http.Header) {
	t.Helper()
	body := url.Values{"token": {token}, "csrf": {csrf}}.Encode()
	code, h, _ := request(t, c, "POST", "http://"+adm+"/ui/login", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, []byte(body))
	return code, h
}

// §4: failed sign-ins and wrong bearer tokens are limited per client
// address; other addresses keep working.
func (s *secSuite) testLoginBruteForce(t *testing.T) {
	// The console's sign-in form, from 127.0.0.3.
	c3 := clientFrom("127.0.0.3")
	csrf := loginCSRF(t, c3, s.adm)
	for i := 1; i <= 6; i++ {
		code, h := postLogin(t, c3, s.adm, csrf, fmt.Sprintf("guess-%d", i))
		switch {
		case i <= 5 && code != http.StatusUnauthorized:
			t.Fatalf("wrong sign-in %d: %d", i, code)
		case i == 6 && (code != http.StatusTooManyRequests || h.Get("Retry-After") == "" || h.Get("Retry-After") == "0"):
			t.Fatalf("sign-in %d after 5 failures: %d, Retry-After %q", i, code, h.Get("Retry-After"))
		}
	}
	if code, _ := postLogin(t, c3, s.adm, csrf, secSecrets["SEC_ADMIN"]); code != http.StatusTooManyRequests {
		t.Fatalf("right token during the block: %d, want 429", code)
	}
	// Bearer tokens on the API, from 127.0.0.4.
	c4 := clientFrom("127.0.0.4")
	for i := 1; i <= 6; i++ {
		code, h, _ := request(t, c4, "GET", "http://"+s.adm+"/api/events", map[string]string{"Authorization": fmt.Sprintf("Bearer guess-%d", i)}, nil)
		switch {
		case i <= 5 && code != http.StatusUnauthorized:
			t.Fatalf("wrong bearer %d: %d", i, code)
		case i == 6 && (code != http.StatusTooManyRequests || h.Get("Retry-After") == ""):
			t.Fatalf("bearer %d after 5 failures: %d, Retry-After %q", i, code, h.Get("Retry-After"))
		}
	}
	if code, _, _ := request(t, c4, "GET", "http://"+s.adm+"/api/events", map[string]string{"Authorization": "Bearer " + secSecrets["SEC_ADMIN"]}, nil); code != http.StatusTooManyRequests {
		t.Fatalf("right bearer during the block: %d, want 429", code)
	}
	// Another address still signs in: a random session id, not the token.
	c1 := clientFrom("127.0.0.1")
	code, h := postLogin(t, c1, s.adm, loginCSRF(t, c1, s.adm), secSecrets["SEC_ADMIN"])
	cookie := h.Get("Set-Cookie")
	if code != http.StatusSeeOther || !strings.Contains(cookie, "HttpOnly") || !strings.Contains(cookie, "SameSite=Strict") || strings.Contains(cookie, secSecrets["SEC_ADMIN"]) {
		t.Fatalf("sign-in from 127.0.0.1: %d, Set-Cookie %q", code, cookie)
	}
	if code, b := s.admin(t, "GET", "/api/events"); code != 200 {
		t.Fatalf("admin API from 127.0.0.1: %d %s", code, b)
	}
	s.assertStillServing(t)
}

// §5: a condition that would cost seconds of CPU stops at the evaluation
// budget; the event is stored, the rule does not match and says why; the
// same delivery again is a duplicate.
func (s *secSuite) testMatchBudget(t *testing.T) {
	a, b := make([]int, 20000), make([]int, 20000)
	for i := range a {
		a[i], b[i] = i, 20000+i
	}
	body, _ := json.Marshal(map[string]any{"a": a, "b": b})
	began := time.Now()
	code, ans := s.pushGitHub(t, s.client, "budget-1", body)
	t.Logf("the pathological event was answered in %v", time.Since(began)) // for the reader; not asserted
	id, _ := ans["id"].(string)
	if code != http.StatusAccepted || id == "" || len(matched(ans)) != 0 {
		t.Fatalf("pathological event: %d %v", code, ans)
	}
	var detail struct {
		Event     apiEvent `json:"event"`
		Decisions []struct {
			Rule    string `json:"rule"`
			Matched bool   `json:"matched"`
			Reason  string `json:"reason"`
		} `json:"decisions"`
	}
	s.adminJSON(t, "/api/events/"+id, &detail)
	if detail.Event.ID != id {
		t.Fatalf("event %s not stored", id)
	}
	found := false
	for _, d := range detail.Decisions {
		if d.Rule == "budget" {
			found = !d.Matched && strings.Contains(d.Reason, "evaluation budget exceeded")
		}
	}
	if !found {
		t.Fatalf("the budget rule's decision does not say \"evaluation budget exceeded\": %+v", detail.Decisions)
	}
	if out, _ := runCLI(t, s.dir, "explain", "--config", "hooks.yaml", "--event-id", id); !strings.Contains(out, "evaluation budget exceeded") {
		t.Errorf("explain --event-id:\n%s", out)
	}
	code, ans = s.pushGitHub(t, s.client, "budget-1", body)
	if dup, _ := ans["duplicate"].(bool); code != http.StatusOK || !dup || ans["id"] != id {
		t.Fatalf("the same delivery again: %d %v", code, ans)
	}
	s.assertStillServing(t)
	if _, err := os.Stat(filepath.Join(s.dir, "budget.log")); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("the budget rule ran")
	}
}

// §5: one client address cannot hold more than max_conns_per_ip (4)
// connections; the extra one is closed at accept while another address is
// served. The attacker uses its own address (127.0.0.5), so the count does
// not depend on the keep-alive connections of the suite's own client.
func (s *secSuite) testPerIPConnections(t *testing.T) {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.5")}, Timeout: 5 * time.Second}
	var held []net.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	for i := 0; i < 4; i++ {
		c, err := d.Dial("tcp", s.pub)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
		// Each one is served (and stays open: keep-alive).
		c.SetDeadline(time.Now().Add(10 * time.Second))
		fmt.Fprintf(c, "GET /hooks/github HTTP/1.1\r\nHost: %s\r\n\r\n", s.pub)
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("connection %d from 127.0.0.5 not served: %v", i+1, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.Close {
			t.Fatalf("connection %d was not kept open (status %d)", i+1, resp.StatusCode)
		}
	}
	extra, err := d.Dial("tcp", s.pub)
	if err != nil {
		t.Fatal(err)
	}
	defer extra.Close()
	extra.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, err := extra.Read(make([]byte, 1))
	var ne net.Error
	if n != 0 || err == nil || errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("connection 5 from 127.0.0.5 was not closed by the server: n=%d err=%v", n, err)
	}
	t.Logf("connection 5 from 127.0.0.5: %v", err)
	// Another address is served while 127.0.0.5 holds its 4.
	sha := "from-127.0.0.2"
	if code, ans := s.pushGitHub(t, clientFrom("127.0.0.2"), "d-"+sha, []byte(`{"ref":"refs/heads/main","after":"`+sha+`"}`)); code != 202 {
		t.Fatalf("push from 127.0.0.2: %d %v", code, ans)
	}
	s.waitLine(t, "alive.log", sha)
	if _, m := s.admin(t, "GET", "/metrics"); !regexp.MustCompile(`hookrunner_connections_refused_total\{reason="per_ip"\} [1-9]`).MatchString(m) {
		t.Error("hookrunner_connections_refused_total{reason=\"per_ip\"} did not count the refusal")
	}
	s.assertStillServing(t)
}

// §6: an adnanh hooks.json with a misspelt trigger_rule is refused, naming
// the hook and the key; nothing is written to stdout.
func (s *secSuite) testImport(t *testing.T) {
	hooks := `[
  {
    "id": "redeploy",
    "execute-command": "/opt/deploy.sh",
    "trigger_rule": {
      "match": { "type": "payload-hmac-sha256", "secret": "import-secret", "parameter": { "source": "header", "name": "X-Hub-Signature-256" } }
    }
  }
]`
	os.WriteFile(filepath.Join(s.dir, "hooks.json"), []byte(hooks), 0o600)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "import", "--from", "webhook", "hooks.json")
	cmd.Dir = s.dir
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() == 0 {
		t.Fatalf("import of a misspelt trigger_rule: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	if stdout.Len() != 0 {
		t.Fatalf("a refused import wrote to stdout:\n%s", stdout.String())
	}
	if e := stderr.String(); !strings.Contains(e, `"redeploy"`) || !strings.Contains(e, "trigger_rule") || !strings.Contains(e, "trigger-rule") {
		t.Fatalf("stderr does not name the hook, the key and the right key:\n%s", e)
	}
	s.assertStillServing(t)
}

// §3: no configured secret, nor a credential a caller sent, shows in the
// admin API, the console, the logs, the CLI or the store's files.
func (s *secSuite) testSecrets(t *testing.T) {
	// Traffic that carries secrets in: a header token, a ?token=, and
	// credentials a caller sent on their own.
	code, _, b := request(t, s.client, "POST", "http://"+s.pub+"/hooks/genh?api_key=client-SECSUITE-q-1212", map[string]string{
		"Content-Type": "application/json", "X-Webhook-Token": secSecrets["GENH"], "Authorization": "Bearer client-SECSUITE-auth-3434",
	}, []byte(`{"n": 7}`))
	if code != 202 {
		t.Fatalf("genh: %d %s", code, b)
	}
	s.waitLine(t, "genh.log", "7")
	id := s.sendGen(t, map[string]any{"kind": "http", "seg": "fail", "q": "1", "text": "t", "note": "fail"}) // capture answers 500
	if r := s.waitRun(t, id, "call"); r.State != "dead" {
		t.Fatalf("failing http run: %+v", r)
	}
	secrets := map[string]string{"CLIENT_Q": "client-SECSUITE-q-1212", "CLIENT_AUTH": "client-SECSUITE-auth-3434"}
	for k, v := range secSecrets {
		secrets[k] = v
	}

	var all strings.Builder
	get := func(path string) {
		code, b := s.admin(t, "GET", path)
		if code != 200 {
			t.Errorf("GET %s: %d", path, code)
		}
		all.WriteString(b)
	}
	for _, p := range []string{"/api/config", "/api/status", "/api/events?limit=1000", "/api/runs?limit=1000", "/metrics"} {
		get(p)
	}
	var evs []apiEvent
	s.adminJSON(t, "/api/events?limit=1000", &evs)
	var runs []apiRun
	s.adminJSON(t, "/api/runs?limit=1000", &runs)
	for _, e := range evs {
		get("/api/events/" + e.ID)
		switch e.Source {
		case "gen":
			if e.Query != "token=[REDACTED]&page=2" {
				t.Errorf("generic ?token= stored as %q", e.Query)
			}
		case "genh":
			if e.Headers["x-webhook-token"] != "[REDACTED]" || e.Headers["authorization"] != "[REDACTED]" || e.Query != "api_key=[REDACTED]" {
				t.Errorf("genh credentials stored: %v %q", e.Headers, e.Query)
			}
		case "github":
			if !strings.HasPrefix(e.Headers["x-hub-signature-256"], "sha256=") {
				t.Errorf("the signature header was not kept: %v", e.Headers)
			}
		}
	}
	for _, r := range runs {
		get("/api/runs/" + r.ID)
	}
	// The console, signed in.
	csrf := loginCSRF(t, s.client, s.adm)
	code, h := postLogin(t, s.client, s.adm, csrf, secSecrets["SEC_ADMIN"])
	var cookie string
	for _, c := range (&http.Response{Header: h}).Cookies() {
		cookie = c.Name + "=" + c.Value
	}
	if code != http.StatusSeeOther || cookie == "" {
		t.Fatalf("sign-in: %d %v", code, h)
	}
	for _, p := range []string{"/ui/config", "/ui/events", "/ui/runs", "/ui/runs?state=dead", "/ui/events/" + id} {
		code, _, page := request(t, s.client, "GET", "http://"+s.adm+p, map[string]string{"Cookie": cookie}, nil)
		if code != 200 {
			t.Errorf("GET %s signed in: %d", p, code)
		}
		all.WriteString(page)
	}
	// The CLI, reading the store and the config itself.
	cli := func(args ...string) {
		out, _ := runCLI(t, s.dir, args...)
		all.WriteString(out)
	}
	cli("events", "--config", "hooks.yaml", "--limit", "1000")
	cli("runs", "--config", "hooks.yaml", "--limit", "1000")
	cli("runs", "--config", "hooks.yaml", runs[0].ID)
	cli("validate", "--config", "hooks.yaml")
	cli("validate", "--config", "bad0.yaml")
	seen := map[string]bool{} // one event of each source: each CLI call costs a process start
	for _, e := range evs {
		if !seen[e.Source] {
			seen[e.Source] = true
			cli("explain", "--config", "hooks.yaml", "--event-id", e.ID)
			cli("events", "--config", "hooks.yaml", e.ID)
		}
	}
	cli("events", "--config", "hooks.yaml", id)
	cli("explain", "--config", "hooks.yaml", "--event-id", id)
	scanned := all.String()
	for _, want := range []string{"[REDACTED]", "upstream refused", "NO MATCH", "MATCH"} {
		if !strings.Contains(scanned, want) {
			t.Fatalf("the scan did not collect the outputs (no %q):\n%s", want, scanned)
		}
	}
	scanned += s.p.logs.String()
	for _, suffix := range []string{"", "-wal", "-shm"} {
		b, _ := os.ReadFile(filepath.Join(s.dir, "hr.db") + suffix)
		scanned += string(b)
	}
	for name, v := range secrets {
		if i := strings.Index(scanned, v); i >= 0 {
			t.Errorf("secret %s (%s) shown: …%q…", name, v, scanned[max(0, i-200):min(len(scanned), i+40)])
		}
	}
	s.assertStillServing(t)
}

// captureServer records every request an http action makes.
type captureServer struct {
	srv  *httptest.Server
	mu   sync.Mutex
	reqs []captured
}

type captured struct {
	Method, RequestURI, RawQuery string
	Header                       http.Header
	Body                         []byte
}

func newCaptureServer() *captureServer {
	c := &captureServer{}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		c.mu.Lock()
		c.reqs = append(c.reqs, captured{Method: r.Method, RequestURI: r.RequestURI, RawQuery: r.URL.RawQuery, Header: r.Header.Clone(), Body: b})
		c.mu.Unlock()
		if r.Header.Get("X-Note") == "fail" {
			// Fail, echoing what carries credentials, so the run's error
			// and output tail hold them unless they are redacted.
			_, pass, _ := r.BasicAuth()
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprintf(w, "upstream refused %s pass=%s x-api-key=%s\n", r.RequestURI, pass, r.Header.Get("X-Api-Key"))
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	return c
}

func (c *captureServer) all() []captured {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]captured(nil), c.reqs...)
}

func (c *captureServer) byKey(key string) []captured {
	var out []captured
	for _, r := range c.all() {
		if r.Header.Get("Idempotency-Key") == key {
			out = append(out, r)
		}
	}
	return out
}
