package shell_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/actions"
	_ "github.com/hookrunner/hookrunner/actions/shell"
	"github.com/hookrunner/hookrunner/config"
	"github.com/hookrunner/hookrunner/expression"
	"github.com/hookrunner/hookrunner/internal/procgroup"
)

func build(t *testing.T, kind string, raw map[string]any) actions.Action {
	t.Helper()
	a, err := actions.Build(kind, actions.BuildContext{Decode: func(v any) error { return config.Decode(raw, v) }, Dir: t.TempDir(), Rule: "r"})
	if err != nil {
		t.Fatalf("build %s: %v", kind, err)
	}
	return a
}

func inv(payload map[string]any) *actions.Invocation {
	return &actions.Invocation{Env: &expression.Env{ID: "ev1", Source: "github", Event: "push", Rule: "r", RunID: "run1", Attempt: 1, Payload: payload,
		Headers: map[string]string{"content-type": "application/json"}}, Body: []byte(`{"raw":true}`), OutputLimit: 1024}
}

func TestShellArgvIsLiteral(t *testing.T) {
	dir := t.TempDir()
	pwned := filepath.Join(dir, "pwned")
	out := filepath.Join(dir, "args")
	evil := "$(touch " + pwned + "); rm -rf `touch " + pwned + "` | touch " + pwned + " && echo"
	script := filepath.Join(dir, "print-args.sh")
	os.WriteFile(script, []byte("#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > \""+out+"\"\necho \"n=$#\"\n"), 0o755)
	a := build(t, "shell", map[string]any{"command": []any{script, "{{ payload.evil }}", "second"}})
	res, err := a.Run(context.Background(), inv(map[string]any{"evil": evil}))
	if err != nil {
		t.Fatalf("run: %v (%s)", err, res.Output)
	}
	got, _ := os.ReadFile(out)
	if string(got) != evil+"\nsecond\n" || !strings.Contains(res.Output, "n=2") {
		t.Fatalf("argv = %q, output %q", got, res.Output)
	}
	if _, err := os.Stat(pwned); err == nil {
		t.Fatal("payload was executed")
	}
}

func TestShellRefusesTemplatesInShellScripts(t *testing.T) {
	_, err := actions.Build("shell", actions.BuildContext{Decode: func(v any) error {
		return config.Decode(map[string]any{"command": []any{"/bin/bash", "-c", "deploy {{ payload.ref }}"}}, v)
	}})
	if err == nil || !strings.Contains(err.Error(), `command[2]: "deploy {{ payload.ref }}" would be read as code by bash -c; pass the value as a positional argument after the script (["/bin/bash","-c","deploy \"$1\"","bash","{{ payload.ref }}"]) or through env:`) {
		t.Fatalf("err = %v", err)
	}
	_, err = actions.Build("shell", actions.BuildContext{Decode: func(v any) error {
		return config.Decode(map[string]any{"command": "/bin/echo hi"}, v)
	}})
	if err == nil {
		t.Fatal("a command string (not a list) was accepted")
	}
	_, err = actions.Build("shell", actions.BuildContext{Decode: func(v any) error {
		return config.Decode(map[string]any{"command": []any{"/bin/true"}, "timeuot": "1s"}, v)
	}})
	if err == nil || !strings.Contains(err.Error(), `timeuot: unknown key (did you mean "timeout"?)`) {
		t.Fatalf("unknown key: %v", err)
	}
}

func TestShellCleanEnvironment(t *testing.T) {
	t.Setenv("HOOKRUNNER_ADMIN_TOKEN", "super-secret-token")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "aws-secret")
	a := build(t, "shell", map[string]any{"command": []any{"/usr/bin/env"}, "env": map[string]any{"REF": "{{ payload.ref }}"}})
	res, err := a.Run(context.Background(), inv(map[string]any{"ref": "refs/heads/main"}))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"PATH=", "HOME=", "HOOKRUNNER_EVENT_ID=ev1", "HOOKRUNNER_RULE=r", "HOOKRUNNER_RUN_ID=run1", "HOOKRUNNER_SOURCE=github", "REF=refs/heads/main"} {
		if !strings.Contains(res.Output, want) {
			t.Errorf("env lacks %s:\n%s", want, res.Output)
		}
	}
	// The identity of this hookrunner, by which a restart finds the group
	// if it dies before recording it (env: may not set HOOKRUNNER_ names).
	owner := procgroup.OwnerEnv()
	if owner == "" {
		t.Skip("no process identity here (not Linux)")
	}
	if strings.Count(res.Output, procgroup.OwnerVar+"=") != 1 || !strings.Contains(res.Output, owner+"\n") {
		t.Errorf("env has not exactly %s:\n%s", owner, res.Output)
	}
	for _, leak := range []string{"super-secret-token", "aws-secret"} {
		if strings.Contains(res.Output, leak) {
			t.Errorf("child inherited %s", leak)
		}
	}
}

