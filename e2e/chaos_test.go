package e2e

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestChaosToolSmallest runs bench/chaos in its smallest mode against the
// binary under test: 2,000 signed events at 400/s on SQLite, two SIGKILLs
// and restarts while sending. The tool exits non-zero unless every
// acknowledged event is stored with its run, every run succeeded, and each
// re-run is an attempt a kill cut short; the test also checks its table.
func TestChaosToolSmallest(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	tool := filepath.Join(t.TempDir(), "chaos")
	if out, err := exec.Command("go", "build", "-o", tool, "github.com/hookrunner/hookrunner/bench/chaos").CombinedOutput(); err != nil {
		t.Fatalf("build bench/chaos: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, tool, "-hookrunner", binary, "-stores", "sqlite",
		"-events", "2000", "-rate", "400", "-kill-every", "1500ms", "-max-kills", "2",
		"-clients", "16", "-drain", "40s", "-timeout", "80s")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("chaos tool failed: %v\n%s", err, out)
	}
	var row []string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "| sqlite |") {
			row = strings.Split(strings.Trim(l, "| "), " | ")
		}
	}
	// store, processes, sent, acked, lost, runs, succeeded, not finished,
	// re-run (bound), unexplained, kills, sending, acked/s, total
	if len(row) != 14 {
		t.Fatalf("no sqlite row in the summary:\n%s", out)
	}
	for i, want := range map[int]string{2: "2000", 3: "2000", 4: "**0**", 5: "2000", 6: "2000", 7: "**0**", 9: "**0**", 10: "2"} {
		if row[i] != want {
			t.Errorf("column %d = %q, want %q\n%s", i, row[i], want, out)
		}
	}
	if !strings.Contains(string(out), "Verdict: **PASS**") {
		t.Errorf("no PASS verdict:\n%s", out)
	}
	t.Logf("%s", out)
}
