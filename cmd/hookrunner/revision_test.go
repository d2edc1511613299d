package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/app"
	"github.com/hookrunner/hookrunner/engine"
	"github.com/hookrunner/hookrunner/ruleset"
	"github.com/hookrunner/hookrunner/store"
)

// TestRunsShowsRevision: "runs ID" names the config revision a run was
// matched under and says whether it is still in force; --diff prints what
// changed since, redacted. Store mode and server mode.
func TestRunsShowsRevision(t *testing.T) {
	const secret = "lit-CLIREV-5e5e5e"
	dir := t.TempDir()
	conf := func(word, extra string) string {
		return fmt.Sprintf(`
server: { listen: "127.0.0.1:0" }
admin: { listen: "127.0.0.1:0" }
store: { dsn: %q }
sources:
  hook: { provider: generic, verify: none }
%srules:
  - name: work
    source: hook
    actions:
      - shell: { command: ["/bin/echo", %q] }
`, filepath.Join(dir, "hr.db"), extra, word)
	}
	cfg := writeFile(t, dir, "hooks.yaml", conf("alpha", "  gh: { provider: github, secret: \""+secret+"\" }\n"))

	// A run matched under revision A, recorded as the server records it.
	ctx := context.Background()
	snapA, err := ruleset.Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	st, _, err := app.OpenStore(ctx, snapA.Config.Store, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := engine.New(snapA, engine.Options{Store: st}).RecordRevision(ctx, snapA); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	ev := &store.Event{ID: store.NewID(), Source: "hook", Provider: "generic", Event: "hook", Body: []byte(`{}`),
		ReceivedAt: now, Verification: "none", Matched: []string{"work"}, ConfigHash: snapA.Hash}
	run := &store.Run{ID: store.NewID(), EventID: ev.ID, Rule: "work", ConfigHash: snapA.Hash, State: store.Pending,
		NextAttemptAt: now.Add(time.Hour), CreatedAt: now, UpdatedAt: now} // not due: it stays pending
	if _, err := st.Ingest(ctx, ev, []*store.Run{run}, now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	st.Close()

	check := func(t *testing.T, args ...string) {
		t.Helper()
		out, code := runCmd(t, append(args, "--diff")...)
		if code != 0 {
			t.Fatalf("runs: exit %d: %s", code, out)
		}
		for _, want := range []string{
			"config revision: " + snapA.Hash + " (config changed since; in force: ",
			"\n-      - shell: { command: [\"/bin/echo\", \"alpha\"] }\n+      - shell: { command: [\"/bin/echo\", \"beta\"] }\n",
			"\n-  gh: { provider: github, secret: \"[REDACTED]\" }\n",
		} {
			if !strings.Contains(out, want) {
				t.Fatalf("runs ID --diff lacks %q:\n%s", want, out)
			}
		}
		if strings.Contains(out, secret) {
			t.Fatalf("runs ID --diff leaks the literal secret:\n%s", out)
		}
		out, _ = runCmd(t, args...)
		if strings.Contains(out, "+++ ") || !strings.Contains(out, "(config changed since; in force: ") {
			t.Fatalf("runs ID without --diff:\n%s", out)
		}
	}

	writeFile(t, dir, "hooks.yaml", conf("beta", ""))
	t.Run("store", func(t *testing.T) { check(t, "runs", "--config", cfg, run.ID) })

	t.Run("server", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		ready := make(chan [2]string, 1)
		done := make(chan error, 1)
		go func() {
			done <- app.Run(ctx, app.Options{ConfigPath: cfg, LogOutput: io.Discard, Ready: func(p, a string) { ready <- [2]string{p, a} }})
		}()
		var addrs [2]string
		select {
		case addrs = <-ready:
		case err := <-done:
			t.Fatalf("app: %v", err)
		}
		defer func() { cancel(); <-done }()
		check(t, "runs", "--server", "http://"+addrs[1], run.ID)
	})

	// The config in force again: the run's revision is in force.
	writeFile(t, dir, "hooks.yaml", conf("alpha", "  gh: { provider: github, secret: \""+secret+"\" }\n"))
	if out, _ := runCmd(t, "runs", "--config", cfg, run.ID, "--diff"); !strings.Contains(out, "config revision: "+snapA.Hash+" (in force)\n") || strings.Contains(out, "+++ ") {
		t.Fatalf("runs ID under its own revision:\n%s", out)
	}
}
