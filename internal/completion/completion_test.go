package completion

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/alecthomas/kong"
)

type toy struct {
	Get struct {
		Config string   `complete:"file" help:"Config: the file's path."`
		State  string   `enum:"dead,alive," default:"" help:"A state [one of two]."`
		Header []string `help:"Header (it's repeatable)."`
		Watch  bool     `default:"true" negatable:"" help:"Watch."`
		Name   string   `arg:"" optional:""`
	} `cmd:"" help:"Get things."`
	Shell struct {
		Kind string `arg:"" enum:"bash,zsh,fish"`
	} `cmd:"" help:"Print a script."`
	Secret struct{} `cmd:"" hidden:""`
}

func parse(t *testing.T) *kong.Application {
	t.Helper()
	k, err := kong.New(&toy{}, kong.Name("toy"))
	if err != nil {
		t.Fatal(err)
	}
	return k.Model
}

// Each shell's script holds the commands, flags, enum values and file
// completions of the model, and no hidden command; it parses in its shell.
func TestWrite(t *testing.T) {
	tests := []struct {
		shell string
		want  []string
		check []string // a syntax check, when the shell is installed
	}{
		{"bash", []string{
			"complete -o default -F _toy toy", "'') words='get shell --help -h' ;;",
			"--state) COMPREPLY=($(compgen -W 'dead alive' -- \"$cur\")); return ;;",
			"--config|--header) return ;;", "words='--help -h --config --state --header --watch --no-watch' ;;",
			"COMPREPLY=($(compgen -W 'bash zsh fish' -- \"$cur\"))",
		}, []string{"bash", "-n"}},
		{"zsh", []string{
			"#compdef toy", "'get:Get things.'", "'--config=[Config\\: the file'\\''s path.]:config:_files'",
			"'--state=[A state (one of two).]:state:(dead alive)'", "'*--header=[Header (it'\\''s repeatable).]:header: '",
			"'--no-watch[not: Watch.]'", "'1:kind:(bash zsh fish)'", "compdef _toy toy",
		}, []string{"zsh", "-n"}},
		{"fish", []string{
			"complete -c toy -f", "complete -c toy -n __fish_use_subcommand -a get -d 'Get things.'",
			"complete -c toy -n '__fish_seen_subcommand_from get' -l config -r -F -d 'Config: the file\\'s path.'",
			"-l state -x -a 'dead alive'", "-l no-watch -d 'not: Watch.'",
			"complete -c toy -n '__fish_seen_subcommand_from shell' -a 'bash zsh fish'",
		}, []string{"fish", "--no-execute"}},
	}
	for _, tt := range tests {
		t.Run(tt.shell, func(t *testing.T) {
			var b strings.Builder
			if err := Write(&b, tt.shell, parse(t)); err != nil {
				t.Fatal(err)
			}
			script := b.String()
			for _, w := range tt.want {
				if !strings.Contains(script, w) {
					t.Errorf("lacks %s\n%s", w, script)
				}
			}
			if strings.Contains(script, "secret") {
				t.Errorf("offers the hidden command:\n%s", script)
			}
			if _, err := exec.LookPath(tt.check[0]); err != nil {
				t.Logf("%s not installed: no syntax check", tt.check[0])
				return
			}
			c := exec.Command(tt.check[0], tt.check[1:]...)
			c.Stdin = strings.NewReader(script)
			if out, err := c.CombinedOutput(); err != nil {
				t.Fatalf("%s: %v\n%s\n%s", tt.shell, err, out, script)
			}
		})
	}
	if err := Write(&strings.Builder{}, "tcsh", parse(t)); err == nil || !strings.Contains(err.Error(), "known: bash, zsh, fish") {
		t.Fatalf("tcsh: %v", err)
	}
}
