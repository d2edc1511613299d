package engine

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hookrunner/hookrunner/config"
	"github.com/hookrunner/hookrunner/internal/yamlsecret"
	"github.com/hookrunner/hookrunner/ruleset"
)

// A literal secret written with YAML quoting is kept out of the stored
// revision, and the revision still rebuilds with it.
func TestRevisionHidesQuotedSecrets(t *testing.T) {
	for _, tc := range []struct {
		name, source, secret string
		shown                []string // spellings of the secret in the file
	}{
		{"escape", `esc: { provider: generic, verify: token, header: X-Esc, secret: "yamlESC\x41PED-5150" }`, "yamlESCAPED-5150", []string{`yamlESC\x41PED-5150`}},
		{"wrapped", "ml:\n    provider: generic\n    verify: token\n    header: X-ML\n    secret: \"foldedSECRETpart1\n      foldedSECRETpart2\"", "foldedSECRETpart1 foldedSECRETpart2", []string{"foldedSECRETpart1", "foldedSECRETpart2"}},
		{"doubled quote", `sq: { provider: generic, verify: token, header: X-SQ, secret: 'quote''dSECRET-2468' }`, "quote'dSECRET-2468", []string{"quote''dSECRET-2468"}},
		{"plain", `pl: { provider: generic, verify: token, header: X-PL, secret: genhLITERAL-778811 }`, "genhLITERAL-778811", []string{"genhLITERAL-778811"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "hooks.yaml")
			if err := os.WriteFile(p, []byte("sources:\n  "+tc.source+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg, err := config.Load(p)
			if err != nil {
				t.Fatal(err)
			}
			snap, err := ruleset.Build(cfg)
			if err != nil {
				t.Fatal(err)
			}
			rev, err := revision(snap)
			if err != nil {
				t.Fatal(err)
			}
			text := rev.Files["hooks.yaml"]
			for _, s := range tc.shown {
				if strings.Contains(text, s) {
					t.Errorf("the stored revision holds %q:\n%s", s, text)
				}
			}
			// Rebuilt from the store, it has the secret again.
			back, err := yamlsecret.Restore(text, cfg.Secrets)
			if err != nil {
				t.Fatal(err)
			}
			again, err := config.ParseRevision(p, map[string][]byte{"hooks.yaml": []byte(back)}, os.LookupEnv)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(again.Secrets, tc.secret) {
				t.Errorf("the rebuilt config lost the secret %q: %q", tc.secret, again.Secrets)
			}
		})
	}
}
