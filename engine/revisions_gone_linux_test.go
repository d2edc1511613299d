package engine_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/config"
	"github.com/hookrunner/hookrunner/engine"
	"github.com/hookrunner/hookrunner/ruleset"
	"github.com/hookrunner/hookrunner/store"
)

// revisionWaits is engine.revisionWaits: the one-minute waits before a
// run whose rule needs a secret that is gone goes dead.
const revisionWaits = 60

// goneConfig is a config whose rule "work" uses no secret, rule "gh" a
// source with a secret file, and rule "envarg" a ${VAR} in its command.
func goneConfig(dir, ghSecret, arg string) string {
	return fmt.Sprintf(`
sources:
  hook: { provider: generic, verify: none }
  gh: { provider: github, secret_file: %[2]s }
rules:
  - name: work
    source: hook
    retry: { attempts: 1 }
    actions: [ { shell: { command: ["/bin/sh", "-c", "echo work >> out"], dir: %[1]q } } ]
  - name: gh
    source: gh
    retry: { attempts: 1 }
    actions: [ { shell: { command: ["/bin/sh", "-c", "echo gh >> out"], dir: %[1]q } } ]
  - name: envarg
    source: hook
    retry: { attempts: 1 }
    actions: [ { shell: { command: ["/bin/sh", "-c", "echo envarg >> out", "sh", %[3]q], dir: %[1]q } } ]
`, dir, ghSecret, arg)
}

func loadSnap(t *testing.T, path, text string) *ruleset.Snapshot {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := ruleset.Build(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// A run queued under a config revision whose secret file or ${VAR} is gone
// since (a rotation, a restart without the variable): a run whose rule and
// source use none of them runs; one that needs one waits without spending
// an attempt, runs once the secret is back, or goes dead, replayable under
// the config in force, after revisionWaits waits.
func TestRevisionWithSecretsGone(t *testing.T) {
	for _, tc := range []struct {
		name, rule string
		back       bool // the secret comes back after a few waits
		want       store.State
	}{
		{"a secret its rule does not use is gone: it runs", "work", false, store.Succeeded},
		{"its source's secret file is gone, then back: it runs", "gh", true, store.Succeeded},
		{"its action's variable is gone, then back: it runs", "envarg", true, store.Succeeded},
		{"its source's secret file is gone for good: dead", "gh", false, store.Dead},
		{"its action's variable is gone for good: dead", "envarg", false, store.Dead},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "hooks.yaml")
			os.WriteFile(filepath.Join(dir, "gh-old.secret"), []byte("old-github-secret-value\n"), 0o600)
			os.WriteFile(filepath.Join(dir, "gh-new.secret"), []byte("new-github-secret-value\n"), 0o600)
			t.Setenv("HR_TEST_ARG_SECRET", "arg-secret-value-1234")
			snapA := loadSnap(t, path, goneConfig(dir, "gh-old.secret", "${HR_TEST_ARG_SECRET}"))
			st := openStore(t, filepath.Join(dir, "hr.db"))
			defer st.Close()
			ctx := context.Background()
			if err := engine.New(snapA, engine.Options{Store: st}).RecordRevision(ctx, snapA); err != nil {
				t.Fatal(err)
			}
			run := addRevisionRun(t, st, tc.rule, snapA.Hash)

			// The rotation: a new config, the old secret file deleted, the
			// variable no longer set; then a restart.
			snapB := loadSnap(t, path, goneConfig(dir, "gh-new.secret", "plain"))
			os.Remove(filepath.Join(dir, "gh-old.secret"))
			os.Unsetenv("HR_TEST_ARG_SECRET")
			var ahead atomic.Int64 // the engine's clock: waits pass when the test says
			e := engine.New(snapB, engine.Options{Store: st, RecoverOnStart: true,
				Now: func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) }})
			if err := e.RecordRevision(ctx, snapB); err != nil {
				t.Fatal(err)
			}
			rctx, cancel := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() {
				done <- e.Run(rctx, engine.RunOptions{Workers: 2, PollInterval: 20 * time.Millisecond, Grace: time.Second})
			}()
			defer func() { cancel(); <-done }()

			waits := 0
			if tc.rule != "work" {
				waits = revisionWaits
				if tc.back {
					waits = 3
				}
			}
			for i := 1; i <= waits; i++ {
				waitFor(t, fmt.Sprintf("wait %d", i), func() bool {
					r, _ := runState(t, st, run.ID)
					return r.Interrupted >= i
				})
				r, _ := runState(t, st, run.ID)
				if r.State != store.Retrying || r.Spent() != 0 {
					t.Fatalf("wait %d: state %s, %d attempts spent: %s", i, r.State, r.Spent(), r.LastError)
				}
				for _, part := range []string{snapA.Hash, `rule "` + tc.rule + `"`, map[string]string{"gh": "gh-old.secret", "envarg": "HR_TEST_ARG_SECRET"}[tc.rule]} {
					if !strings.Contains(r.LastError, part) {
						t.Fatalf("the wait's reason %q does not name %q", r.LastError, part)
					}
				}
				if i == waits && tc.back {
					os.WriteFile(filepath.Join(dir, "gh-old.secret"), []byte("old-github-secret-value\n"), 0o600)
					os.Setenv("HR_TEST_ARG_SECRET", "arg-secret-value-1234")
				}
				ahead.Add(int64(61 * time.Second))
			}
			waitFor(t, "the run to end", func() bool {
				r, _ := runState(t, st, run.ID)
				return r.State.Terminal()
			})
			r, _ := runState(t, st, run.ID)
			if r.State != tc.want {
				t.Fatalf("run is %s, want %s: %s", r.State, tc.want, r.LastError)
			}
			if tc.want == store.Succeeded {
				if r.Spent() != 1 || readFile(filepath.Join(dir, "out")) != tc.rule {
					t.Fatalf("ran with %d attempts spent, output %q", r.Spent(), readFile(filepath.Join(dir, "out")))
				}
				return
			}
			if !strings.Contains(r.LastError, fmt.Sprintf("waited %d minutes: dead", revisionWaits)) {
				t.Fatalf("dead for %q", r.LastError)
			}
			// Dead, it is replayed under the config in force, and runs.
			again, err := e.ReplayRun(ctx, run.ID)
			if err != nil {
				t.Fatal(err)
			}
			waitFor(t, "the replay to succeed", func() bool {
				r, _ := runState(t, st, again.ID)
				return r.State == store.Succeeded
			})
		})
	}
}

func addRevisionRun(t *testing.T, st store.Store, rule, hash string) *store.Run {
	t.Helper()
	now := time.Now()
	source := map[string]string{"gh": "gh"}[rule]
	if source == "" {
		source = "hook"
	}
	ev := &store.Event{ID: store.NewID(), Source: source, Provider: "generic", Event: "e", Headers: map[string]string{"content-type": "application/json"},
		Body: []byte(`{}`), RemoteIP: "127.0.0.1", ReceivedAt: now, Verification: "none", Matched: []string{rule}}
	r := &store.Run{ID: store.NewID(), EventID: ev.ID, Rule: rule, ConfigHash: hash, State: store.Pending, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now}
	if _, err := st.Ingest(context.Background(), ev, []*store.Run{r}, now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	return r
}
