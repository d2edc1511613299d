package app_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/app"
	"github.com/hookrunner/hookrunner/config"
	"github.com/hookrunner/hookrunner/engine"
	"github.com/hookrunner/hookrunner/ruleset"
)

// `hookrunner events --config other/hooks.yaml` run from elsewhere opens
// the database beside the config (store.dsn relative to its folder), not
// a stray one in the working directory; a file: URI with parameters too.
func TestStoreBesideConfig(t *testing.T) {
	root := t.TempDir()
	other := filepath.Join(root, "other")
	work := filepath.Join(root, "work")
	os.MkdirAll(other, 0o755)
	os.MkdirAll(work, 0o755)
	t.Chdir(work)
	for _, tt := range []struct{ name, store, file string }{
		{"default dsn", "", "hookrunner.db"},
		{"relative dsn", "store: { dsn: data/events.db }\n", "data/events.db"},
		{"file URI with parameters", "store: { dsn: \"file:data/uri.db?_pragma=cache_size(-4000)\" }\n", "data/uri.db"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := "sources:\n  github: { provider: github, secret: gh-test-secret }\n" + tt.store
			if err := os.WriteFile(filepath.Join(other, "hooks.yaml"), []byte(cfg), 0o600); err != nil {
				t.Fatal(err)
			}
			snap, err := ruleset.Load("../other/hooks.yaml")
			if err != nil {
				t.Fatal(err)
			}
			st, _, err := app.OpenStore(context.Background(), snap.Config.Store, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			st.Close()
			if _, err := os.Stat(filepath.Join(other, tt.file)); err != nil {
				t.Errorf("database not beside the config: %v", err)
			}
			entries, _ := os.ReadDir(work)
			for _, e := range entries {
				t.Errorf("stray file in the working directory: %s", e.Name())
			}
		})
	}
}

// durationKey names a log attribute that holds a time span.
var durationKey = regexp.MustCompile(`(^|_)(duration|grace|elapsed|took|timeout|backoff|lease|retry_in|retry_after|wait|delay|every)(_|$)`)

// JSON logs give durations in seconds (floats under a key ending in _s),
// never in integer nanoseconds. The run's whole life is logged: start,
// the run succeeding, the shutdown with its grace period.
func TestJSONLogDurationsInSeconds(t *testing.T) {
	dir := t.TempDir()
	writeScript(t, dir, "deploy.sh", "exit 0\n")
	body := strings.Replace(header, "log: { level: debug }", "log: { level: debug, format: json }", 1) +
		"store: { driver: sqlite, dsn: \"" + filepath.Join(dir, "hr.db") + "\" }\n" + strings.ReplaceAll(deployConfig, "%DIR%", dir)
	if err := os.WriteFile(filepath.Join(dir, "hooks.yaml"), []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	in := startExisting(t, dir, false)
	in.postGitHub(t, "gh-test-secret", "push", "j-1", pushBody("refs/heads/main", "abc"))
	waitFor(t, "the run to succeed", 10*time.Second, func() bool { return strings.Contains(in.logs.String(), `"msg":"run succeeded"`) })
	in.stop(t)

	sawRun, sawGrace := false, false
	sc := bufio.NewScanner(strings.NewReader(in.logs.String()))
	for sc.Scan() {
		line := sc.Bytes()
		var rec map[string]any
		if err := json.Unmarshal(line, &rec); err != nil {
			t.Fatalf("not a JSON log line: %s", line)
		}
		for k, v := range rec {
			if !durationKey.MatchString(k) {
				continue
			}
			if !strings.HasSuffix(k, "_s") && !strings.HasSuffix(k, "_ms") {
				t.Errorf("%q: duration key %q is not in seconds (_s) or milliseconds (_ms): %s", rec["msg"], k, line)
			}
			if f, ok := v.(float64); ok && f >= 1e6 && strings.HasSuffix(k, "_s") {
				t.Errorf("%q: %s = %v looks like nanoseconds", rec["msg"], k, f)
			}
		}
		switch rec["msg"] {
		case "run succeeded":
			f, ok := rec["duration_s"].(float64)
			sawRun = ok && f >= 0 && f < 60
		case "shutting down: no new requests; running actions get the grace period":
			sawGrace = rec["grace_s"] == 30.0
		}
	}
	if !sawRun || !sawGrace {
		t.Fatalf("run succeeded with duration_s: %v; shutdown with grace_s 30: %v\n%s", sawRun, sawGrace, in.logs.String())
	}
}

// A duration logged by any call site, even one that forgets, comes out as
// seconds: the logger converts every duration attribute.
func TestLoggerConvertsEveryDuration(t *testing.T) {
	var buf strings.Builder
	log := app.NewLogger(config.Log{Level: "info", Format: "json"}, &buf, nil)
	log.Info("x", "lease", 1500*time.Millisecond, "took_s", 2*time.Second, "n", 3)
	var rec map[string]any
	if err := json.Unmarshal([]byte(buf.String()), &rec); err != nil {
		t.Fatal(err)
	}
	if rec["lease_s"] != 1.5 || rec["took_s"] != 2.0 || rec["n"] != 3.0 || rec["lease"] != nil {
		t.Fatalf("log line: %s", buf.String())
	}
}

// /metrics carries hookrunner_build_info = 1 with the version, Go version
// and revision of the binary.
func TestBuildInfoMetric(t *testing.T) {
	dir := t.TempDir()
	body := header + "store: { driver: sqlite, dsn: \"" + filepath.Join(dir, "hr.db") + "\" }\nsources:\n  github: { provider: github, secret: gh-test-secret }\n"
	os.WriteFile(filepath.Join(dir, "hooks.yaml"), []byte(body), 0o600)
	ready := make(chan string, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- app.Run(ctx, app.Options{ConfigPath: filepath.Join(dir, "hooks.yaml"), LogOutput: io.Discard,
			Build: engine.BuildInfo{Version: "v1.2.3", Revision: "0123abc"}, Ready: func(_, a string) { ready <- a }})
	}()
	defer func() { cancel(); <-done }()
	var adm string
	select {
	case adm = <-ready:
	case err := <-done:
		t.Fatalf("did not start: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("did not start in 10s")
	}
	resp, err := http.Get("http://" + adm + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	want := `hookrunner_build_info{goversion="` + runtime.Version() + `",revision="0123abc",version="v1.2.3"} 1`
	if !strings.Contains(string(b), want) {
		t.Fatalf("metrics lack %s", want)
	}
}
