package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const goodConfig = `
server: { listen: "127.0.0.1:0" }
admin: { listen: "127.0.0.1:0" }
sources:
  github: { provider: github, secret: "s" }
rules:
  - name: deploy
    source: github
    events: [push]
    if: payload.ref == "refs/heads/main"
    actions:
      - shell: { command: ["/bin/true"] }
`

func TestValidate(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600)
	}
	write("good.yaml", goodConfig)
	out, code := runCLI(t, dir, "validate", "--config", "good.yaml")
	if code != 0 || !strings.Contains(out, "OK") || !strings.Contains(out, "1 sources") || !strings.Contains(out, "deploy") {
		t.Fatalf("validate good: %d\n%s", code, out)
	}
	write("typo.yaml", strings.Replace(goodConfig, "if:", "trigger_rule:", 1))
	out, code = runCLI(t, dir, "validate", "--config", "typo.yaml")
	if code != 1 || !strings.Contains(out, `typo.yaml:10: rules[0] (deploy).trigger_rule: unknown key (did you mean "if"?)`) {
		t.Fatalf("validate typo: %d\n%s", code, out)
	}
	write("provider.yaml", strings.Replace(goodConfig, "provider: github", "provider: githbu", 1)+"\n  - name: x\n    source: nowhere\n    actions: [ { shel: {} } ]\n")
	out, code = runCLI(t, dir, "validate", "--config", "provider.yaml")
	for _, want := range []string{`provider.yaml:5: sources.github.provider: unknown provider "githbu" (did you mean "github"?)`, `provider.yaml:15: rules[1] (x).source: unknown source "nowhere"`} {
		if code != 1 || !strings.Contains(out, want) {
			t.Errorf("validate provider: %d, want %q in\n%s", code, want, out)
		}
	}
	write("expr.yaml", strings.Replace(goodConfig, `payload.ref == "refs/heads/main"`, `payload.ref ==`, 1))
	out, code = runCLI(t, dir, "validate", "--config", "expr.yaml")
	if code != 1 || !strings.Contains(out, "expr.yaml:10: rules[0] (deploy).if: compile") {
		t.Fatalf("validate expr: %d\n%s", code, out)
	}
	write("action.yaml", strings.Replace(goodConfig, "shell:", "shel:", 1))
	out, code = runCLI(t, dir, "validate", "--config", "action.yaml")
	if code != 1 || !strings.Contains(out, `action.yaml:12: rules[0] (deploy).actions[0]: unknown action type "shel" (did you mean "shell"?)`) {
		t.Fatalf("validate action: %d\n%s", code, out)
	}
	// What this machine lacks: a program missing beside the config is an
	// error (exit 1); a folder that a deploy may still create, a warning
	// (printed, exit 0).
	write("missing.yaml", strings.Replace(goodConfig, `["/bin/true"]`, `["./deploy.sh"]`, 1))
	out, code = runCLI(t, dir, "validate", "--config", "missing.yaml")
	if code != 1 || !strings.Contains(out, "missing.yaml:12: rules[0] (deploy).actions[0].shell.command[0]: "+filepath.Join(dir, "deploy.sh")+": no such file") {
		t.Fatalf("validate missing program: %d\n%s", code, out)
	}
	write("later.yaml", strings.Replace(goodConfig, `["/bin/true"]`, `["/srv/hookrunner-e2e-later/deploy.sh"]`, 1))
	out, code = runCLI(t, dir, "validate", "--config", "later.yaml")
	if code != 0 || !strings.Contains(out, "warning: later.yaml:12: rules[0] (deploy).actions[0].shell.command[0]: /srv/hookrunner-e2e-later/deploy.sh: its folder /srv/hookrunner-e2e-later does not exist (yet)") || !strings.Contains(out, "OK") {
		t.Fatalf("validate program to come: %d\n%s", code, out)
	}
	// serve refuses the same file, naming the key, and exits 1.
	out, code = runCLI(t, dir, "serve", "--config", "typo.yaml")
	if code != 1 || !strings.Contains(out, "typo.yaml:10: rules[0] (deploy).trigger_rule") {
		t.Fatalf("serve typo: %d\n%s", code, out)
	}
	out, code = runCLI(t, dir, "version")
	if code != 0 || !strings.HasPrefix(out, "hookrunner ") {
		t.Fatalf("version: %s", out)
	}
}

