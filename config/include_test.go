package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookrunner/hookrunner/config"
)

func TestInclude(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "hooks.d"), 0o755)
	write := func(name, body string) {
		os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600)
	}
	write("hooks.yaml", base+"\ninclude: [\"hooks.d/*.yaml\"]\n")
	write("hooks.d/a.yaml", `
sources:
  stripe: { provider: stripe, secret: "whsec_x" }
rules:
  - name: crm
    source: stripe
    actions: [ { shell: { command: ["/bin/true"] } } ]
`)
	write("hooks.d/b.yaml", "rules:\n  - name: notify\n    source: github\n    actions: [ { shell: { command: [\"/bin/true\"] } } ]\n")
	c, err := config.Load(filepath.Join(dir, "hooks.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Rules) != 3 || c.Rules[1].Name != "crm" || c.Rules[2].Name != "notify" || c.Sources["stripe"].Provider != "stripe" {
		t.Fatalf("merged: %d rules, sources %v", len(c.Rules), c.SourceNames())
	}
	hash := c.Hash
	// A change in an included file changes the hash.
	write("hooks.d/b.yaml", "rules:\n  - name: notify2\n    source: github\n    actions: [ { shell: { command: [\"/bin/true\"] } } ]\n")
	if c2, err := config.Load(filepath.Join(dir, "hooks.yaml")); err != nil || c2.Hash == hash {
		t.Fatalf("hash did not follow the included file: %v", err)
	}
	// Duplicates across files name both files.
	write("hooks.d/c.yaml", "rules:\n  - name: crm\n    source: github\n    actions: [ { shell: { command: [\"/bin/true\"] } } ]\nsources:\n  github: { provider: github, secret: x }\n")
	_, err = config.Load(filepath.Join(dir, "hooks.yaml"))
	for _, want := range []string{"hooks.d/c.yaml:6: sources.github: source already defined in hooks.yaml",
		`hooks.d/c.yaml:2: rules[0] (crm).name: duplicate rule name "crm" (first used at hooks.d/a.yaml:5 rules[0])`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want %q in:\n%v", want, err)
		}
	}
	// An unknown key in an included file names that file.
	write("hooks.d/c.yaml", "rules:\n  - name: x\n    source: github\n    trigger_rule: y\n    actions: [ { shell: { command: [\"/bin/true\"] } } ]\n")
	if _, err := config.Load(filepath.Join(dir, "hooks.yaml")); err == nil || !strings.Contains(err.Error(), `hooks.d/c.yaml:4: rules[0] (x).trigger_rule: unknown key (did you mean "if"?)`) {
		t.Fatalf("unknown key in include: %v", err)
	}
}
