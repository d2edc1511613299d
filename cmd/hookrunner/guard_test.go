package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestValidateRefusesPayloadAsCode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hooks.yaml")
	os.WriteFile(path, []byte(`
sources:
  github: { provider: github, secret: "s3cr3t" }
rules:
  - name: deploy
    source: github
    actions: [ { shell: { command: ["env", "-i", "sh", "-c", "-e", "deploy {{ payload.ref }}"] } } ]
`), 0o600)
	out, code := runCmd(t, "validate", "-config", path)
	want := `rules[0] (deploy).actions[0].shell.command[5]: "deploy {{ payload.ref }}" would be read as code by sh -c; pass the value as a positional argument after the script (["sh","-c","deploy \"$1\"","sh","{{ payload.ref }}"]) or through env:`
	if code == 0 || !strings.Contains(out, want) {
		t.Fatalf("validate exit %d:\n%s", code, out)
	}
}
