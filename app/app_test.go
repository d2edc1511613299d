package app_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/app"
	"github.com/hookrunner/hookrunner/internal/syncbuf"
)

// instance is one hookrunner running in-process on 127.0.0.1.
type instance struct {
	pub, adm string
	dir      string
	cfgPath  string
	logs     *syncbuf.Buffer
	cancel   context.CancelFunc
	done     chan error
	stopOnce sync.Once
}

const header = `
server: { listen: "127.0.0.1:0", max_body: 1MiB }
admin: { listen: "127.0.0.1:0" }
runner: { poll_interval: 50ms, workers: 4 }
log: { level: debug }
`

// start runs hookrunner on cfg (the header above is prepended) in a temp
// directory; %DIR% in cfg is replaced by that directory.
func start(t *testing.T, cfg string, watch bool) *instance {
	t.Helper()
	dir := t.TempDir()
	return startIn(t, dir, cfg, watch)
}

func startIn(t *testing.T, dir, cfg string, watch bool) *instance {
	t.Helper()
	body := header + "store: { driver: sqlite, dsn: \"" + filepath.Join(dir, "hr.db") + "\" }\n" + strings.ReplaceAll(cfg, "%DIR%", dir)
	if err := os.WriteFile(filepath.Join(dir, "hooks.yaml"), []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return startExisting(t, dir, watch)
}

// startExisting runs hookrunner on dir/hooks.yaml as it is.
func startExisting(t *testing.T, dir string, watch bool) *instance {
	t.Helper()
	in := &instance{dir: dir, cfgPath: filepath.Join(dir, "hooks.yaml"), logs: &syncbuf.Buffer{}, done: make(chan error, 1)}
	ready := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	in.cancel = cancel
	go func() {
		in.done <- app.Run(ctx, app.Options{ConfigPath: in.cfgPath, Watch: watch, LogOutput: in.logs,
			Ready: func(p, a string) { in.pub, in.adm = "http://"+p, "http://"+a; close(ready) }})
	}()
	select {
	case <-ready:
	case err := <-in.done:
		t.Fatalf("hookrunner did not start: %v\n%s", err, in.logs)
	case <-time.After(10 * time.Second):
		t.Fatal("hookrunner did not start in 10s")
	}
	t.Cleanup(func() {
		in.stop(t)
		if t.Failed() {
			t.Logf("hookrunner logs:\n%s", in.logs)
		}
	})
	return in
}

func (in *instance) stop(t *testing.T) {
	in.stopOnce.Do(func() {
		in.cancel()
		select {
		case <-in.done:
		case <-time.After(30 * time.Second):
			t.Error("hookrunner did not stop in 30s")
		}
	})
}

func ghSign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func (in *instance) postGitHub(t *testing.T, secret, event, delivery string, body []byte) (int, map[string]any) {
	t.Helper()
	return in.postGitHubVia(t, http.DefaultClient, secret, event, delivery, body)
}

// postGitHubVia is postGitHub through client (e.g. one dialling from
// another loopback address).
func (in *instance) postGitHubVia(t *testing.T, client *http.Client, secret, event, delivery string, body []byte) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", in.pub+"/hooks/github", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", event)
	req.Header.Set("X-GitHub-Delivery", delivery)
	req.Header.Set("X-Hub-Signature-256", ghSign(secret, body))
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func (in *instance) getJSON(t *testing.T, path string, v any) {
	t.Helper()
	resp, err := http.Get(in.adm + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls cond until it holds or the bounded wait ends.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func pushBody(ref, sha string) []byte {
	return []byte(fmt.Sprintf(`{"ref":%q,"after":%q,"repository":{"full_name":"acme/api"},"pusher":{"name":"ada"}}`, ref, sha))
}

const deployConfig = `
sources:
  github: { provider: github, secret: "gh-test-secret" }
rules:
  - name: redeploy
    source: github
    events: [push]
    if: payload.ref == "refs/heads/main" && payload.repository?.full_name == "acme/api"
    concurrency: 1
    actions:
      - shell:
          command: ["/bin/sh", "%DIR%/deploy.sh", "{{ payload.after }}"]
`

func writeScript(t *testing.T, dir, name, body string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
}

func TestGitHubPushEndToEnd(t *testing.T) {
	dir := t.TempDir()
	writeScript(t, dir, "deploy.sh", `printf '%s\n' "$1" >> "`+dir+`/deployed"`+"\n")
	in := startIn(t, dir, deployConfig, false)
	deployed := filepath.Join(dir, "deployed")

	// A correctly signed push to main runs the script with the sha.
	code, ans := in.postGitHub(t, "gh-test-secret", "push", "d-1", pushBody("refs/heads/main", "0d1a26e67d8f"))
	if code != 202 || fmt.Sprint(ans["matched"]) != "[redeploy]" || ans["id"] == "" {
		t.Fatalf("signed push: %d %v", code, ans)
	}
	waitFor(t, "the deploy script", 10*time.Second, func() bool {
		b, _ := os.ReadFile(deployed)
		return string(b) == "0d1a26e67d8f\n"
	})

	// The same body with a bad signature: 401, stored nowhere, run nowhere.
	code, _ = in.postGitHub(t, "wrong-secret", "push", "d-2", pushBody("refs/heads/main", "badbadbad"))
	if code != 401 {
		t.Fatalf("bad signature: %d", code)
	}
	// A push to another branch matches nothing.
	code, ans = in.postGitHub(t, "gh-test-secret", "push", "d-3", pushBody("refs/heads/feature", "feedfeed"))
	if code != 202 || fmt.Sprint(ans["matched"]) != "[]" {
		t.Fatalf("feature push: %d %v", code, ans)
	}
	// A redelivery of d-1 is a duplicate and runs nothing again.
	code, ans = in.postGitHub(t, "gh-test-secret", "push", "d-1", pushBody("refs/heads/main", "0d1a26e67d8f"))
	if code != 200 || ans["duplicate"] != true {
		t.Fatalf("duplicate: %d %v", code, ans)
	}
	var events []map[string]any
	in.getJSON(t, "/api/events", &events)
	if len(events) != 2 {
		t.Fatalf("stored events = %d, want 2 (the bad signature and the duplicate are not stored)", len(events))
	}
	// Runs are stored with their event before the answer, so every run the
	// four requests made is listed now: exactly one, and once it has
	// finished no other deploy can start.
	var runs []map[string]any
	waitFor(t, "the one run to finish", 10*time.Second, func() bool {
		in.getJSON(t, "/api/runs?limit=100", &runs)
		return len(runs) != 1 || runs[0]["state"] == "succeeded"
	})
	if len(runs) != 1 {
		t.Fatalf("runs = %d, want 1 (the bad signature, the other branch and the duplicate run nothing)", len(runs))
	}
	if b, _ := os.ReadFile(deployed); string(b) != "0d1a26e67d8f\n" {
		t.Fatalf("deploy log = %q", b)
	}
	if !strings.Contains(in.logs.String(), "verification failed") {
		t.Error("the refused request was not logged")
	}

	// Wrong method, unknown source.
	resp, _ := http.Get(in.pub + "/hooks/github")
	if resp.StatusCode != 405 {
		t.Errorf("GET: %d", resp.StatusCode)
	}
	resp, _ = http.Post(in.pub+"/hooks/nope", "application/json", strings.NewReader("{}"))
	if resp.StatusCode != 404 {
		t.Errorf("unknown source: %d", resp.StatusCode)
	}
}

// endlessReader yields n bytes of JSON-ish filler without holding them.
type endlessReader struct{ left int }

func (r *endlessReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		return 0, io.EOF
	}
	n := min(len(p), r.left)
	for i := range p[:n] {
		p[i] = 'a'
	}
	r.left -= n
	return n, nil
}

func TestBodyLimit(t *testing.T) {
	in := start(t, deployConfig, false)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for _, chunked := range []bool{false, true} {
		const size = 10 << 20
		req, _ := http.NewRequest("POST", in.pub+"/hooks/github", &endlessReader{left: size})
		if !chunked {
			req.ContentLength = size
		}
		req.Header.Set("X-GitHub-Event", "push")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("chunked=%v: %v", chunked, err)
		}
		resp.Body.Close()
		if resp.StatusCode != 413 {
			t.Fatalf("chunked=%v: status %d, want 413", chunked, resp.StatusCode)
		}
	}
	runtime.ReadMemStats(&after)
	// Both requests together allocated far less than one 10 MiB body.
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 8<<20 {
		t.Fatalf("allocated %d MiB for two rejected 10 MiB bodies", grew>>20)
	}
}

