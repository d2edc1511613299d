package config_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hookrunner/hookrunner/config"
)

func TestSecretsCollected(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "tok"), []byte("from-a-file-value\n"), 0o600)
	y := `
store: { driver: postgres, dsn: "postgres://app:dsn-pass-1@db/app" }
admin: { token_file: tok }
sources:
  github: { provider: github, secret: "${GH}", secrets: ["rotated-literal"] }
  am: { provider: alertmanager, bearer: literal-bearer-1 }
  poll: { provider: poll, poll: { url: "https://api/x?api_key=poll-key-1", id: payload.id, headers: { Authorization: "Bearer poll-bearer-1" } } }
rules:
  - name: r
    source: github
    actions:
      - http: { url: "https://u:url-pass-1@h/x?token=q-token-1&page={{ payload.p }}", headers: { X-Api-Key: hdr-key-1 }, body: '{"password": "body-pass-1"}' }
      - shell: { command: ["/bin/x", "--token", "argv-tok-1", "${ARGV}"], env: { API_SECRET: env-secret-1, PORT: "${PORT}" } }
      - crm: { driver: hubspot, token: crm-token-1, key: [email], fields: { email: payload.e } }
`
	c, err := config.Parse(filepath.Join(dir, "hooks.yaml"), []byte(y), env(map[string]string{"GH": "env-gh-secret", "ARGV": "env-argv-value", "PORT": "8080"}))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"env-gh-secret", "env-argv-value", "from-a-file-value", "rotated-literal", "literal-bearer-1", "dsn-pass-1",
		"poll-key-1", "poll-bearer-1", "url-pass-1", "q-token-1", "hdr-key-1", "body-pass-1", "argv-tok-1", "env-secret-1", "crm-token-1"} {
		if !slices.Contains(c.Secrets, want) {
			t.Errorf("%s not collected (got %q)", want, c.Secrets)
		}
	}
	for _, not := range []string{"8080", "email", "/bin/x"} {
		if slices.Contains(c.Secrets, not) {
			t.Errorf("%q taken as a secret", not)
		}
	}
}

// A load error that quotes a value resolved from ${VAR} shows it redacted.
func TestLoadErrorsRedacted(t *testing.T) {
	y := strings.Replace(base, "sources:", "store: { driver: \"${DRV}\" }\nsources:", 1)
	_, err := config.Parse("hooks.yaml", []byte(y), env(map[string]string{"DRV": "driver-secret-value"}))
	if err == nil || strings.Contains(err.Error(), "driver-secret-value") || !strings.Contains(err.Error(), "[REDACTED]") {
		t.Fatalf("error: %v", err)
	}
}
