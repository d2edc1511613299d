package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/app"
)

// TestCLINoSecretLeaks drives validate, explain, events and runs (store
// and server modes) over a config full of secrets and a stored failing
// run, and checks no output shows one.
func TestCLINoSecretLeaks(t *testing.T) {
	secrets := map[string]string{
		"LEAK_CLI_GH":  "gh-CLILEAK-3e3e",
		"LEAK_CLI_ENV": "env-CLILEAK-4f4f",
		"LEAK_CLI_DRV": "drv-CLILEAK-5a5a",
		"urlpass":      "urlpass-CLILEAK-6b6b",
		"apikey":       "apikey-CLILEAK-7c7c",
		"bearer":       "bearer-CLILEAK-8d8d",
		"dbpass":       "dbpass-CLILEAK-9e9e",
		"admin":        "admin-CLILEAK-0f0f",
		"sent":         "sent-CLILEAK-1a1a",    // a credential header given to explain
		"sentkey":      "sentkey-CLILEAK-2b2b", // a credential header of a stored event, unknown to the config
	}
	for _, k := range []string{"LEAK_CLI_GH", "LEAK_CLI_ENV", "LEAK_CLI_DRV"} {
		t.Setenv(k, secrets[k])
	}
	t.Setenv("HOOKRUNNER_ADMIN_TOKEN", secrets["admin"])
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(500)
		fmt.Fprintf(w, "failed for %s\n", r.URL.String())
	}))
	defer up.Close()
	dir := t.TempDir()
	cfg := writeFile(t, dir, "hooks.yaml", fmt.Sprintf(`
server: { listen: "127.0.0.1:0" }
admin: { listen: "127.0.0.1:0" }
runner: { poll_interval: 50ms }
store: { dsn: %q }
sources:
  github: { provider: github, secret: "${LEAK_CLI_GH}" }
rules:
  - name: notify
    source: github
    retry: { attempts: 1 }
    actions:
      - http:
          url: "http://u:%s@%s/x?api_key=%s"
          headers: { Authorization: "Bearer %s" }
          body: '{"ref": "{{ payload.ref }}", "env": "${LEAK_CLI_ENV}"}'
      - shell: { command: ["/bin/echo", "${LEAK_CLI_ENV}"], env: { DATABASE_URL: "postgres://u:%s@db/x" } }
`, filepath.Join(dir, "hr.db"), secrets["urlpass"], strings.TrimPrefix(up.URL, "http://"), secrets["apikey"], secrets["bearer"], secrets["dbpass"]))

	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan [2]string, 1)
	done := make(chan error, 1)
	go func() {
		done <- app.Run(ctx, app.Options{ConfigPath: cfg, LogOutput: io.Discard, Ready: func(p, a string) { ready <- [2]string{p, a} }})
	}()
	addrs := <-ready
	defer func() { cancel(); <-done }()
	body := []byte(`{"ref":"refs/heads/main","after":"abc","repository":{"full_name":"acme/api"}}`)
	m := hmac.New(sha256.New, []byte(secrets["LEAK_CLI_GH"]))
	m.Write(body)
	req, _ := http.NewRequest("POST", "http://"+addrs[0]+"/hooks/github", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "push")
	req.Header.Set("X-GitHub-Delivery", "cli-1")
	req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(m.Sum(nil)))
	req.Header.Set("X-Api-Key", secrets["sentkey"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 202 {
		t.Fatalf("post: %v %v", err, resp)
	}
	resp.Body.Close()

	var all strings.Builder
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, _ := runCmd(t, "runs", "--config", cfg, "--state", "dead")
		if strings.Contains(out, "notify") {
			all.WriteString(out)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the run did not go dead: %s", out)
		}
		time.Sleep(50 * time.Millisecond)
	}
	payload := writeFile(t, dir, "p.json", string(body))
	outOf := func(args ...string) string {
		out, _ := runCmd(t, args...)
		all.WriteString(out)
		return out
	}
	outOf("validate", "--config", cfg)
	if out := outOf("explain", "--config", cfg, "--source", "github", "--event", "push", "--payload", payload, "--header", "Authorization: Bearer "+secrets["sent"]); !strings.Contains(out, "MATCH") {
		t.Fatalf("explain: %s", out)
	}
	evOut := outOf("events", "--config", cfg)
	runsOut := outOf("runs", "--config", cfg)
	evID := strings.Fields(strings.Split(evOut, "\n")[1])[3] // date, time, zone, id
	runID := strings.Fields(strings.Split(runsOut, "\n")[1])[3]
	outOf("explain", "--config", cfg, "--event-id", evID)
	outOf("events", "--config", cfg, evID)
	outOf("events", "--config", cfg, evID, "--json")
	outOf("events", "--config", cfg, "--json")
	outOf("runs", "--config", cfg, "--json")
	outOf("runs", "--config", cfg, runID, "--json")
	if out := outOf("events", "--config", cfg, evID); !strings.Contains(out, "x-api-key: [REDACTED]") {
		t.Fatalf("events ID does not mask a credential header: %s", out)
	}
	if out := outOf("runs", "--config", cfg, runID); !strings.Contains(out, "[REDACTED]") {
		t.Fatalf("runs ID shows no redaction, the scan is blind: %s", out)
	}
	srv := "http://" + addrs[1]
	outOf("events", "--server", srv, evID)
	outOf("runs", "--server", srv, runID)
	outOf("runs", "--server", srv)
	outOf("events", "--server", srv, "--json")
	outOf("events", "--server", srv, evID, "--json")
	// A config error that quotes a ${VAR} value.
	bad := writeFile(t, dir, "bad.yaml", "store: { driver: \"${LEAK_CLI_DRV}\" }\nsources:\n  s: { provider: github, secret: x }\n")
	if out := outOf("validate", "--config", bad); !strings.Contains(out, "store.driver") {
		t.Fatalf("validate bad: %s", out)
	}
	s := all.String()
	for name, v := range secrets {
		if i := strings.Index(s, v); i >= 0 {
			t.Errorf("secret %s leaked: …%s…", name, s[max(0, i-160):min(len(s), i+40)])
		}
	}
}
