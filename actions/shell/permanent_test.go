package shell_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookrunner/hookrunner/actions"
)

// A command that is not found, not executable, or exits 126/127 (what
// env, sudo and shells answer for a program they cannot run) fails
// permanently: retrying cannot fix it. Other exits are retried.
func TestShellPermanentFailures(t *testing.T) {
	dir := t.TempDir()
	noexec := filepath.Join(dir, "noexec.sh")
	os.WriteFile(noexec, []byte("#!/bin/sh\nexit 0\n"), 0o644)
	badInterp := filepath.Join(dir, "bad-interpreter.sh")
	os.WriteFile(badInterp, []byte("#!/nonexistent/interpreter\n"), 0o755)
	tests := []struct {
		name      string
		command   []any
		dir       string
		permanent bool
		want      string
	}{
		{"program not found", []any{filepath.Join(dir, "missing.sh")}, "", true, "no such file"},
		{"bare name not in PATH", []any{"hookrunner-no-such-program"}, "", true, "executable file not found"},
		{"not executable", []any{noexec}, "", true, "permission denied"},
		{"a directory", []any{dir}, "", true, "start " + dir},
		{"missing interpreter", []any{badInterp}, "", true, "no such file"},
		{"dir missing", []any{"/bin/true"}, filepath.Join(dir, "nowhere"), true, "nowhere"},
		{"exit 127 from a wrapper", []any{"/usr/bin/env", "hookrunner-no-such-program"}, "", true, "exit status 127"},
		{"exit 127 from a script", []any{"/bin/sh", "-c", "exit 127"}, "", true, "was not found"},
		{"exit 126", []any{"/bin/sh", "-c", "exit 126"}, "", true, "exit status 126"},
		{"exit 1 is retried", []any{"/bin/sh", "-c", "exit 1"}, "", false, "exit status 1"},
		{"exit 125 is retried", []any{"/bin/sh", "-c", "exit 125"}, "", false, "exit status 125"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := map[string]any{"command": tt.command}
			if tt.dir != "" {
				raw["dir"] = tt.dir
			}
			a := build(t, "shell", raw)
			_, err := a.Run(context.Background(), inv(nil))
			if err == nil {
				t.Fatal("succeeded")
			}
			if actions.IsPermanent(err) != tt.permanent {
				t.Errorf("permanent = %v, want %v: %v", actions.IsPermanent(err), tt.permanent, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}
