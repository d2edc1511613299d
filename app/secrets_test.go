package app_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// leakSecrets are the distinctive secret values of the leak scenario: a
// way out that shows one of them is a leak.
var leakSecrets = map[string]string{
	"LEAK_GH":      "gh-LEAKCHECK-7f3a",
	"LEAK_GENH":    "genh-LEAKCHECK-hdr-4e1c",
	"LEAK_ARGV":    "argv-LEAKCHECK-env-a9d0",
	"LEAK_ENVTOK":  "envtok-LEAKCHECK-66b2",
	"LEAK_FILE":    "file-LEAKCHECK-secretfile-1b3e",
	"ADMIN":        "adm-LEAKCHECK-admintok-0b7d",
	"AM_BEARER":    "am-LEAKCHECK-bearer-91c2",
	"GENQ":         "genq-LEAKCHECK-qtok-22f8",
	"URLPASS":      "urlpass-LEAKCHECK-5c5c",
	"APIKEY":       "apikey-LEAKCHECK-q-7777",
	"HDR_BEARER":   "hbearer-LEAKCHECK-3131",
	"XAPIKEY":      "xapikey-LEAKCHECK-8d8d",
	"BODYTOK":      "bodytok-LEAKCHECK-4242",
	"DBPASS":       "dbpass-LEAKCHECK-9e9e",
	"ARGVPW":       "argvpw-LEAKCHECK-1010",
	"CLIENT_XKEY":  "clientxkey-LEAKCHECK-5151", // sent by a caller, not configured
	"CLIENT_QKEY":  "clientq-LEAKCHECK-6161",
	"CLIENT_ATOK":  "clientat-LEAKCHECK-7171",
	"CLIENT_COOKY": "cookie-LEAKCHECK-8181",
}

// leakConfig uses every kind of secret: ${VAR} values, a *_file, literal
// secret fields, URL userinfo, ?api_key=, credential headers, a JSON body
// field, shell argv and env, a DSN password, generic token sources (header
// and ?token=).
const leakConfig = `
sources:
  github: { provider: github, secret: "${LEAK_GH}" }
  alerts: { provider: alertmanager, bearer: "%AM_BEARER%" }
  gen-h: { provider: generic, verify: token, header: X-Webhook-Token, secret: "${LEAK_GENH}" }
  gen-q: { provider: generic, verify: token, query_param: token, secret: "%GENQ%" }
  gitlab: { provider: gitlab, secret_file: "%DIR%/gl.secret" }
rules:
  - name: notify
    source: github
    retry: { attempts: 1 }
    actions:
      - http:
          url: "http://user:%URLPASS%@%UPSTREAM%/fail?api_key=%APIKEY%&x=1"
          headers: { Authorization: "Bearer %HDR_BEARER%", X-Api-Key: "%XAPIKEY%" }
          body: '{"token": "%BODYTOK%", "ref": "{{ payload.ref }}"}'
  - name: script
    source: github
    retry: { attempts: 1 }
    actions:
      - shell:
          command: ["/bin/sh", "%DIR%/leak.sh", "--password", "%ARGVPW%", "${LEAK_ARGV}"]
          env: { API_TOKEN: "${LEAK_ENVTOK}", DATABASE_URL: "postgres://app:%DBPASS%@db.internal:5432/app" }
  - name: generic-h
    source: gen-h
    actions: [ { shell: { command: ["/bin/true"] } } ]
  - name: generic-q
    source: gen-q
    actions: [ { shell: { command: ["/bin/true"] } } ]
`

func leakFill(s, dir, upstream string) string {
	for k, v := range leakSecrets {
		s = strings.ReplaceAll(s, "%"+k+"%", v)
	}
	return strings.NewReplacer("%DIR%", dir, "%UPSTREAM%", upstream).Replace(s)
}