func TestShellFailureAndOutputCap(t *testing.T) {
	a := build(t, "shell", map[string]any{"command": []any{"/bin/sh", "-c", "yes 0123456789 | head -c 100000; echo tail-marker; exit 3"}})
	res, err := a.Run(context.Background(), inv(nil))
	if err == nil || !strings.Contains(err.Error(), "exit status 3") || res.ExitCode == nil || *res.ExitCode != 3 {
		t.Fatalf("err = %v, code %v", err, res.ExitCode)
	}
	if len(res.Output) > 1100 || !strings.Contains(res.Output, "tail-marker") || !strings.Contains(res.Output, "bytes cut") {
		t.Fatalf("output not capped to its tail: %d bytes", len(res.Output))
	}
	if actions.IsPermanent(err) {
		t.Fatal("a non-zero exit is retryable")
	}
}

func TestShellStdin(t *testing.T) {
	a := build(t, "shell", map[string]any{"command": []any{"/bin/cat"}, "stdin": "body"})
	res, err := a.Run(context.Background(), inv(nil))
	if err != nil || res.Output != `{"raw":true}` {
		t.Fatalf("stdin body: %q %v", res.Output, err)
	}
	a = build(t, "shell", map[string]any{"command": []any{"/bin/cat"}, "stdin": "ref={{ payload.ref }}"})
	res, _ = a.Run(context.Background(), inv(map[string]any{"ref": "x"}))
	if res.Output != "ref=x" {
		t.Fatalf("stdin template: %q", res.Output)
	}
}

func processGone(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	f := strings.Fields(string(b))
	return len(f) > 2 && (f[2] == "Z" || f[2] == "X")
}

func TestShellTimeoutKillsProcessGroup(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child.pid")
	script := filepath.Join(dir, "slow.sh")
	// The child ignores SIGTERM, so only the group SIGKILL stops it.
	os.WriteFile(script, []byte("#!/bin/sh\n(trap '' TERM; sleep 300) &\necho $! > "+pidFile+"\nsleep 300\n"), 0o755)
	a := build(t, "shell", map[string]any{"command": []any{script}, "timeout": "300ms", "kill_grace": "200ms"})
	start := time.Now()
	_, err := a.Run(context.Background(), inv(nil))
	if err == nil || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("run took %s", d)
	}
	b, _ := os.ReadFile(pidFile)
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if pid == 0 {
		t.Fatal("child pid not recorded")
	}
	deadline := time.Now().Add(5 * time.Second)
	for !processGone(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("child %d outlived the timeout", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A value that begins an element and starts with "-" would be an option of
// the program: the run fails permanently and the program never starts,
// unless the action sets allow_dash.
func TestShellRefusesDashValues(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "ran")
	script := filepath.Join(dir, "mark.sh")
	os.WriteFile(script, []byte("#!/bin/sh\nprintf '%s\\n' \"$@\" >> \""+marker+"\"\n"), 0o755)
	cases := []struct {
		name      string
		command   []any
		value     string
		allowDash bool
		refused   bool
	}{
		{"short option", []any{script, "{{ payload.v }}"}, "-rf", false, true},
		{"long option", []any{script, "{{ payload.v }}"}, "--help", false, true},
		{"template then literal", []any{script, "{{ payload.v }}.txt"}, "-o", false, true},
		{"template with spaces", []any{script, "{{payload.v}}"}, "--upload-pack=touch /tmp/x", false, true},
		{"plain value", []any{script, "{{ payload.v }}"}, "main", false, false},
		{"dash inside", []any{script, "{{ payload.v }}"}, "feature-x", false, false},
		{"literal option with value", []any{script, "--ref={{ payload.v }}"}, "-rf", false, false},
		{"literal prefix", []any{script, "refs/{{ payload.v }}"}, "-rf", false, false},
		{"plus option", []any{script, "{{ payload.v }}"}, "+c", false, true},
		{"plus option with allow_dash", []any{script, "{{ payload.v }}"}, "+o", true, false},
		{"plus inside", []any{script, "{{ payload.v }}"}, "1+1", false, false},
		{"allow_dash", []any{script, "{{ payload.v }}"}, "-rf", true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			os.Remove(marker)
			raw := map[string]any{"command": c.command}
			if c.allowDash {
				raw["allow_dash"] = true
			}
			a := build(t, "shell", raw)
			_, err := a.Run(context.Background(), inv(map[string]any{"v": c.value}))
			_, statErr := os.Stat(marker)
			if !c.refused {
				if err != nil || statErr != nil {
					t.Fatalf("run: %v, marker: %v", err, statErr)
				}
				return
			}
			if err == nil || !actions.IsPermanent(err) || !strings.Contains(err.Error(), `command[1]: the value "`+c.value) || !strings.Contains(err.Error(), "allow_dash: true") {
				t.Fatalf("err = %v (permanent %v)", err, actions.IsPermanent(err))
			}
			if statErr == nil {
				t.Fatal("the program ran with an option from the payload")
			}
		})
	}
}
