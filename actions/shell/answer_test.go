package shell_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/hookrunner/hookrunner/actions"
	"github.com/hookrunner/hookrunner/config"
)

// The sync answer: stdout alone or with stderr (respond_stderr), a fixed
// error_body in place of a failing command's output, and 500 for a command
// that cannot start, whose reason stays out of the answer.
func TestShellSyncAnswer(t *testing.T) {
	const script = "echo out; echo err >&2; exit $0"
	tests := []struct {
		name   string
		cfg    map[string]any
		status int
		body   string
	}{
		{"stdout only", map[string]any{"command": []any{"/bin/sh", "-c", script, "0"}}, 200, "out\n"},
		{"with stderr", map[string]any{"command": []any{"/bin/sh", "-c", script, "0"}, "respond_stderr": true}, 200, "out\nerr\n"},
		{"failure shows output", map[string]any{"command": []any{"/bin/sh", "-c", script, "2"}, "respond_stderr": true}, 500, "out\nerr\n"},
		{"failure hides output", map[string]any{"command": []any{"/bin/sh", "-c", script, "2"}, "error_body": "it failed"}, 500, "it failed"},
		{"success keeps output", map[string]any{"command": []any{"/bin/sh", "-c", script, "0"}, "error_body": "it failed"}, 200, "out\n"},
		{"cannot start", map[string]any{"command": []any{"/nonexistent/program --flag"}}, 500, ""},
		{"cannot start, error body", map[string]any{"command": []any{"/nonexistent/program"}, "error_body": "it failed"}, 500, "it failed"},
		{"cannot start, status map", map[string]any{"command": []any{"/nonexistent/program"}, "status": map[string]any{"default": 503}}, 503, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := inv(nil)
			in.Answer = true // the run answers its request
			res, _ := build(t, "shell", tt.cfg).Run(context.Background(), in)
			r := res.Response
			if r == nil || r.Status != tt.status || string(r.Body) != tt.body {
				t.Fatalf("response %+v, want %d %q", r, tt.status, tt.body)
			}
			if strings.Contains(string(r.Body), "nonexistent") {
				t.Fatal("the start error reached the answer")
			}
		})
	}
}

// TestShellOutputOrder: a run that answers no request stores stdout and
// stderr in the order the command wrote them (one pipe for both); a run
// that answers keeps stdout apart for the answer.
func TestShellOutputOrder(t *testing.T) {
	const script = `i=0; while [ $i -lt 200 ]; do echo "o$i"; echo "e$i" >&2; i=$((i+1)); done`
	var want strings.Builder
	for i := 0; i < 200; i++ {
		fmt.Fprintf(&want, "o%d\ne%d\n", i, i)
	}
	a := build(t, "shell", map[string]any{"command": []any{"/bin/sh", "-c", script}})
	in := inv(nil)
	in.OutputLimit = 1 << 20
	res, err := a.Run(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if res.Output != want.String() {
		t.Fatalf("output out of the command's order:\n%.200s", res.Output)
	}
	in = inv(nil)
	in.OutputLimit, in.Answer = 1<<20, true
	res, err = a.Run(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(res.Response.Body); strings.Contains(got, "e0") || !strings.HasPrefix(got, "o0\no1\n") {
		t.Fatalf("answer %.100q, want stdout alone", got)
	}
	if len(res.Output) != want.Len() {
		t.Fatalf("stored output %d bytes, want %d", len(res.Output), want.Len())
	}
}

// Variables: names may hold '.' and '-' (adnanh's HOOK_head_commit.id), never
// '=' or a leading digit; omit_missing_env leaves out a variable whose
// value is missing, and only then.
func TestShellEnvNamesAndMissingValues(t *testing.T) {
	for _, bad := range []string{"A=B", "1X", "A B", "HOOKRUNNER_X", ".A"} {
		_, err := actions.Build("shell", actions.BuildContext{Decode: func(v any) error {
			return config.Decode(map[string]any{"command": []any{"/usr/bin/env"}, "env": map[string]any{bad: "x"}}, v)
		}})
		if err == nil {
			t.Errorf("env name %q accepted", bad)
		}
	}
	env := map[string]any{"HOOK_head_commit.id": "{{ payload.id }}", "HOOK_x-y": "{{ payload.gone }}", "EMPTY": "{{ payload.empty }}", "MIXED": "a{{ payload.gone }}"}
	for _, omit := range []bool{false, true} {
		a := build(t, "shell", map[string]any{"command": []any{"/usr/bin/env"}, "env": env, "omit_missing_env": omit})
		res, err := a.Run(context.Background(), inv(map[string]any{"id": "c0ffee", "empty": ""}))
		if err != nil {
			t.Fatal(err)
		}
		lines := "\n" + res.Output
		for _, want := range []string{"\nHOOK_head_commit.id=c0ffee\n", "\nEMPTY=\n", "\nMIXED=a\n"} {
			if !strings.Contains(lines, want) {
				t.Errorf("omit %v: env lacks %q:\n%s", omit, want, res.Output)
			}
		}
		if got := strings.Contains(lines, "\nHOOK_x-y="); got == omit {
			t.Errorf("omit %v: missing value set: %v\n%s", omit, got, res.Output)
		}
	}
}

// TestShellNoStdin: a command given no stdin reads /dev/null (EOF at
// once), run after run and many at once (one /dev/null serves them all).
func TestShellNoStdin(t *testing.T) {
	if _, err := os.Stat("/proc/self/fd/0"); err != nil {
		t.Skip("no /proc/self/fd")
	}
	a := build(t, "shell", map[string]any{"command": []any{"/bin/sh", "-c", "cat; readlink /proc/self/fd/0"}})
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := a.Run(context.Background(), inv(nil))
			if err != nil || res.Output != "/dev/null\n" {
				t.Errorf("output %q, error %v; want /dev/null as stdin", res.Output, err)
			}
		}()
	}
	wg.Wait()
}
