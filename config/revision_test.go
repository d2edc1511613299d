package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hookrunner/hookrunner/internal/yamlsecret"
)

// TestRebuildRevisionTolerant: a stored revision rebuilds when a secret it
// named is gone since (a *_file deleted, a ${VAR} unset, a literal rotated
// in the YAML); only the rules that use it, directly or through their
// source, are left out, each with why.
func TestRebuildRevisionTolerant(t *testing.T) {
	const cfg = `
sources:
  hook: { provider: generic, verify: none }
  gh: { provider: github, secret_file: gh.secret }
  tok: { provider: github, secret: "${TOKEN}" }
  lit: { provider: github, secret: "literal-secret-1234" }
rules:
  - { name: plain, source: hook, actions: [ { shell: { command: ["/bin/true"] } } ] }
  - { name: github, source: gh, actions: [ { shell: { command: ["/bin/true"] } } ] }
  - { name: token, source: tok, actions: [ { shell: { command: ["/bin/true"] } } ] }
  - { name: literal, source: lit, actions: [ { shell: { command: ["/bin/true"] } } ] }
  - { name: envarg, source: hook, actions: [ { shell: { command: ["/bin/echo", "${ARG_SECRET}"] } } ] }
`
	all := map[string]string{"TOKEN": "token-secret-5678", "ARG_SECRET": "arg-secret-9012"}
	for _, tc := range []struct {
		name     string
		gone     func(dir string, env map[string]string, known *[]string)
		want     map[string]string // rule left out -> part of why
		wantKept []string
	}{
		{"nothing gone", func(string, map[string]string, *[]string) {}, map[string]string{}, []string{"envarg", "github", "literal", "plain", "token"}},
		{"secret file deleted", func(dir string, _ map[string]string, _ *[]string) { os.Remove(filepath.Join(dir, "gh.secret")) },
			map[string]string{"github": "sources.gh.secret_file: read secret file: open " + filepath.Join("DIR", "gh.secret")}, []string{"envarg", "literal", "plain", "token"}},
		{"source variable unset", func(_ string, env map[string]string, _ *[]string) { delete(env, "TOKEN") },
			map[string]string{"token": `its source "tok": sources.tok.secret: environment variable TOKEN is not set`}, []string{"envarg", "github", "literal", "plain"}},
		{"action variable unset", func(_ string, env map[string]string, _ *[]string) { delete(env, "ARG_SECRET") },
			map[string]string{"envarg": "environment variable ARG_SECRET is not set"}, []string{"github", "literal", "plain", "token"}},
		{"literal rotated in the YAML", func(_ string, _ map[string]string, known *[]string) {
			*known = slices.DeleteFunc(*known, func(v string) bool { return v == "literal-secret-1234" })
		}, map[string]string{"literal": "hooks.yaml: the secret " + yamlsecret.Placeholder("literal-secret-1234") + " written in it is one the config in force no longer has"}, []string{"envarg", "github", "plain", "token"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			main := filepath.Join(dir, "hooks.yaml")
			os.WriteFile(filepath.Join(dir, "gh.secret"), []byte("gh-file-secret-3456\n"), 0o600)
			os.WriteFile(main, []byte(cfg), 0o600)
			env := map[string]string{}
			for k, v := range all {
				env[k] = v
			}
			lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
			c, err := Parse(main, []byte(cfg), lookup)
			if err != nil {
				t.Fatal(err)
			}
			stored := map[string]string{}
			for name, b := range c.Files {
				if stored[name], err = yamlsecret.Hide(string(b), c.Secrets); err != nil {
					t.Fatal(err)
				}
			}
			known := slices.Clone(c.Secrets)
			tc.gone(dir, env, &known)

			r, err := RebuildRevision(main, stored, known, lookup)
			if err != nil {
				t.Fatalf("the revision does not rebuild: %v", err)
			}
			var kept []string
			for _, rule := range r.Rules {
				kept = append(kept, rule.Name)
			}
			slices.Sort(kept)
			if !slices.Equal(kept, tc.wantKept) {
				t.Errorf("rules kept %v, want %v", kept, tc.wantKept)
			}
			if len(r.Unavailable) != len(tc.want) {
				t.Errorf("left out %v, want %v", r.Unavailable, tc.want)
			}
			for rule, why := range tc.want {
				why = strings.ReplaceAll(why, "DIR", dir)
				if !strings.Contains(r.Unavailable[rule], why) {
					t.Errorf("rule %s left out for %q, want it to say %q", rule, r.Unavailable[rule], why)
				}
			}
		})
	}
}
