package config_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/config"
)

const base = `
sources:
  github:
    provider: github
    secret: s3cr3t-value
rules:
  - name: deploy
    source: github
    events: [push]
    actions:
      - shell: { command: ["/bin/true"] }
`

func env(vars map[string]string) config.Env {
	return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		env  map[string]string
		want []string
	}{
		{"misspelt trigger_rule", strings.Replace(base, "events: [push]", "events: [push]\n    trigger_rule: x", 1),
			nil, []string{`hooks.yaml:10: rules[0] (deploy).trigger_rule: unknown key (did you mean "if"?)`}},
		{"typo in a nested key", strings.Replace(base, "secret: s3cr3t-value", "secert: s3cr3t-value", 1),
			nil, []string{`hooks.yaml:5: sources.github.secert: unknown key (did you mean "secret"?)`}},
		{"unknown top-level key", base + "\nhookz: []\n", nil, []string{`hookz: unknown key`}},
		{"missing env var", strings.Replace(base, "s3cr3t-value", `"${GH_SECRET}"`, 1), nil,
			[]string{`hooks.yaml:5: sources.github.secret: environment variable GH_SECRET is not set`}},
		{"duplicate rule names", base + `
  - name: deploy
    source: github
    actions: [ { shell: { command: ["/bin/true"] } } ]
`, nil, []string{`hooks.yaml:13: rules[1] (deploy).name: duplicate rule name "deploy" (first used at hooks.yaml:7 rules[0])`}},
		{"rule on missing source", strings.Replace(base, "source: github", "source: gitbuh", 1), nil,
			[]string{`hooks.yaml:8: rules[0] (deploy).source: unknown source "gitbuh" (did you mean "github"?)`}},
		{"no actions", strings.Replace(base, `      - shell: { command: ["/bin/true"] }`, "", 1) + "\n", nil,
			[]string{`hooks.yaml:10: rules[0] (deploy).actions: at least one action is required`}},
		{"two action types in one entry", strings.Replace(base, `- shell: { command: ["/bin/true"] }`, `- { shell: { command: ["/bin/true"] }, http: { url: "http://x" } }`, 1), nil,
			[]string{`hooks.yaml:11: rules[0] (deploy).actions[0]: each action must have exactly one type key`}},
		{"empty file", "# only a comment\n", nil, []string{"file is empty"}},
		{"syntax error", "sources: [unclosed\n", nil, []string{"YAML syntax"}},
		{"wrong type", strings.Replace(base, "events: [push]", "events: [push]\n    concurrency: lots", 1), nil, []string{"hooks.yaml:10: rules[0] (deploy).concurrency: expected type"}},
		{"bad respond", strings.Replace(base, "events: [push]", "events: [push]\n    respond: later", 1), nil, []string{`hooks.yaml:10: rules[0] (deploy).respond: must be async, sync or stream`}},
		{"bad duration", base + "\nrunner: { lease: forever }\n", nil, []string{"hooks.yaml:13: runner.lease", "invalid duration"}},
		{"bad store driver", base + "\nstore: { driver: mongo }\n", nil, []string{`hooks.yaml:13: store.driver: unknown driver "mongo"`}},
		{"bad source name", strings.Replace(base, "  github:\n", "  git/hub:\n", 1), nil, []string{"invalid source name"}},
		{"path that climbs", strings.Replace(base, "  github:\n", "  github:\n    path: a/../b\n", 1), nil, []string{`sources.github.path: invalid path "a/../b"`}},
		{"path with an empty segment", strings.Replace(base, "  github:\n", "  github:\n    path: a//b\n", 1), nil, []string{`sources.github.path: invalid path`}},
		{"path with a leading slash", strings.Replace(base, "  github:\n", "  github:\n    path: /a\n", 1), nil, []string{`sources.github.path: invalid path`}},
		{"path with an escape", strings.Replace(base, "  github:\n", "  github:\n    path: a%2Fb\n", 1), nil, []string{`sources.github.path: invalid path`}},
		{"path taken by a name", strings.Replace(base, "  github:\n", "  other: { provider: generic, verify: none }\n  github:\n    path: other\n", 1), nil, []string{`sources.github.path: /hooks/other is already the URL of source "other"`}},
		{"admin host with port", base + "\nadmin: { hosts: [\"hookrunner.internal:8081\"] }\n", nil, []string{`admin.hosts[0]: invalid host name "hookrunner.internal:8081"`}},
		{"admin host wildcard", base + "\nadmin: { hosts: [ok.example, \"*.example\"] }\n", nil, []string{`admin.hosts[1]: invalid host name`}},
		{"admin host url", base + "\nadmin: { hosts: [\"http://a.example\"] }\n", nil, []string{`admin.hosts[0]`}},
		{"empty tests file", base + "\ntests: [\"\"]\n", nil, []string{`tests[0]: empty file name`}},
		{"bad tests pattern", base + "\ntests: [\"cases/[a.yaml\"]\n", nil, []string{`tests[0]: bad pattern "cases/[a.yaml"`}},
		{"tests in an unknown form", base + "\ntests: { file: a.yaml }\n", nil, []string{`tests`}},
		{"public_key on a provider that verifies with a secret", strings.Replace(base, "secret: s3cr3t-value", "secret: s3cr3t-value\n    public_key: abc", 1), nil,
			[]string{`sources.github.public_key: only for provider sendgrid, discord`}},
		{"public_key beside secret", strings.Replace(strings.Replace(base, "provider: github", "provider: discord", 1), "secret: s3cr3t-value", "secret: s3cr3t-value\n    public_key: abc", 1), nil,
			[]string{`sources.github.public_key: set public_key or secret, not both`}},
		{"a provider key on another provider", strings.Replace(base, "secret: s3cr3t-value", "secret: s3cr3t-value\n    verify_token: t\n    topics: [arn:aws:sns:x]", 1), nil,
			[]string{`sources.github.verify_token: only for provider meta`, `sources.github.topics: only for provider sns`}},
		{"per-ip cap below -1", base + "\nserver: { max_conns_per_ip: -2 }\n", nil, []string{`server.max_conns_per_ip: must be a positive number, or -1`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Parse("hooks.yaml", []byte(tt.yaml), env(tt.env))
			if err == nil {
				t.Fatal("config accepted")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not contain %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestEveryProblemReported(t *testing.T) {
	y := strings.Replace(base, "events: [push]", "events: [push]\n    trigger_rule: x\n    concurency: 1", 1)
	_, err := config.Parse("hooks.yaml", []byte(y), env(nil))
	errs, ok := err.(config.Errors)
	if !ok || len(errs) != 2 {
		t.Fatalf("want 2 problems, got %v", err)
	}
}

func TestEnvExpansionAndDefaults(t *testing.T) {
	y := strings.Replace(base, "s3cr3t-value", `"${GH_SECRET:-fallback}"`, 1) + `
server: { listen: "${LISTEN:-127.0.0.1:9999}", max_body: 2MiB }
`
	c, err := config.Parse("hooks.yaml", []byte(y), env(map[string]string{"LISTEN": "127.0.0.1:7000"}))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Sources["github"].Secret.Reveal(); got != "fallback" {
		t.Errorf("secret = %q", got)
	}
	if c.Server.Listen != "127.0.0.1:7000" || c.Server.MaxBody != 2<<20 {
		t.Errorf("server = %+v", c.Server)
	}
	if c.Rules[0].Retry.Attempts != 3 || c.Store.Driver != "sqlite" || c.Admin.Listen != "127.0.0.1:8081" {
		t.Errorf("defaults not applied: %+v %+v", c.Rules[0].Retry, c.Store)
	}
	if c.Server.MaxConnsPerIP != 64 {
		t.Errorf("server.max_conns_per_ip default = %d, want 64", c.Server.MaxConnsPerIP)
	}
	c, err = config.Parse("hooks.yaml", []byte(base+"\nadmin: { hosts: [HookRunner.Internal.] }\nserver: { max_conns_per_ip: -1 }\n"), env(nil))
	if err != nil || len(c.Admin.Hosts) != 1 || c.Admin.Hosts[0] != "hookrunner.internal" || c.Server.MaxConnsPerIP != -1 {
		t.Fatalf("admin.hosts / max_conns_per_ip: %v %+v %d", err, c.Admin.Hosts, c.Server.MaxConnsPerIP)
	}
	c, err = config.Parse("hooks.yaml", []byte(strings.Replace(base, "s3cr3t-value", `"$${LITERAL}"`, 1)), env(nil))
	if err != nil || c.Sources["github"].Secret.Reveal() != "${LITERAL}" {
		t.Fatalf("escape: %v %q", err, c.Sources["github"].Secret.Reveal())
	}
}

func TestHookrunnerEnvOverrides(t *testing.T) {
	c, err := config.Parse("hooks.yaml", []byte(base), env(map[string]string{
		"HOOKRUNNER_SERVER_LISTEN": "127.0.0.1:1234", "HOOKRUNNER_STORE_DSN": "/tmp/x.db", "HOOKRUNNER_RUNNER_WORKERS": "3",
		"HOOKRUNNER_SERVER_MAX_BODY": "512KiB", "HOOKRUNNER_SERVER_TRUSTED_PROXIES": " 10.0.0.0/8, 172.16.0.0/12,",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Server.Listen != "127.0.0.1:1234" || c.Store.DSN != "/tmp/x.db" || c.Runner.Workers != 3 || c.Server.MaxBody != 512<<10 ||
		strings.Join(c.Server.TrustedProxies, " ") != "10.0.0.0/8 172.16.0.0/12" {
		t.Fatalf("overrides not applied: %+v %+v %+v", c.Server, c.Store, c.Runner)
	}
}

func TestSecretFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "gh.secret"), []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	y := strings.Replace(base, "secret: s3cr3t-value", "secret_file: gh.secret", 1)
	path := filepath.Join(dir, "hooks.yaml")
	os.WriteFile(path, []byte(y), 0o600)
	c, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Sources["github"].Secret.Reveal(); got != "from-file" {
		t.Fatalf("secret = %q", got)
	}
	y = strings.Replace(base, "secret: s3cr3t-value", "secret: x\n    secret_file: gh.secret", 1)
	os.WriteFile(path, []byte(y), 0o600)
	if _, err := config.Load(path); err == nil || !strings.Contains(err.Error(), "not both") {
		t.Fatalf("secret and secret_file together: %v", err)
	}
	y = strings.Replace(base, "secret: s3cr3t-value", "secret_file: missing.secret", 1)
	os.WriteFile(path, []byte(y), 0o600)
	if _, err := config.Load(path); err == nil || !strings.Contains(err.Error(), "sources.github.secret_file") {
		t.Fatalf("missing secret file: %v", err)
	}
}

func TestSecretNeverPrinted(t *testing.T) {
	c, err := config.Parse("hooks.yaml", []byte(base), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	s := c.Sources["github"].Secret
	js, _ := json.Marshal(c.File)
	var logBuf strings.Builder
	slog.New(slog.NewTextHandler(&logBuf, nil)).Info("x", "secret", s, "source", c.Sources["github"])
	for name, out := range map[string]string{
		"%v": fmt.Sprintf("%v", s), "%s": fmt.Sprintf("%s", s), "%#v": fmt.Sprintf("%#v", c.Sources["github"]),
		"json": string(js), "slog": logBuf.String(), "%+v": fmt.Sprintf("%+v", c.File),
	} {
		if strings.Contains(out, "s3cr3t-value") {
			t.Errorf("%s leaks the secret: %s", name, out)
		}
	}
	if s.Reveal() != "s3cr3t-value" {
		t.Fatal("Reveal broken")
	}
}

func TestByteSize(t *testing.T) {
	for in, want := range map[string]config.ByteSize{"1MiB": 1 << 20, "512KiB": 512 << 10, "1048576": 1 << 20, "10MB": 10_000_000, "2g": 2 << 30} {
		got, err := config.ParseByteSize(in)
		if err != nil || got != want {
			t.Errorf("%s = %d, %v; want %d", in, got, err, want)
		}
	}
	if _, err := config.ParseByteSize("lots"); err == nil {
		t.Error("bad size accepted")
	}
}

// public_key: is the secret: of the providers that verify with a public key.
func TestPublicKeyIsTheSecret(t *testing.T) {
	y := strings.Replace(strings.Replace(base, "provider: github", "provider: sendgrid", 1), "secret: s3cr3t-value", "public_key: MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE", 1)
	c, err := config.Parse("hooks.yaml", []byte(y), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Sources["github"].Secret.Reveal(); got != "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE" {
		t.Fatalf("secret = %q, want the public_key", got)
	}
}

// Durations in hooks.yaml take whole days first, as the command line does.
func TestDurationDays(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"30d", 30 * 24 * time.Hour, true},
		{"1d12h", 36 * time.Hour, true},
		{"90m", 90 * time.Minute, true},
		{"1h30m", 90 * time.Minute, true},
		{"d", 0, false},
		{"-1d", 0, false},
		{"1.5d", 0, false},
		{"1d-1h", 0, false},
		{"1dx", 0, false},
		{"2w", 0, false},
	} {
		got, err := config.ParseDuration(tc.in)
		if (err == nil) != tc.ok || (tc.ok && got != tc.want) {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
	c, err := config.Parse("hooks.yaml", []byte(base+"\nstore: { retention: 30d, dedupe_window: 1d12h }\n"), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Store.Retention.D() != 30*24*time.Hour || c.Store.DedupeWindow.D() != 36*time.Hour {
		t.Fatalf("retention %v, dedupe_window %v", c.Store.Retention.D(), c.Store.DedupeWindow.D())
	}
	if _, err := config.Parse("hooks.yaml", []byte(base+"\nstore: { retention: 1.5d }\n"), env(nil)); err == nil || !strings.Contains(err.Error(), "1.5d") {
		t.Fatalf("retention: 1.5d: %v", err)
	}
}