// SIGTERM stops accepting, lets running actions finish within the grace
// period, then kills their process groups: no orphan survives.
func TestSigtermKillsProcessGroupsAfterGrace(t *testing.T) {
	dir := t.TempDir()
	addr := freePort(t)
	pidFile := filepath.Join(dir, "child.pid")
	os.WriteFile(filepath.Join(dir, "slow.sh"), []byte("#!/bin/sh\n(trap '' TERM; sleep 300) &\necho $! > "+pidFile+"\nsleep 300\n"), 0o755)
	cfg := fmt.Sprintf(`
server: { listen: %q, shutdown_grace: 1s }
admin: { listen: %q }
store: { dsn: hr.db }
runner: { poll_interval: 50ms }
sources:
  hook: { provider: generic, verify: none }
rules:
  - name: slow
    source: hook
    actions:
      - shell: { command: ["%s/slow.sh"], kill_grace: 300ms }
`, addr, freePort(t), dir)
	os.WriteFile(filepath.Join(dir, "hooks.yaml"), []byte(cfg), 0o600)
	p := startProc(t, dir, "hooks.yaml", addr)
	resp, err := http.Post("http://"+addr+"/hooks/hook", "application/json", strings.NewReader(`{}`))
	if err != nil || resp.StatusCode != 202 {
		t.Fatalf("post: %v", err)
	}
	drain(resp)
	var pid int
	waitUntil(t, "the action to start", 10*time.Second, func() bool {
		b, _ := os.ReadFile(pidFile)
		pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		return pid != 0
	})
	start := time.Now()
	p.term(t)
	if d := time.Since(start); d > 20*time.Second {
		t.Fatalf("shutdown took %s", d)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil || strings.Fields(string(b))[2] == "Z" {
			break
		}
		if time.Now().After(deadline) {
			exec.Command("kill", "-9", strconv.Itoa(pid)).Run()
			t.Fatalf("child %d outlived hookrunner's shutdown:\n%s", pid, p.logs)
		}
		time.Sleep(20 * time.Millisecond) // bounded poll; on timeout it kills the child itself
	}
	if !strings.Contains(p.logs.String(), "grace period over") {
		t.Errorf("logs do not mention the grace period:\n%s", p.logs)
	}
	// The interrupted run is kept for the next start, pending, without
	// having spent an attempt.
	out, _ := runCLI(t, dir, "runs", "--config", "hooks.yaml")
	if !strings.Contains(out, "pending") || !strings.Contains(out, "interrupted by shutdown") {
		t.Errorf("interrupted run not kept as pending (interrupted by shutdown):\n%s", out)
	}
}

func TestSIGHUPReloads(t *testing.T) {
	dir := t.TempDir()
	addr, adm := freePort(t), freePort(t)
	cfg := func(rule string) string {
		return fmt.Sprintf(`
server: { listen: %q }
admin: { listen: %q }
store: { dsn: hr.db }
sources:
  hook: { provider: generic, verify: none }
rules:
  - name: %s
    source: hook
    actions: [ { shell: { command: ["/bin/true"] } } ]
`, addr, adm, rule)
	}
	os.WriteFile(filepath.Join(dir, "hooks.yaml"), []byte(cfg("before")), 0o600)
	p := startProc(t, dir, "hooks.yaml", addr, "--watch=false")
	defer p.term(t)
	post := func() string {
		resp, err := http.Post("http://"+addr+"/hooks/hook", "application/json", strings.NewReader(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		return drain(resp)
	}
	// A watcher is started, and says so, before "hookrunner serving": with
	// --watch=false none was, so the write below cannot reload by itself.
	waitUntil(t, "the serving log line", 10*time.Second, func() bool { return strings.Contains(p.logs.String(), "hookrunner serving") })
	if strings.Contains(p.logs.String(), "watching config for changes") {
		t.Fatalf("a config watcher was started with --watch=false:\n%s", p.logs)
	}
	os.WriteFile(filepath.Join(dir, "hooks.yaml"), []byte(cfg("after")), 0o600)
	if got := post(); !strings.Contains(got, `"before"`) {
		t.Fatalf("reloaded with --watch=false before SIGHUP: %s", got)
	}
	p.cmd.Process.Signal(syscall.SIGHUP)
	waitUntil(t, "SIGHUP to reload", 5*time.Second, func() bool { return strings.Contains(post(), `"after"`) })
	// The CLI talks to the running server through the admin API.
	out, code := runCLI(t, dir, "events", "--server", "http://"+adm, "--source", "hook")
	if code != 0 || strings.Count(out, "\n") < 3 || !strings.Contains(out, "hook") {
		t.Fatalf("events --server: %d\n%s", code, out)
	}
	out, code = runCLI(t, dir, "runs", "--server", "http://"+adm)
	if code != 0 || !strings.Contains(out, "RULE") {
		t.Fatalf("runs --server: %d\n%s", code, out)
	}
	// A run is found by its short id, through the server and in the store.
	resp, err := http.Get("http://" + adm + "/api/runs")
	if err != nil {
		t.Fatal(err)
	}
	var runs []struct {
		ID string `json:"id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&runs); err != nil || len(runs) == 0 {
		t.Fatalf("/api/runs: %v %d", err, len(runs))
	}
	resp.Body.Close()
	full := runs[0].ID
	for _, where := range [][]string{{"--server", "http://" + adm}, {"--config", "hooks.yaml"}} {
		out, code := runCLI(t, dir, append([]string{"runs", full[len(full)-8:]}, where...)...)
		if code != 0 || !strings.Contains(out, full) {
			t.Fatalf("runs <short id> %s: %d\n%s", where[0], code, out)
		}
	}
}

// `hookrunner events --config ../other/hooks.yaml` run from another folder
// reads the database beside the config (store.dsn is relative to it) and
// leaves no stray database where it was started.
func TestEventsWithConfigElsewhere(t *testing.T) {
	root := t.TempDir()
	other, work := filepath.Join(root, "other"), filepath.Join(root, "work")
	os.MkdirAll(other, 0o755)
	os.MkdirAll(work, 0o755)
	os.WriteFile(filepath.Join(other, "hooks.yaml"), []byte(strings.Replace(goodConfig, "server:", "store: { dsn: data/events.db }\nserver:", 1)), 0o600)
	out, code := runCLI(t, work, "events", "--config", "../other/hooks.yaml")
	if code != 0 {
		t.Fatalf("events: %d\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(other, "data", "events.db")); err != nil {
		t.Errorf("database not beside the config: %v", err)
	}
	if entries, _ := os.ReadDir(work); len(entries) != 0 {
		t.Errorf("stray files where hookrunner was started: %v", entries)
	}
}
