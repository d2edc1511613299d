package examples_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/hookrunner/hookrunner/ruletest"
)

// shippedConfigs lists every config the repository ships: the quick-start
// hooks.yaml and each example's. Each has rule tests beside it.
func shippedConfigs(t *testing.T) []string {
	t.Helper()
	configs, err := filepath.Glob("*/hooks.yaml")
	if err != nil {
		t.Fatal(err)
	}
	configs = append(configs, filepath.Join("..", "hooks.yaml"))
	if len(configs) < 9 {
		t.Fatalf("found only %v", configs)
	}
	return configs
}

var defaultedVar = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*):-`)

// unsetDefaults clears the variables the config reads with a default, so
// the tests see the defaults written in the file whatever the environment
// holds (restored after the test).
func unsetDefaults(t *testing.T, config string) {
	t.Helper()
	b, err := os.ReadFile(config)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range defaultedVar.FindAllSubmatch(b, -1) {
		name := string(m[1])
		t.Setenv(name, "")
		os.Unsetenv(name)
	}
}

// TestShippedRuleTests runs the rule tests of every shipped config: each
// must have some, and all must pass (CI runs them with go test).
func TestShippedRuleTests(t *testing.T) {
	for _, cfg := range shippedConfigs(t) {
		name := filepath.Base(filepath.Dir(cfg))
		if name == ".." {
			name = "quickstart"
		}
		t.Run(name, func(t *testing.T) {
			unsetDefaults(t, cfg)
			var out bytes.Buffer
			res, err := ruletest.Run(context.Background(), ruletest.Options{Config: cfg, Out: &out})
			if err != nil {
				t.Fatalf("%s: %v\n%s", cfg, err, out.String())
			}
			if res.Failed != 0 || res.Passed < 1 {
				t.Fatalf("%s: %d passed, %d failed\n%s", cfg, res.Passed, res.Failed, out.String())
			}
			// Every rule of the config is exercised by a case that expects it to match.
			matched := map[string]bool{}
			for _, f := range res.Files {
				b, _ := os.ReadFile(f)
				for _, m := range regexp.MustCompile(`(?m)^    match: \[(.*)\]`).FindAllSubmatch(b, -1) {
					for _, r := range regexp.MustCompile(`[^,\s]+`).FindAll(m[1], -1) {
						matched[string(r)] = true
					}
				}
			}
			cb, _ := os.ReadFile(cfg)
			for _, m := range regexp.MustCompile(`(?m)^  - name: (\S+)`).FindAllSubmatch(cb, -1) {
				if !matched[string(m[1])] {
					t.Errorf("%s: no case expects rule %s to match", cfg, m[1])
				}
			}
		})
	}
}
