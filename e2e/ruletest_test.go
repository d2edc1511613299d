package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var defaultedVar = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*):-`)

// TestRuleTestsBinary runs `hookrunner test` of the built binary on every
// shipped config from its folder (exit 0), then checks the exit statuses
// of a failing case (1) and of a malformed test file (2, with file:line).
func TestRuleTestsBinary(t *testing.T) {
	configs, _ := filepath.Glob("../examples/*/hooks.yaml")
	configs = append(configs, "../hooks.yaml")
	for _, cfg := range configs {
		b, err := os.ReadFile(cfg)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range defaultedVar.FindAllSubmatch(b, -1) {
			t.Setenv(string(m[1]), "") // restored after the test
			os.Unsetenv(string(m[1]))
		}
		dir, _ := filepath.Abs(filepath.Dir(cfg))
		out, code := runCLI(t, dir, "test", "--config", "hooks.yaml")
		if code != 0 || !strings.Contains(out, "0 failed") {
			t.Errorf("%s: exit %d\n%s", cfg, code, out)
		}
	}

	dir := t.TempDir()
	const secret = "e2e-ruletest-secret-91ab"
	t.Setenv("E2E_RT_TOKEN", secret)
	os.WriteFile(filepath.Join(dir, "hooks.yaml"), []byte(`
sources:
  hook: { provider: generic, verify: token, header: X-Token, secret: "${E2E_RT_TOKEN}", event_header: X-Event }
rules:
  - name: call
    source: hook
    actions:
      - shell: { command: ["/bin/echo", "{{ payload.name }}", "${E2E_RT_TOKEN}"] }
`), 0o600)
	test := filepath.Join(dir, "hooks.test.yaml")
	os.WriteFile(test, []byte("cases:\n  - name: a call\n    source: hook\n    event: ping\n    payload: {name: ada}\n    match: []\n"), 0o600)
	out, code := runCLI(t, dir, "test", "--config", "hooks.yaml")
	if code != 1 || !strings.Contains(out, "unexpected match: call") || strings.Contains(out, secret) {
		t.Errorf("failing case: exit %d\n%s", code, out)
	}
	out, code = runCLI(t, dir, "test", "--config", "hooks.yaml", "--update")
	if code != 0 {
		t.Errorf("--update: exit %d\n%s", code, out)
	}
	b, _ := os.ReadFile(test)
	if !strings.Contains(string(b), "argv: [/bin/echo, ada, '[REDACTED]']") || strings.Contains(string(b), secret) {
		t.Errorf("updated test file:\n%s", b)
	}
	if out, code = runCLI(t, dir, "test", "--config", "hooks.yaml"); code != 0 {
		t.Errorf("after --update: exit %d\n%s", code, out)
	}
	os.WriteFile(test, []byte("cases:\n  - name: a call\n    source: hook\n    payload: {}\n    matchs: [call]\n"), 0o600)
	out, code = runCLI(t, dir, "test", "--config", "hooks.yaml")
	if code != 2 || !strings.Contains(out, "hooks.test.yaml:5:5: unknown key \"matchs\"") {
		t.Errorf("malformed test file: exit %d\n%s", code, out)
	}
}
