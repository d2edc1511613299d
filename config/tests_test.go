package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookrunner/hookrunner/config"
)

// TestTestFiles: tests: names the rule test files relative to the
// config's folder (globs, in order, each once); without it the file is
// <name>.test.yaml beside the config; a missing file is an error.
func TestTestFiles(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"hooks.test.yaml", "prod.test.yaml", "cases/b.yaml", "cases/a.yaml"} {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(f)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, f), []byte("cases: []\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	j := func(names ...string) string {
		var out []string
		for _, n := range names {
			out = append(out, filepath.Join(dir, n))
		}
		return strings.Join(out, ",")
	}
	tests := []struct {
		name, file, tests, want, err string
	}{
		{name: "default", file: "hooks.yaml", want: j("hooks.test.yaml")},
		{name: "default of another name", file: "prod.yaml", want: j("prod.test.yaml")},
		{name: "default missing", file: "staging.yaml", err: "staging.test.yaml does not exist (write it, or list test files under tests: in staging.yaml)"},
		{name: "glob and a file, each once", file: "hooks.yaml", tests: `["cases/*.yaml", "hooks.test.yaml", "cases/a.yaml"]`, want: j("cases/a.yaml", "cases/b.yaml", "hooks.test.yaml")},
		{name: "named file missing", file: "hooks.yaml", tests: `["cases/c.yaml"]`, err: "hooks.yaml: tests[0]: cases/c.yaml: no such file"},
		{name: "glob matching nothing", file: "hooks.yaml", tests: `["none/*.yaml"]`, err: "tests[0]: none/*.yaml: no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			yaml := base
			if tt.tests != "" {
				yaml += "\ntests: " + tt.tests + "\n"
			}
			cfg, err := config.Parse(filepath.Join(dir, tt.file), []byte(yaml), env(nil))
			if err != nil {
				t.Fatal(err)
			}
			files, err := cfg.TestFiles()
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(files, ","); got != tt.want {
				t.Errorf("files = %s\nwant    %s", got, tt.want)
			}
		})
	}
}
