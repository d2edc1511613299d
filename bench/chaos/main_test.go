package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestExplain(t *testing.T) {
	for _, c := range []struct {
		name     string
		copies   []int
		finished map[int]bool
		ok       bool
	}{
		{"cut short by a kill, re-run", []int{1, 2}, map[int]bool{2: true}, true},
		{"two kills", []int{1, 2, 3}, map[int]bool{3: true}, true},
		{"same attempt twice", []int{1, 1}, map[int]bool{1: true}, false},
		{"first attempt had finished", []int{1, 2}, map[int]bool{1: true, 2: true}, false},
		{"out of order in the log", []int{2, 1}, map[int]bool{2: true}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			if why := explain(c.copies, c.finished); (why == "") != c.ok {
				t.Fatalf("explain(%v, %v) = %q, want explained=%v", c.copies, c.finished, why, c.ok)
			}
		})
	}
}

func TestRecordReplacesTheChaosSection(t *testing.T) {
	path := filepath.Join(t.TempDir(), "RESULTS.md")
	os.WriteFile(path, []byte("# Results\n\n## Ingest\n\nfigures\n\n## Chaos: old (x)\n\nold table\n\n## Later\n\nkept\n"), 0o600)
	if err := record(path, "## Chaos: new\n\nnew table\n"); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	s := string(b)
	for _, want := range []string{"## Ingest\n\nfigures\n", "## Chaos: new\n\nnew table\n", "bench/chaos.sh", "## Later\n\nkept\n"} {
		if !strings.Contains(s, want) {
			t.Errorf("missing %q in:\n%s", want, s)
		}
	}
	if strings.Contains(s, "old table") || strings.Count(s, "## Chaos") != 1 {
		t.Errorf("old section kept:\n%s", s)
	}
	// Without a Chaos section it is appended.
	os.WriteFile(path, []byte("# Results\n"), 0o600)
	if err := record(path, "## Chaos: new\n"); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); !strings.HasPrefix(string(b), "# Results\n\n## Chaos: new\n") {
		t.Errorf("not appended:\n%s", b)
	}
}
