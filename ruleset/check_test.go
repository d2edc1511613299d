package ruleset

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Check (what `validate` adds): a shell action's program and dir are
// looked at on this machine; what a deploy may still create is a warning,
// what a run would surely fail on is an error, each located.
func TestCheckProgramsAndDirs(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "deploy.sh"), []byte("#!/bin/sh\nexit 0\n"), 0o755)
	os.WriteFile(filepath.Join(dir, "noexec.sh"), []byte("#!/bin/sh\nexit 0\n"), 0o644)
	os.MkdirAll(filepath.Join(dir, "work"), 0o755)
	tests := []struct {
		name, action string
		errs, warns  []string
	}{
		{"all there", `{ command: ["./deploy.sh"], dir: work }`, nil, nil},
		{"bare name in PATH", `{ command: ["sh", "-c", "true"] }`, nil, nil},
		{"script missing beside the config", `{ command: ["./deplyo.sh"] }`,
			[]string{`hooks.yaml:7: rules[0] (deploy).actions[0].shell.command[0]: ` + filepath.Join(dir, "deplyo.sh") + `: no such file`}, nil},
		{"not executable", `{ command: ["./noexec.sh"] }`,
			[]string{`hooks.yaml:7: rules[0] (deploy).actions[0].shell.command[0]: ` + filepath.Join(dir, "noexec.sh") + `: not executable (chmod +x`}, nil},
		{"a directory", `{ command: ["./work"] }`, []string{`: is a directory, not a program`}, nil},
		{"folder not there yet", `{ command: ["/srv/hookrunner-test-nowhere/bin/deploy"], dir: /srv/hookrunner-test-nowhere }`, nil,
			[]string{`hooks.yaml:7: rules[0] (deploy).actions[0].shell.command[0]: /srv/hookrunner-test-nowhere/bin/deploy: its folder /srv/hookrunner-test-nowhere/bin does not exist (yet)`,
				`hooks.yaml:7: rules[0] (deploy).actions[0].shell.dir: /srv/hookrunner-test-nowhere: does not exist (yet)`}},
		{"bare name not in PATH", `{ command: ["hookrunner-no-such-program"] }`, nil, []string{`command[0]: hookrunner-no-such-program: not found in PATH`}},
		{"dir is a file", `{ command: ["./deploy.sh"], dir: deploy.sh }`, []string{`shell.dir: ` + filepath.Join(dir, "deploy.sh") + `: not a directory`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			y := "sources:\n  github: { provider: github, secret: s3cr3t-check }\nrules:\n  - name: deploy\n    source: github\n    actions:\n      - shell: " + tt.action + "\n"
			os.WriteFile(filepath.Join(dir, "hooks.yaml"), []byte(y), 0o600)
			s, err := Load(filepath.Join(dir, "hooks.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			errs, warns := s.Check()
			match := func(kind string, got []string, want []string) {
				if len(got) != len(want) {
					t.Errorf("%s: got %q, want %d", kind, got, len(want))
					return
				}
				for i := range want {
					if !strings.Contains(got[i], want[i]) {
						t.Errorf("%s[%d] = %q, want %q", kind, i, got[i], want[i])
					}
				}
			}
			var ge, gw []string
			for _, e := range errs {
				ge = append(ge, e.Error())
			}
			for _, w := range warns {
				gw = append(gw, w.Error())
			}
			match("errors", ge, tt.errs)
			match("warnings", gw, tt.warns)
		})
	}
}
