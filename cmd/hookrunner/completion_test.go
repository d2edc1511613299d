package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The completion script of every shell names every command and each
// command's flags.
func TestCompletionScriptsHaveEveryCommand(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish"} {
		t.Run(shell, func(t *testing.T) {
			script, stderr, code := runSplit("completion", shell)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			for _, n := range commands(t) {
				if !strings.Contains(script, n.Name) {
					t.Errorf("no command %s", n.Name)
				}
				for _, f := range n.Flags {
					if !strings.Contains(script, f.Name) {
						t.Errorf("no flag --%s of %s", f.Name, n.Name)
					}
				}
			}
			if strings.Contains(script, "help)") || strings.Contains(script, "'help:") {
				t.Error("the hidden help command is offered")
			}
		})
	}
}

// The scripts work in the real shells: what each completes for a few
// command lines. A shell that is not installed is skipped.
func TestCompletionInShells(t *testing.T) {
	dir := t.TempDir()
	// The scripts complete the name "hookrunner": put the binary on PATH.
	if err := os.Symlink(binary, filepath.Join(dir, "hookrunner")); err != nil {
		t.Fatal(err)
	}
	path := dir + string(os.PathListSeparator) + os.Getenv("PATH")
	tests := []struct {
		line string // the command line, completed at its end
		want []string
		not  []string
	}{
		{"hookrunner ", []string{"serve", "runs", "completion", "version"}, []string{"help"}},
		{"hookrunner ru", []string{"runs"}, []string{"serve"}},
		{"hookrunner runs --st", []string{"--state"}, []string{"--rule"}},
		{"hookrunner runs --state ", []string{"dead", "succeeded", "pending"}, nil},
		{"hookrunner replay --", []string{"--rule", "--event-id", "--server", "--help"}, []string{"--diff"}},
		{"hookrunner serve --", []string{"--config", "--watch", "--no-watch"}, []string{"--rule"}},
		{"hookrunner completion ", []string{"bash", "zsh", "fish"}, nil},
	}
	shells := map[string]func(line string) *exec.Cmd{
		"bash": func(line string) *exec.Cmd {
			return exec.Command("bash", "--norc", "-c", `source <(hookrunner completion bash)
read -ra COMP_WORDS <<< "$LINE"; [[ $LINE == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); _hookrunner; printf '%s\n' "${COMPREPLY[@]}"`)
		},
		"fish": func(line string) *exec.Cmd {
			return exec.Command("fish", "--no-config", "-c", `hookrunner completion fish | source; complete -C "$LINE"`)
		},
	}
	for shell, cmd := range shells {
		if _, err := exec.LookPath(shell); err != nil {
			t.Logf("%s is not installed: skipped", shell)
			continue
		}
		for _, tt := range tests {
			t.Run(shell+"/"+tt.line, func(t *testing.T) {
				c := cmd(tt.line)
				c.Env = append(os.Environ(), "PATH="+path, "LINE="+tt.line)
				out, err := c.CombinedOutput()
				if err != nil {
					t.Fatalf("%v\n%s", err, out)
				}
				got := map[string]bool{}
				for _, l := range strings.Split(string(out), "\n") {
					got[strings.Fields(l + " x")[0]] = true
				}
				for _, w := range tt.want {
					if !got[w] {
						t.Errorf("%q does not offer %s:\n%s", tt.line, w, out)
					}
				}
				for _, w := range tt.not {
					if got[w] {
						t.Errorf("%q offers %s:\n%s", tt.line, w, out)
					}
				}
			})
		}
	}
	// zsh: through a pseudo-terminal (zpty), type the line and TAB, read
	// until the words the completion must show appear (the context's
	// deadline fails the test otherwise).
	if _, err := exec.LookPath("zsh"); err != nil {
		t.Log("zsh is not installed: skipped")
		return
	}
	for _, tt := range []struct{ line, want string }{
		{"hookrunner ru", "runs"},
		{"hookrunner runs --sta", "--state"},
		{"hookrunner runs --state ", "*dead*succeeded*"},
		{"hookrunner completion ", "*bash*fish*zsh*"},
		{"hookrunner serve --no-w", "--no-watch"},
	} {
		t.Run("zsh/"+tt.line, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			c := exec.CommandContext(ctx, "zsh", "-f", "-c", `zmodload zsh/zpty
zpty -b z 'zsh -f -i'
zpty -w z 'PS1="%% "; autoload -U compinit; compinit -u -d "$HOME/.zcompdump"; source <(hookrunner completion zsh); echo RE""ADY'
zpty -r -m z out '*READY*'
zpty -w -n z "$LINE"$'\t'
zpty -r -m z out "*${~WANT}*" && print -r -- "$out"
zpty -d z`)
			c.Env = append(os.Environ(), "PATH="+path, "HOME="+dir, "LINE="+tt.line, "WANT="+tt.want)
			if out, err := c.CombinedOutput(); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
		})
	}
}
