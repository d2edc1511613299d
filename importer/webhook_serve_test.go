package importer_test

import (
	"context"
	"crypto/hmac"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/app"
	"github.com/hookrunner/hookrunner/importer"
	"github.com/hookrunner/hookrunner/internal/syncbuf"
)

// These tests import adnanh/webhook configs written for them, serve what
// the importer makes of them with the real app on 127.0.0.1, send requests
// the way adnanh's users' senders do, and check what a real child process
// received (argv, HOOK_* environment, stdin), whether it ran, and the HTTP
// answer.

// dumpScript is the command every hook runs (bash, which passes on
// variables named as no shell variable can be, HOOK_a.b; dash drops them): it records its argv, its
// HOOK_* variables and its stdin in a new directory under dir, answers as
// adnanh's test helper does ("arg: ..." then "env: ..."), and exits with
// the code of an "exit=N" first argument.
const dumpScript = `#!/bin/bash
d=$(mktemp -d "%s/run.XXXXXX") || exit 99
for a in "$@"; do printf '%%s\0' "$a"; done > "$d/argv"
env -0 > "$d/env"
cat > "$d/stdin"
: > "$d/done"
[ $# -gt 0 ] && echo "arg: $*"
vars=$(env | grep '^HOOK_' | sort | tr '\n' ' ')
[ -n "$vars" ] && echo "env: ${vars%% }"
case "$1" in exit=*) exit "${1#exit=}";; esac
exit 0
`

// served is hookrunner serving an imported config.
type served struct {
	pub, adm string
	runs     string // where the dump script writes
	logs     *syncbuf.Buffer
	seen     map[string]bool
}

// serveWebhook imports hooks (a hooks.json or hooks.yaml whose commands
// are %CMD%) and serves the result.
func serveWebhook(t *testing.T, hooks string) *served {
	t.Helper()
	dir := t.TempDir()
	s := &served{runs: filepath.Join(dir, "runs"), logs: &syncbuf.Buffer{}, seen: map[string]bool{}}
	if err := os.Mkdir(s.runs, 0o700); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "dump.sh")
	if err := os.WriteFile(script, []byte(fmt.Sprintf(dumpScript, s.runs)), 0o700); err != nil {
		t.Fatal(err)
	}
	res, err := importer.FromWebhook([]byte(strings.ReplaceAll(hooks, "%CMD%", script)))
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	cfg := fmt.Sprintf("server: { listen: \"127.0.0.1:0\" }\nadmin: { listen: \"127.0.0.1:0\" }\nrunner: { poll_interval: 50ms }\nstore: { driver: sqlite, dsn: %q }\n%s",
		filepath.Join(dir, "hr.db"), res.YAML)
	cfgPath := filepath.Join(dir, "hooks.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	ready := make(chan struct{})
	go func() {
		done <- app.Run(ctx, app.Options{ConfigPath: cfgPath, LogOutput: s.logs,
			Ready: func(p, a string) { s.pub, s.adm = "http://"+p, "http://"+a; close(ready) }})
	}()
	select {
	case <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("hookrunner did not start: %v\n%s\n%s", err, s.logs, cfg)
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatal("hookrunner did not start in 10s")
	}
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("hookrunner did not stop in 30s")
		}
		if t.Failed() {
			t.Logf("config:\n%s\nlogs:\n%s", cfg, s.logs)
		}
	})
	return s
}

// answer is an HTTP answer.
type answer struct {
	status int
	body   string
	header http.Header
}

func (s *served) post(t *testing.T, path, contentType, body string, headers map[string]string) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.pub+"/hooks/"+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, string(b), resp.Header}
}

// run is what one child process received.
type run struct {
	argv  []string
	env   map[string]string // HOOK_* only
	stdin string
}

// newRuns reads the runs recorded since the last call.
func (s *served) newRuns(t *testing.T) []run {
	t.Helper()
	entries, err := os.ReadDir(s.runs)
	if err != nil {
		t.Fatal(err)
	}
	var out []run
	for _, e := range entries {
		if s.seen[e.Name()] {
			continue
		}
		d := filepath.Join(s.runs, e.Name())
		// The script writes stdin last; a run is read once its command
		// has exited (an empty stdin file exists from the start).
		if _, err := os.Stat(filepath.Join(d, "done")); err != nil {
			continue
		}
		stdin, _ := os.ReadFile(filepath.Join(d, "stdin"))
		argv, _ := os.ReadFile(filepath.Join(d, "argv"))
		envb, _ := os.ReadFile(filepath.Join(d, "env"))
		r := run{env: map[string]string{}, stdin: string(stdin)}
		parts := strings.Split(string(argv), "\x00")
		r.argv = parts[:len(parts)-1] // nothing after the last NUL
		for _, kv := range strings.Split(string(envb), "\x00") {
			if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "HOOK_") {
				r.env[k] = v
			}
		}
		s.seen[e.Name()] = true
		out = append(out, r)
	}
	return out
}

// waitRun polls until one new run is recorded (failing at the deadline)
// and returns it.
func (s *served) waitRun(t *testing.T) run {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if rs := s.newRuns(t); len(rs) > 0 {
			if len(rs) > 1 {
				t.Fatalf("%d runs, want one: %v", len(rs), rs)
			}
			return rs[0]
		}
		if time.Now().After(deadline) {
			t.Fatal("no run recorded in 10s")
		}
		time.Sleep(20 * time.Millisecond) // polling interval, bounded by the deadline
	}
}

// runState reads a run's state and attempts from the admin API.
func (s *served) runState(t *testing.T, id string) (string, int) {
	t.Helper()
	resp, err := http.Get(s.adm + "/api/runs/" + id)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var d struct {
		Run      map[string]any   `json:"run"`
		Attempts []map[string]any `json:"attempts"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
		t.Fatal(err)
	}
	state, _ := d.Run["state"].(string)
	return state, len(d.Attempts)
}

func hmacHex(h func() hash.Hash, secret, body string) string {
	m := hmac.New(h, []byte(secret))
	m.Write([]byte(body))
	return hex.EncodeToString(m.Sum(nil))
}
