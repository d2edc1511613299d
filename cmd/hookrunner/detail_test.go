package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/app"
	"github.com/hookrunner/hookrunner/engine"
	"github.com/hookrunner/hookrunner/server"
	"github.com/hookrunner/hookrunner/store"
)

// startServer runs hookrunner in-process on cfg until the test ends and
// returns its public and admin addresses.
func startServer(t *testing.T, cfg string) (pub, adm string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan [2]string, 1)
	done := make(chan error, 1)
	go func() {
		done <- app.Run(ctx, app.Options{ConfigPath: cfg, LogOutput: io.Discard, Ready: func(p, a string) { ready <- [2]string{p, a} }})
	}()
	select {
	case a := <-ready:
		t.Cleanup(func() { cancel(); <-done })
		return a[0], a[1]
	case err := <-done:
		cancel()
		t.Fatalf("app: %v", err)
	case <-time.After(20 * time.Second):
		cancel()
		t.Fatal("the server did not start")
	}
	return "", ""
}

// `runs ID` and `events ID` print a readable, redacted detail; --json
// prints the same as JSON and nothing else; in store and server mode.
// `replay --rule` of a rule not in force fails naming the known rules.
func TestRunsAndEventsDetail(t *testing.T) {
	const secret = "detail-SECRET-7a7a"
	t.Setenv("DETAIL_SECRET", secret)
	dir := t.TempDir()
	cfg := writeFile(t, dir, "hooks.yaml", fmt.Sprintf(`
server: { listen: "127.0.0.1:0" }
admin: { listen: "127.0.0.1:0" }
runner: { poll_interval: 50ms }
store: { dsn: %q }
sources:
  github: { provider: github, secret: "${DETAIL_SECRET}" }
rules:
  - name: deploy
    source: github
    events: [push]
    retry: { attempts: 1 }
    actions:
      - shell: { command: ["/bin/sh", "-c", "echo building $1; echo token ${DETAIL_SECRET} >&2; exit 3", "sh", "{{ payload.ref }}"] }
  - name: on-release
    source: github
    events: [release]
    actions: [ { shell: { command: ["/bin/true"] } } ]
`, filepath.Join(dir, "hr.db")))
	pub, adm := startServer(t, cfg)

	out, code := runCmd(t, "send", "--config", cfg, "--source", "github", "--url", "http://"+pub+"/hooks/github")
	if code != 0 || !strings.Contains(out, `"matched":["deploy"]`) || !strings.Contains(out, "(github, event push, ") {
		t.Fatalf("send (no --event: push): exit %d\n%s", code, out)
	}
	var run *store.Run
	deadline := time.Now().Add(15 * time.Second)
	for run == nil || run.State != store.Dead {
		stdout, _, _ := runSplit("runs", "--config", cfg, "--json")
		var rs []*store.Run
		if err := json.Unmarshal([]byte(stdout), &rs); err != nil {
			t.Fatalf("runs --json is not JSON: %v\n%s", err, stdout)
		}
		if len(rs) == 1 {
			run = rs[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("the run did not go dead: %+v", run)
		}
		time.Sleep(50 * time.Millisecond)
	}

	for _, mode := range [][]string{{"--config", cfg}, {"--server", "http://" + adm}} {
		t.Run(mode[0], func(t *testing.T) {
			stdout, stderr, code := runSplit(append([]string{"runs", run.ID}, mode...)...)
			if code != 0 {
				t.Fatalf("runs ID: exit %d: %s", code, stderr)
			}
			for _, want := range []string{
				"id:              " + run.ID + "\n", "rule:            deploy\n", "event:           " + run.EventID + "\n",
				"state:           dead\n", "attempt:         1\n", "exit code:       3\n", "output:          ",
				"config revision: ", " (in force)\n", "attempts:\n  #1 step 0  ", "  failed  exit 3\n", "token [REDACTED]",
			} {
				if !strings.Contains(stdout, want) {
					t.Errorf("runs ID lacks %q:\n%s", want, stdout)
				}
			}
			stdout, _, code = runSplit(append([]string{"runs", run.ID, "--json"}, mode...)...)
			var rd server.RunDetail
			if err := json.Unmarshal([]byte(stdout), &rd); err != nil || code != 0 || rd.Run.ID != run.ID || len(rd.Attempts) != 1 || rd.Revision == nil {
				t.Fatalf("runs ID --json: exit %d, %v\n%s", code, err, stdout)
			}

			stdout, stderr, code = runSplit(append([]string{"events", run.EventID}, mode...)...)
			if code != 0 {
				t.Fatalf("events ID: exit %d: %s", code, stderr)
			}
			for _, want := range []string{
				"id:           " + run.EventID + "\n", "source:       github (provider github)\n", "event:        push\n",
				"verification: ", "matched:      deploy\n", "headers:\n", "  x-github-event: push\n", "  user-agent: hookrunner-send\n",
				"payload:\n  {\n", `"ref": "refs/heads/main"`, "runs:\n  " + run.ID, "dead", "rules (config in force):\n",
				"  MATCH     deploy — ", "  NO MATCH  on-release — ",
			} {
				if !strings.Contains(stdout, want) {
					t.Errorf("events ID lacks %q:\n%s", want, stdout)
				}
			}
			stdout, _, code = runSplit(append([]string{"events", run.EventID, "--json"}, mode...)...)
			var ed engine.EventDetail
			if err := json.Unmarshal([]byte(stdout), &ed); err != nil || code != 0 || ed.Event.ID != run.EventID || len(ed.Runs) != 1 {
				t.Fatalf("events ID --json: exit %d, %v\n%s", code, err, stdout)
			}
			stdout, _, code = runSplit(append([]string{"events", "--json"}, mode...)...)
			var evs []*store.Event
			if err := json.Unmarshal([]byte(stdout), &evs); err != nil || code != 0 || len(evs) != 1 {
				t.Fatalf("events --json: exit %d, %v\n%s", code, err, stdout)
			}
			if stdout, _, _ := runSplit(append([]string{"events"}, mode...)...); !strings.HasPrefix(stdout, "RECEIVED") || !strings.Contains(stdout, run.EventID) {
				t.Fatalf("events list:\n%s", stdout)
			}

			stdout, stderr, code = runSplit(append([]string{"replay", "--rule", "deploi"}, mode...)...)
			if code != 1 || !strings.Contains(stderr, `unknown rule "deploi" (did you mean "deploy"?); the rules in force are: deploy, on-release`) {
				t.Fatalf("replay --rule deploi: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
			}
			if stdout, stderr, code := runSplit(append([]string{"runs", "no-such-run"}, mode...)...); code != 1 || !strings.Contains(stderr, "not found") {
				t.Fatalf("runs no-such-run: exit %d\n%s%s", code, stdout, stderr)
			}
		})
	}
	// The dead run replays by its rule.
	out, code = runCmd(t, "replay", "--config", cfg, "--rule", "deploy")
	if code != 0 || !strings.Contains(out, "queued run ") || !strings.Contains(out, "(rule deploy, event "+run.EventID) {
		t.Fatalf("replay --rule deploy: exit %d\n%s", code, out)
	}
}

// `health --config` asks the admin listener the config names.
func TestHealthConfig(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	adm := l.Addr().String()
	l.Close()
	dir := t.TempDir()
	cfg := writeFile(t, dir, "hooks.yaml", fmt.Sprintf(`
server: { listen: "127.0.0.1:0" }
admin: { listen: %q }
store: { dsn: %q }
sources:
  s: { provider: generic, verify: none }
`, adm, filepath.Join(dir, "hr.db")))
	if out, code := runCmd(t, "health", "--config", cfg); code != 1 || !strings.Contains(out, "http://"+adm+"/readyz") {
		t.Fatalf("health before the server: exit %d\n%s", code, out)
	}
	startServer(t, cfg)
	if out, code := runCmd(t, "health", "--config", cfg); code != 0 || out != "ready\n" {
		t.Fatalf("health --config: exit %d\n%s", code, out)
	}
	if out, code := runCmd(t, "health", "--url", "http://"+adm+"/readyz"); code != 0 || out != "ready\n" {
		t.Fatalf("health --url: exit %d\n%s", code, out)
	}
	if out, code := runCmd(t, "health", "--config", filepath.Join(dir, "none.yaml")); code != 1 || !strings.Contains(out, "none.yaml") {
		t.Fatalf("health --config missing: exit %d\n%s", code, out)
	}
}
