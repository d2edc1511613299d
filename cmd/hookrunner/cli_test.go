package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/alecthomas/kong"
)

// The CLI tests run the built binary, as a user does: TestMain builds it
// once with a version set the way a release sets it.

const testVersion = "v9.8.7-test"

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "hookrunner-cli-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "hookrunner")
	build := exec.Command("go", "build", "-ldflags", "-X main.version="+testVersion, "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build hookrunner:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// runSplit runs the binary with args; stdout and stderr apart.
func runSplit(args ...string) (stdout, stderr string, code int) {
	var out, errb bytes.Buffer
	cmd := exec.Command(binary, args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		return "", err.Error(), -1
	}
	return out.String(), errb.String(), code
}

// runCmd runs the binary with args; stdout then stderr.
func runCmd(t *testing.T, args ...string) (string, int) {
	t.Helper()
	stdout, stderr, code := runSplit(args...)
	return stdout + stderr, code
}

// commands lists the CLI's visible commands, from its kong model.
func commands(t *testing.T) []*kong.Node {
	t.Helper()
	p, err := newParser(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out []*kong.Node
	for _, n := range p.Model.Children {
		if !n.Hidden {
			out = append(out, n)
		}
	}
	if len(out) < 13 {
		t.Fatalf("only %d commands", len(out))
	}
	return out
}

// Every command takes -h and --help (and "help CMD"): exit 0, its usage on
// stdout, nothing run.
func TestHelpEveryCommand(t *testing.T) {
	for _, n := range commands(t) {
		for _, args := range [][]string{{n.Name, "-h"}, {n.Name, "--help"}, {"help", n.Name}} {
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				stdout, stderr, code := runSplit(args...)
				if code != 0 || !strings.HasPrefix(stdout, "Usage: hookrunner "+n.Name) || !strings.Contains(stdout, "--help") {
					t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
				}
			})
		}
	}
	stdout, _, code := runSplit("--help")
	if code != 0 {
		t.Fatalf("--help: exit %d", code)
	}
	for _, n := range commands(t) {
		if !strings.Contains(stdout, "\n  "+n.Name+" ") {
			t.Errorf("--help does not list %s:\n%s", n.Name, stdout)
		}
	}
}

// An unknown flag is a usage error (2) for every command, with the way to
// its help on stderr and nothing on stdout.
func TestUnknownFlagEveryCommand(t *testing.T) {
	for _, n := range commands(t) {
		t.Run(n.Name, func(t *testing.T) {
			stdout, stderr, code := runSplit(n.Name, "--no-such-flag")
			if code != 2 || stdout != "" || !strings.Contains(stderr, "unknown flag --no-such-flag") ||
				!strings.Contains(stderr, `"hookrunner `+n.Name+` --help"`) {
				t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
			}
		})
	}
}

// Exit statuses: 0 ok, 1 the command failed, 2 usage error.
func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	cfg := writeFile(t, dir, "hooks.yaml", explainConfig)
	payload := writeFile(t, dir, "p.json", `{"ref":"refs/heads/dev"}`)
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string // a substring
		stderr string // a substring
	}{
		{"version", []string{"version"}, 0, "hookrunner " + testVersion, ""},
		{"--version", []string{"--version"}, 0, "hookrunner " + testVersion, ""},
		{"schema", []string{"schema"}, 0, `"$schema"`, ""},
		{"providers", []string{"providers"}, 0, "PROVIDER", ""},
		{"validate", []string{"validate", "--config", cfg}, 0, ": OK (config hash", ""},
		{"single-dash long flag", []string{"validate", "-config", cfg}, 0, ": OK (config hash", ""},
		{"no command", nil, 2, "", "Usage: hookrunner <command>"},
		{"unknown command", []string{"frobnicate"}, 2, "", "unexpected argument frobnicate"},
		{"missing argument", []string{"import"}, 2, "", `expected "<file>"`},
		{"missing flag", []string{"send", "--config", cfg}, 2, "", "missing flags: --source"},
		{"bad enum", []string{"runs", "--state", "bogus"}, 2, "", `--state must be one of`},
		{"bad number", []string{"events", "--limit", "many"}, 2, "", "--limit"},
		{"bad since", []string{"runs", "--since", "yesterday"}, 2, "", `--since: "yesterday": use a duration (1h, 7d) or an RFC 3339 time`},
		{"help for no command", []string{"help", "nosuch"}, 2, "", "unexpected argument nosuch"},
		{"bad header", []string{"explain", "--config", cfg, "--source", "github", "--payload", payload, "--header", "nocolon"}, 2, "", `"nocolon": use Name:value`},
		{"explain needs input", []string{"explain", "--config", cfg}, 2, "", "give --source and --payload, or --event-id"},
		{"replay needs a target", []string{"replay", "--config", cfg}, 2, "", "give one of <run-id>, --rule RULE or --event-id ID"},
		{"replay takes one target", []string{"replay", "--config", cfg, "--rule", "x", "--event-id", "y"}, 2, "", "give one of"},
		{"too many arguments", []string{"runs", "a", "b"}, 2, "", "unexpected argument b"},
		{"unknown shell", []string{"completion", "tcsh"}, 2, "", `must be one of "bash","zsh","fish"`},
		{"serve without a config", []string{"serve", "--config", filepath.Join(dir, "absent.yaml")}, 1, "", "no config file at " + filepath.Join(dir, "absent.yaml") + ": write one"},
		{"test with no tests", []string{"test", "--config", cfg}, 2, "", "hooks.test.yaml"},
		{"replay bad since", []string{"replay", "--config", cfg, "--rule", "x", "--since", "soon"}, 2, "", `--since: "soon"`},
		{"missing config", []string{"validate", "--config", filepath.Join(dir, "nope.yaml")}, 1, "", "no such file"},
		{"unknown provider", []string{"providers", "githb"}, 1, "", `did you mean "github"`},
		{"no rule matches", []string{"explain", "--config", cfg, "--source", "github", "--event", "push", "--payload", payload}, 1, "NO MATCH  deploy-main", ""},
		{"server down", []string{"health", "--url", "http://127.0.0.1:1/readyz"}, 1, "", "health:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := runSplit(tt.args...)
			if code != tt.code || !strings.Contains(stdout, tt.stdout) || !strings.Contains(stderr, tt.stderr) {
				t.Fatalf("exit %d, want %d (stdout should have %q, stderr %q)\nstdout:\n%s\nstderr:\n%s", code, tt.code, tt.stdout, tt.stderr, stdout, stderr)
			}
			if tt.code == 2 && stdout != "" {
				t.Fatalf("a usage error printed to stdout:\n%s", stdout)
			}
		})
	}
}