func TestRetriesDeadLettersAndReplay(t *testing.T) {
	var calls, fails atomic.Int32
	fails.Store(2)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if fails.Load() != 0 {
			if fails.Load() > 0 {
				fails.Add(-1)
			}
			http.Error(w, "upstream down", 500)
			return
		}
		w.Write([]byte("ok"))
	}))
	defer target.Close()
	in := start(t, `
sources:
  github: { provider: github, secret: "gh-test-secret" }
rules:
  - name: notify
    source: github
    events: [push]
    retry: { attempts: 3, backoff: 30ms, max_backoff: 100ms }
    actions:
      - http: { url: "`+target.URL+`/notify", body: '{"sha": "{{ payload.after }}"}' }
`, false)
	// 500, 500, 200: succeeds on attempt 3.
	_, ans := in.postGitHub(t, "gh-test-secret", "push", "r-1", pushBody("refs/heads/main", "aaa"))
	evID := ans["id"].(string)
	var runs []map[string]any
	waitFor(t, "the run to succeed", 10*time.Second, func() bool {
		in.getJSON(t, "/api/runs?event="+evID, &runs)
		return len(runs) == 1 && runs[0]["state"] == "succeeded"
	})
	if runs[0]["attempt"] != float64(3) {
		t.Fatalf("succeeded on attempt %v, want 3", runs[0]["attempt"])
	}
	var detail struct {
		Attempts []map[string]any `json:"attempts"`
	}
	in.getJSON(t, "/api/runs/"+runs[0]["id"].(string), &detail)
	if len(detail.Attempts) != 3 || detail.Attempts[0]["http_status"] != float64(500) || detail.Attempts[2]["ok"] != true {
		t.Fatalf("attempts = %+v", detail.Attempts)
	}

	// Always 500: dead after 3 attempts; replayed once fixed, it succeeds.
	fails.Store(-1)
	_, ans = in.postGitHub(t, "gh-test-secret", "push", "r-2", pushBody("refs/heads/main", "bbb"))
	evID = ans["id"].(string)
	waitFor(t, "the run to go dead", 10*time.Second, func() bool {
		in.getJSON(t, "/api/runs?event="+evID, &runs)
		return len(runs) == 1 && runs[0]["state"] == "dead"
	})
	var dead []map[string]any
	in.getJSON(t, "/api/runs?state=dead", &dead)
	if len(dead) != 1 || !strings.Contains(dead[0]["last_error"].(string), "HTTP 500") {
		t.Fatalf("dead list = %+v", dead)
	}
	fails.Store(0)
	resp, err := http.Post(in.adm+"/api/runs/"+dead[0]["id"].(string)+"/replay", "", nil)
	if err != nil || resp.StatusCode != 202 {
		t.Fatalf("replay: %v %v", err, resp.StatusCode)
	}
	waitFor(t, "the replay to succeed", 10*time.Second, func() bool {
		in.getJSON(t, "/api/runs?event="+evID, &runs)
		states := map[string]int{}
		for _, r := range runs {
			states[r["state"].(string)]++
		}
		return states["succeeded"] == 1 && states["replayed"] == 1
	})
}

