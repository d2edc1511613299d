package config

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// DefaultTestFile is the rule test file of the config at path when it has
// no tests: key: <name>.test.yaml beside it (hooks.test.yaml for
// hooks.yaml).
func DefaultTestFile(path string) string {
	ext := filepath.Ext(path)
	return strings.TrimSuffix(path, ext) + ".test" + ext
}

// TestFiles returns the rule test files of the config, in order: every
// file the tests: patterns name (relative to the config's folder), or
// DefaultTestFile. A named file that does not exist, or a pattern that
// matches nothing, is an error: a test that silently vanished would pass.
func (c *Config) TestFiles() ([]string, error) {
	if len(c.Tests) == 0 {
		p := filepath.Clean(DefaultTestFile(c.Path))
		if _, err := os.Stat(p); os.IsNotExist(err) {
			return nil, fmt.Errorf("no rule tests: %s does not exist (write it, or list test files under tests: in %s)", p, filepath.Base(c.Path))
		} else if err != nil {
			return nil, fmt.Errorf("rule tests: %w", err)
		}
		return []string{p}, nil
	}
	var out []string
	seen := map[string]bool{}
	for i, pattern := range c.Tests {
		p := pattern
		if !filepath.IsAbs(p) {
			p = filepath.Join(c.Dir, p)
		}
		files, err := filepath.Glob(p)
		if err != nil {
			return nil, fmt.Errorf("%s: tests[%d]: bad pattern %q: %w", filepath.Base(c.Path), i, pattern, err)
		}
		if len(files) == 0 {
			return nil, fmt.Errorf("%s: tests[%d]: %s: no such file", filepath.Base(c.Path), i, pattern)
		}
		sort.Strings(files)
		for _, f := range files {
			if !seen[f] {
				seen[f] = true
				out = append(out, f)
			}
		}
	}
	return out, nil
}
