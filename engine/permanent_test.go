package engine_test

import (
	"context"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/engine"
	"github.com/hookrunner/hookrunner/payload"
	"github.com/hookrunner/hookrunner/providers"
	"github.com/hookrunner/hookrunner/store"
	"github.com/hookrunner/hookrunner/store/sqlite"
)

// A shell action that cannot run (exit 127, not found; or not startable)
// goes dead at its first attempt, with the reason, though the rule allows
// more; an ordinary failure is retried.
func TestUnrunnableCommandGoesDeadAtOnce(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "hr.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	snap := build(t, []byte(`sources:
  gh: { provider: github, secret: "s3cret-for-tests" }
rules:
  - name: via-env
    source: gh
    retry: { attempts: 5, backoff: 1ms, max_backoff: 1ms }
    actions: [ { shell: { command: ["/usr/bin/env", "hookrunner-no-such-program"] } } ]
  - name: missing
    source: gh
    retry: { attempts: 5, backoff: 1ms, max_backoff: 1ms }
    actions: [ { shell: { command: ["`+filepath.Join(dir, "missing.sh")+`"] } } ]
  - name: flaky
    source: gh
    retry: { attempts: 2, backoff: 1ms, max_backoff: 1ms }
    actions: [ { shell: { command: ["/bin/sh", "-c", "exit 1"] } } ]
`))
	eng := engine.New(snap, engine.Options{Store: st, Logger: slog.New(slog.DiscardHandler)})
	done := make(chan error, 1)
	go func() { done <- eng.Run(ctx, engine.RunOptions{Workers: 2, PollInterval: 10 * time.Millisecond}) }()
	defer func() { cancel(); <-done }()

	body := []byte(`{"ref":"x"}`)
	doc, _, _ := payload.Decode("application/json", body)
	acc, err := eng.Accept(ctx, &engine.Received{Snapshot: snap, Source: snap.Sources["gh"], Identity: providers.Identity{Event: "push", DeliveryID: "p-1"},
		Header: http.Header{"Content-Type": {"application/json"}}, Body: body, Payload: doc, RemoteIP: "127.0.0.1", ReceivedAt: time.Now()})
	if err != nil || len(acc.Matched) != 3 {
		t.Fatalf("accept: %+v %v", acc, err)
	}
	want := map[string]struct {
		attempts int
		err      string
	}{
		"via-env": {1, "exit status 127"},
		"missing": {1, "no such file or directory"},
		"flaky":   {2, "exit status 1"},
	}
	deadline := time.Now().Add(20 * time.Second)
	for rule, w := range want {
		for {
			runs, err := st.ListRuns(ctx, store.RunFilter{Rule: rule})
			if err != nil || len(runs) != 1 {
				t.Fatalf("%s: runs %v %v", rule, runs, err)
			}
			if runs[0].State == store.Dead {
				_, atts, err := st.GetRun(ctx, runs[0].ID)
				if err != nil {
					t.Fatal(err)
				}
				if len(atts) != w.attempts {
					t.Errorf("%s: %d attempts, want %d", rule, len(atts), w.attempts)
				}
				last := atts[len(atts)-1].Error
				if !strings.Contains(last, w.err) || (w.attempts == 1) != strings.Contains(last, "permanent: not retried") {
					t.Errorf("%s: error %q", rule, last)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: still %s", rule, runs[0].State)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}