// TestNoSecretLeaks runs a scenario full of secrets against a real
// hookrunner and greps every way out: console pages, admin API, logs,
// metrics and the SQLite file. Nothing shows a secret; the signature
// header stays stored.
func TestNoSecretLeaks(t *testing.T) {
	for _, k := range []string{"LEAK_GH", "LEAK_GENH", "LEAK_ARGV", "LEAK_ENVTOK"} {
		t.Setenv(k, leakSecrets[k])
	}
	t.Setenv("HOOKRUNNER_ADMIN_TOKEN", leakSecrets["ADMIN"])
	// An upstream that fails and echoes what it was sent, so the error and
	// the output tail carry the URL, its ?api_key= and the credentials.
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		u, p, _ := r.BasicAuth()
		w.WriteHeader(500)
		fmt.Fprintf(w, "upstream down for %s?%s user=%s pass=%s x-api-key=%s body=%s\n", r.URL.Path, r.URL.RawQuery, u, p, r.Header.Get("X-Api-Key"), b)
	}))
	defer up.Close()

	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "gl.secret"), []byte(leakSecrets["LEAK_FILE"]+"\n"), 0o600)
	writeScript(t, dir, "leak.sh", `echo "args: $*"; echo "env: $API_TOKEN $DATABASE_URL" >&2; exit 3`)
	in := startIn(t, dir, leakFill(leakConfig, dir, strings.TrimPrefix(up.URL, "http://")), false)

	body := pushBody("refs/heads/main", "x")
	if code, _ := in.postGitHub(t, leakSecrets["LEAK_GH"], "push", "leak-1", body); code != 202 {
		t.Fatalf("github: %d", code)
	}
	in.postGitHub(t, "wrong-"+leakSecrets["LEAK_GH"], "push", "leak-2", body)
	post(t, in.pub+"/hooks/alerts", map[string]string{"Authorization": "Bearer " + leakSecrets["AM_BEARER"], "Content-Type": "application/json"}, []byte(`{"status":"firing","alerts":[]}`))
	if code, b := post(t, in.pub+"/hooks/gen-h?api_key="+leakSecrets["CLIENT_QKEY"], map[string]string{"X-Webhook-Token": leakSecrets["LEAK_GENH"],
		"X-Api-Key": leakSecrets["CLIENT_XKEY"], "Cookie": "session=" + leakSecrets["CLIENT_COOKY"], "Content-Type": "application/json"}, []byte(`{"a":1}`)); code != 202 {
		t.Fatalf("gen-h: %d %s", code, b)
	}
	if code, b := post(t, in.pub+"/hooks/gen-q?token="+leakSecrets["GENQ"]+"&access_token="+leakSecrets["CLIENT_ATOK"]+"&page=2", map[string]string{"Content-Type": "application/json"}, []byte(`{"a":2}`)); code != 202 {
		t.Fatalf("gen-q: %d %s", code, b)
	}

	// Refused, so kept on the Rejected page: its headers, query and body
	// carry secrets of the config and of the client.
	if code, b := post(t, in.pub+"/hooks/gen-h?api_key="+leakSecrets["CLIENT_QKEY"], map[string]string{"X-Webhook-Token": "not-" + leakSecrets["LEAK_GENH"],
		"X-Api-Key": leakSecrets["CLIENT_XKEY"], "Cookie": "session=" + leakSecrets["CLIENT_COOKY"], "Content-Type": "application/json"},
		[]byte(`{"token":"`+leakSecrets["LEAK_GENH"]+`","dsn":"postgres://u:`+leakSecrets["CLIENT_ATOK"]+`@db/x"}`)); code != 401 {
		t.Fatalf("gen-h with a wrong token: %d %s", code, b)
	}

	get := func(path string) string {
		req, _ := http.NewRequest("GET", in.adm+path, nil)
		req.Header.Set("Authorization", "Bearer "+leakSecrets["ADMIN"])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	waitFor(t, "both github runs to go dead", 10*time.Second, func() bool {
		s := get("/api/runs?state=dead")
		return strings.Contains(s, `"notify"`) && strings.Contains(s, `"script"`)
	})

	var out strings.Builder
	for _, p := range []string{"/api/config", "/api/events", "/api/runs", "/api/status", "/metrics", "/ui", "/ui/events", "/ui/runs", "/ui/runs?state=dead", "/ui/config", "/ui/rejected", "/api/rejected"} {
		out.WriteString(get(p))
	}
	var evs []struct {
		ID      string            `json:"id"`
		Source  string            `json:"source"`
		Headers map[string]string `json:"headers"`
		Query   string            `json:"query"`
	}
	getJSONAuth(t, get, "/api/events", &evs)
	for _, e := range evs {
		out.WriteString(get("/api/events/" + e.ID))
		out.WriteString(get("/ui/events/" + e.ID))
		switch e.Source {
		case "github":
			// A signature is not a secret: it stays stored for replay,
			// listen and forward.
			if e.Headers["x-hub-signature-256"] != ghSign(leakSecrets["LEAK_GH"], body) {
				t.Errorf("signature header not kept: %q", e.Headers["x-hub-signature-256"])
			}
		case "gen-h":
			if e.Headers["x-webhook-token"] != "[REDACTED]" || e.Headers["x-api-key"] != "[REDACTED]" || e.Headers["cookie"] != "[REDACTED]" || e.Query != "api_key=[REDACTED]" {
				t.Errorf("gen-h credentials stored: %q %q", e.Headers, e.Query)
			}
		case "gen-q":
			if e.Query != "token=[REDACTED]&access_token=[REDACTED]&page=2" {
				t.Errorf("gen-q query stored as %q", e.Query)
			}
		}
	}
	var runs []struct {
		ID string `json:"id"`
	}
	getJSONAuth(t, get, "/api/runs", &runs)
	for _, r := range runs {
		out.WriteString(get("/api/runs/" + r.ID))
		out.WriteString(get("/ui/runs/" + r.ID))
	}
	all := out.String()
	if !strings.Contains(all, `"path":"/hooks/gen-h?api_key=[REDACTED]"`) {
		t.Fatal("the refused gen-h request is not on the Rejected list")
	}
	if !strings.Contains(all, "[REDACTED]") || !strings.Contains(all, "upstream down") || !strings.Contains(all, "args: --password") {
		t.Fatalf("the scan saw nothing: the outputs were not collected\n%s", all)
	}
	all += in.logs.String()
	// The store: the database file and its write-ahead log as they are.
	for _, suffix := range []string{"", "-wal", "-shm"} {
		b, _ := os.ReadFile(filepath.Join(dir, "hr.db") + suffix)
		all += string(b)
	}
	for name, s := range leakSecrets {
		if i := strings.Index(all, s); i >= 0 {
			t.Errorf("secret %s (%s) leaked: …%s…", name, s, all[max(0, i-160):min(len(all), i+40)])
		}
	}
}

func getJSONAuth(t *testing.T, get func(string) string, path string, v any) {
	t.Helper()
	if err := jsonUnmarshal(get(path), v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
