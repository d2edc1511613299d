package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMissingNamedIncludeRefused(t *testing.T) {
	dir := t.TempDir()
	main := filepath.Join(dir, "hooks.yaml")
	cfg := "include: [\"rules/deploy.yaml\", \"hooks.d/*.yaml\"]\nsources:\n  gh: { provider: github, secret: s3cret }\n"
	if err := os.WriteFile(main, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(main)
	if err == nil || !strings.Contains(err.Error(), "rules/deploy.yaml: file not found") {
		t.Fatalf("missing named include: err = %v", err)
	}
	// An empty glob is fine; the named file present is fine.
	if err := os.MkdirAll(filepath.Join(dir, "rules"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "rules", "deploy.yaml"), []byte("rules:\n  - { name: d, source: gh, actions: [ { shell: { command: [\"/bin/true\"] } } ] }\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(main)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Rules) != 1 || len(c.Files) != 2 {
		t.Fatalf("rules %d, files %v", len(c.Rules), c.Files)
	}
}

// TestParseRevisionRoundTrip: a config rebuilt from the files it recorded
// is the same config (same hash), without reading the files again.
func TestParseRevisionRoundTrip(t *testing.T) {
	dir := t.TempDir()
	main := filepath.Join(dir, "hooks.yaml")
	if err := os.MkdirAll(filepath.Join(dir, "hooks.d"), 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := "include: [\"hooks.d/*.yaml\"]\nsources:\n  gh: { provider: github, secret: \"${GH_SECRET}\" }\n"
	inc := "rules:\n  - { name: d, source: gh, actions: [ { shell: { command: [\"/bin/true\"] } } ] }\n"
	os.WriteFile(main, []byte(cfg), 0o600)
	os.WriteFile(filepath.Join(dir, "hooks.d", "a.yaml"), []byte(inc), 0o600)
	env := func(k string) (string, bool) { return map[string]string{"GH_SECRET": "topsecret"}[k], k == "GH_SECRET" }
	raw, _ := os.ReadFile(main)
	c, err := Parse(main, raw, env)
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range c.Files {
		if strings.Contains(string(b), "topsecret") {
			t.Fatalf("recorded file %s holds a resolved secret", name)
		}
	}
	// The files on disk change; the revision does not.
	os.WriteFile(filepath.Join(dir, "hooks.d", "a.yaml"), []byte("rules: []\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "hooks.d", "b.yaml"), []byte(inc), 0o600)
	r, err := ParseRevision(main, c.Files, env)
	if err != nil {
		t.Fatal(err)
	}
	if r.Hash != c.Hash || len(r.Rules) != 1 || r.Rules[0].File != "hooks.d/a.yaml" {
		t.Fatalf("rebuilt hash %s rules %+v, want hash %s", r.Hash, r.Rules, c.Hash)
	}
}
