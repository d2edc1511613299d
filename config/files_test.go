package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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

// TestReadStableWaitsForTheWriter: a save written in two pieces with a pause
// longer than the stable-content wait between them (an editor or scp) is
// read whole, because the file is still open for writing during the pause.
func TestReadStableWaitsForTheWriter(t *testing.T) {
	for _, pause := range []time.Duration{0, 4 * stableWait, 8 * stableWait} {
		t.Run(pause.String(), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "hooks.yaml")
			whole := "sources:\n  gh: { provider: github, secret: s }\nrules:\n  - name: first\n  - name: second\n"
			cut := strings.Index(whole, "  - name: second")
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.WriteString(whole[:cut]); err != nil {
				t.Fatal(err)
			}
			got := make(chan string, 1)
			go func() {
				b, err := ReadStable(path)
				if err != nil {
					t.Error(err)
				}
				got <- string(b)
			}()
			time.Sleep(pause) // the writer pauses between its pieces
			if _, err := f.WriteString(whole[cut:]); err != nil {
				t.Fatal(err)
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			if s := <-got; s != whole {
				t.Fatalf("read %q, want the whole file", s)
			}
		})
	}
}

// TestReadStableGivesUpOnAWriterThatStays: a file held open for writing is
// not loaded; the error says why.
func TestReadStableGivesUpOnAWriterThatStays(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hooks.yaml")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.WriteString("rules: []\n")
	if !openForWriting(path) {
		t.Skip("this filesystem does not grant leases")
	}
	if _, err := ReadStable(path); err == nil || !strings.Contains(err.Error(), "open for writing") {
		t.Fatalf("err = %v, want a refusal", err)
	}
	f.Close()
	if b, err := ReadStable(path); err != nil || string(b) != "rules: []\n" {
		t.Fatalf("after close: %q, %v", b, err)
	}
}
