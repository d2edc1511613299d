package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/app"
	"github.com/hookrunner/hookrunner/ruleset"
	"github.com/hookrunner/hookrunner/store"
)

// TestReplaySince: `replay --rule R --since 1h` queues only the dead runs
// of R created within the hour.
func TestReplaySince(t *testing.T) {
	dir := t.TempDir()
	cfg := writeFile(t, dir, "hooks.yaml", fmt.Sprintf(`
store: { dsn: %q }
sources:
  hook: { provider: generic, verify: none }
rules:
  - name: work
    source: hook
    actions:
      - shell: { command: ["/bin/true"] }
`, filepath.Join(dir, "hr.db")))
	ctx := context.Background()
	snap, err := ruleset.Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	st, _, err := app.OpenStore(ctx, snap.Config.Store, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	var ids []string
	for _, age := range []time.Duration{3 * time.Hour, 10 * time.Minute} {
		at := now.Add(-age)
		ev := &store.Event{ID: store.NewID(), Source: "hook", Provider: "generic", Event: "hook", Body: []byte(`{}`),
			ReceivedAt: at, Verification: "none", Matched: []string{"work"}, ConfigHash: snap.Hash}
		r := &store.Run{ID: store.NewID(), EventID: ev.ID, Rule: "work", ConfigHash: snap.Hash, State: store.Dead,
			NextAttemptAt: at, CreatedAt: at, UpdatedAt: at}
		ids = append(ids, r.ID)
		if _, err := st.Ingest(ctx, ev, []*store.Run{r}, at.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()

	out, code := runCmd(t, "replay", "--config", cfg, "--rule", "work", "--since", "1h")
	if code != 0 || strings.Count(out, "queued run ") != 1 || !strings.Contains(out, "replay of "+ids[1]) {
		t.Fatalf("replay --since 1h: exit %d\n%s", code, out)
	}
	out, code = runCmd(t, "replay", "--config", cfg, "--rule", "work", "--since", "1h")
	if code != 0 || !strings.Contains(out, "nothing to replay") {
		t.Fatalf("second replay --since 1h: exit %d\n%s", code, out)
	}
	if out, code := runCmd(t, "replay", "--config", cfg, "--rule", "work", "--since", "soon"); code == 0 {
		t.Fatalf("replay --since soon: exit 0\n%s", out)
	}
}
