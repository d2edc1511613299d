package engine_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/engine"
	"github.com/hookrunner/hookrunner/store"
)

// A `respond: sync`/`stream` run in progress at shutdown takes part in the
// drain as a worker's run does: it gets the grace, then is cancelled (its
// whole process group killed, a background child too) and recorded as
// interrupted, pending, with no attempt spent; Run returns only once it is
// recorded.
func TestShutdownDrainsSyncRuns(t *testing.T) {
	for _, tc := range []struct {
		name    string
		stream  bool
		release bool // the action finishes within the grace
		want    store.State
	}{
		{"sync, outlasts the grace", false, false, store.Pending},
		{"stream, outlasts the grace", true, false, store.Pending},
		{"sync, finishes within the grace", false, true, store.Succeeded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeScript(t, filepath.Join(dir, "act.sh"), `d="$1"
sleep 101 & echo $! > "$d/bg.tmp" && mv "$d/bg.tmp" "$d/bg.pid"
echo $$ > "$d/sh.tmp" && mv "$d/sh.tmp" "$d/sh.pid"
while [ ! -e "$d/release" ]; do sleep 0.02; done
kill $!; echo done
`)
			respond := "sync"
			if tc.stream {
				respond = "stream"
			}
			cfg := fmt.Sprintf(`
sources:
  hook: { provider: generic, verify: none }
rules:
  - name: now
    source: hook
    respond: %s
    sync_timeout: 60s
    retry: { attempts: 1 }
    actions:
      - shell: { command: [%q, %q], timeout: 60s, kill_grace: 100ms }
`, respond, filepath.Join(dir, "act.sh"), dir)
			st := openStore(t, filepath.Join(dir, "hr.db"))
			defer st.Close()
			snap := build(t, []byte(cfg))
			e := engine.New(snap, engine.Options{Store: st, Owner: "me"})
			run := addRun(t, st, "now")
			// Claimed as Accept claims a sync run, for this process.
			if got, err := st.Claim(context.Background(), store.ClaimOptions{Owner: "me", Limit: 1, Lease: time.Minute, Now: time.Now()}); err != nil || len(got) != 1 {
				t.Fatalf("claim: %v %v", got, err)
			}
			run.Attempt = 1
			ctx, cancel := context.WithCancel(context.Background())
			ran := make(chan error, 1)
			go func() {
				ran <- e.Run(ctx, engine.RunOptions{Workers: 2, PollInterval: 20 * time.Millisecond, Grace: 300 * time.Millisecond})
			}()
			answered := make(chan engine.SyncResult, 1)
			go func() {
				var out bytes.Buffer
				if tc.stream {
					answered <- e.RunStream(context.Background(), run, snap.Rules["now"], &out)
					return
				}
				answered <- e.RunSync(context.Background(), run, snap.Rules["now"])
			}()
			waitFor(t, "the action to start", func() bool { return readFile(filepath.Join(dir, "sh.pid")) != "" })
			pids := []string{readFile(filepath.Join(dir, "sh.pid")), readFile(filepath.Join(dir, "bg.pid"))}
			t.Cleanup(func() {
				for _, p := range pids {
					if n, _ := strconv.Atoi(p); n > 0 && !procGone(n) {
						syscall.Kill(n, syscall.SIGKILL)
					}
				}
			})
			cancel() // SIGTERM
			if tc.release {
				os.WriteFile(filepath.Join(dir, "release"), nil, 0o600)
			}
			select {
			case <-ran:
			case <-time.After(30 * time.Second):
				t.Fatal("Run did not return")
			}
			// Run has returned: the sync run is recorded, its processes gone.
			r, atts := runState(t, st, run.ID)
			if r.State != tc.want {
				t.Fatalf("when Run returned the sync run was %s, want %s: %s", r.State, tc.want, r.LastError)
			}
			for _, p := range pids {
				if n, _ := strconv.Atoi(p); !procGone(n) {
					t.Fatalf("process %d of the sync action outlived Run", n)
				}
			}
			if tc.want == store.Pending && (r.Interrupted != 1 || r.Spent() != 0 || len(atts) != 1 || !atts[0].Interrupted) {
				t.Fatalf("interrupted sync run: interrupted %d, spent %d, attempts %+v", r.Interrupted, r.Spent(), atts)
			}
			if res := <-answered; res.State != tc.want {
				t.Fatalf("the request was answered with state %s", res.State)
			}
		})
	}
}