func TestSyncRespond(t *testing.T) {
	in := start(t, `
sources:
  hook: { provider: generic, verify: token, header: X-Token, secret: "tok" }
rules:
  - name: answer
    source: hook
    respond: sync
    actions:
      - shell: { command: ["/bin/sh", "-c", "printf '{\"text\":\"%s\"}' \"$1\"", "sh", "{{ payload.q }}"] }
`, false)
	req, _ := http.NewRequest("POST", in.pub+"/hooks/hook", strings.NewReader(`{"q":"hello"}`))
	req.Header.Set("X-Token", "tok")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != `{"text":"hello"}` || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("sync answer: %d %q %s", resp.StatusCode, b, resp.Header.Get("Content-Type"))
	}
	var runs []map[string]any
	in.getJSON(t, "/api/runs?event="+resp.Header.Get("X-Hookrunner-Event-Id"), &runs)
	if len(runs) != 1 || runs[0]["state"] != "succeeded" {
		t.Fatalf("sync run not recorded: %+v", runs)
	}
}

func TestBadConfigRefusedAtStart(t *testing.T) {
	for name, cfg := range map[string]string{
		"trigger_rule": strings.Replace(deployConfig, "concurrency: 1", "concurrency: 1\n    trigger_rule: {}", 1),
		"githbu":       strings.Replace(deployConfig, "provider: github", "provider: githbu", 1),
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "hooks.yaml")
			os.WriteFile(path, []byte(header+cfg), 0o600)
			err := app.Run(context.Background(), app.Options{ConfigPath: path, LogOutput: io.Discard})
			if err == nil || !strings.Contains(err.Error(), name) {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

func TestMetricsAfterEvents(t *testing.T) {
	in := start(t, deployConfig, false)
	writeScript(t, in.dir, "deploy.sh", "exit 0\n")
	in.postGitHub(t, "gh-test-secret", "push", "m-1", pushBody("refs/heads/main", "a"))
	in.postGitHub(t, "gh-test-secret", "push", "m-1", pushBody("refs/heads/main", "a"))
	in.postGitHub(t, "bad", "push", "m-2", pushBody("refs/heads/main", "a"))
	in.postGitHub(t, "gh-test-secret", "push", "m-3", pushBody("refs/heads/dev", "a"))
	scrape := func() string {
		resp, err := http.Get(in.adm + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return string(b)
	}
	var m string
	// The attempt's counter and its duration are two updates: wait for
	// the one made last too.
	waitFor(t, "the run's outcome in the metrics", 5*time.Second, func() bool {
		m = scrape()
		return strings.Contains(m, `hookrunner_run_attempts_total{rule="redeploy",state="succeeded"} 1`) &&
			strings.Contains(m, `hookrunner_attempt_duration_seconds_count{rule="redeploy"} 1`)
	})
	for _, want := range []string{
		`hookrunner_events_received_total{provider="github",result="accepted",source="github"} 2`,
		`hookrunner_events_received_total{provider="github",result="duplicate",source="github"} 1`,
		`hookrunner_events_received_total{provider="github",result="unauthorized",source="github"} 1`,
		`hookrunner_rule_matches_total{rule="redeploy"} 1`,
		`hookrunner_runs{state="succeeded"} 1`,
		`hookrunner_attempt_duration_seconds_count{rule="redeploy"} 1`,
		`hookrunner_config_last_reload_successful 1`,
		`hookrunner_config_info{hash="`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(in.adm + path)
		if err != nil || resp.StatusCode != 200 {
			t.Errorf("%s: %v %v", path, err, resp.StatusCode)
		}
		resp.Body.Close()
	}
}

func TestAdminToken(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hooks.yaml")
	// Beyond loopback without a token: refused at start.
	os.WriteFile(path, []byte(strings.Replace(header, `admin: { listen: "127.0.0.1:0" }`, `admin: { listen: "0.0.0.0:0" }`, 1)+
		"store: { dsn: \""+filepath.Join(dir, "x.db")+"\" }\n"+strings.ReplaceAll(deployConfig, "%DIR%", dir)), 0o600)
	err := app.Run(context.Background(), app.Options{ConfigPath: path, LogOutput: io.Discard})
	if err == nil || !strings.Contains(err.Error(), "admin.token") {
		t.Fatalf("non-loopback admin without token: %v", err)
	}
	// With a token every admin endpoint but health wants it.
	t.Setenv("HOOKRUNNER_ADMIN_TOKEN", "adm-tok") // the env override of admin.token
	tok := start(t, deployConfig, false)
	for path, want := range map[string]int{"/api/events": 401, "/metrics": 401, "/healthz": 200} {
		resp, err := http.Get(tok.adm + path)
		if err != nil || resp.StatusCode != want {
			t.Errorf("%s without token: %v %d, want %d", path, err, resp.StatusCode, want)
		}
		resp.Body.Close()
	}
	req, _ := http.NewRequest("GET", tok.adm+"/api/events", nil)
	req.Header.Set("Authorization", "Bearer adm-tok")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("with token: %v %d", err, resp.StatusCode)
	}
	resp.Body.Close()
}
