package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/hookrunner/hookrunner/engine"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/store"
	"github.com/hookrunner/hookrunner/store/sqlite"
)

// TestCrashRestartLosesNothing sends 2,000 events from 20 clients while the
// binary is killed with SIGKILL and restarted 5 times. Every acknowledged
// event must be stored and its run must succeed; an event id may appear
// twice in the action's log only for a run that was in flight at a kill
// (recorded as a second attempt).
func TestCrashRestartLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short mode")
	}
	dir := t.TempDir()
	addr := freePort(t)
	cfg := fmt.Sprintf(`
server: { listen: %q }
admin: { listen: %q }
store: { driver: sqlite, dsn: hr.db }
runner: { workers: 8, poll_interval: 100ms }
log: { level: warn }
sources:
  hook: { provider: generic, verify: token, header: X-Token, secret: crash-token, id_header: X-Delivery }
rules:
  - name: record
    source: hook
    actions:
      - shell: { command: ["/bin/sh", "-c", "printf '%%s\n' \"$HOOKRUNNER_EVENT_ID\" >> ids.log"] }
`, addr, freePort(t))
	if err := os.WriteFile(filepath.Join(dir, "hooks.yaml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startProc(t, dir, "hooks.yaml", addr)
	var mu sync.Mutex
	cur := p

	const total, clients, kills = 2000, 20, 5
	acked := make([]string, total)
	var nAcked atomic.Int32
	work := make(chan int, total)
	for i := 0; i < total; i++ {
		work <- i
	}
	close(work)
	client := &http.Client{Timeout: 10 * time.Second}
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				body := fmt.Sprintf(`{"n": %d}`, i)
				deadline := time.Now().Add(60 * time.Second)
				for time.Now().Before(deadline) {
					req, _ := http.NewRequest("POST", "http://"+addr+"/hooks/hook", strings.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("X-Token", "crash-token")
					req.Header.Set("X-Delivery", fmt.Sprintf("crash-%d", i))
					resp, err := client.Do(req)
					if err == nil {
						var ans struct{ ID string }
						_ = json.NewDecoder(resp.Body).Decode(&ans)
						resp.Body.Close()
						if resp.StatusCode/100 == 2 && ans.ID != "" {
							acked[i] = ans.ID
							nAcked.Add(1)
							break
						}
					}
					time.Sleep(20 * time.Millisecond) // input: a sender retries
				}
			}
		}()
	}
	// The killer: SIGKILL every 300 acknowledged events, restart at once.
	killed := 0
	for killed < kills {
		want := int32(300 * (killed + 1))
		waitUntil(t, fmt.Sprintf("%d acknowledged events", want), 60*time.Second, func() bool { return nAcked.Load() >= want })
		mu.Lock()
		cur.kill()
		killed++
		cur = startProc(t, dir, "hooks.yaml", addr)
		mu.Unlock()
	}
	wg.Wait()
	if n := nAcked.Load(); n != total {
		t.Fatalf("only %d of %d events were acknowledged", n, total)
	}
	// Let the last process finish the queue, then stop it cleanly.
	db := filepath.Join(dir, "hr.db")
	waitUntil(t, "no pending or running run", 120*time.Second, func() bool {
		out, _ := runCLI(t, dir, "runs", "--config", "hooks.yaml", "--state", "pending", "--limit", "1")
		out2, _ := runCLI(t, dir, "runs", "--config", "hooks.yaml", "--state", "running", "--limit", "1")
		return strings.Count(out, "\n") <= 1 && strings.Count(out2, "\n") <= 1
	})
	cur.term(t)

	st, err := sqlite.Open(context.Background(), db, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	counts := map[string]int{}
	for _, id := range readLines(filepath.Join(dir, "ids.log")) {
		counts[id]++
	}
	twice := 0
	for i, id := range acked {
		if _, err := st.GetEvent(ctx, id); err != nil {
			t.Fatalf("acknowledged event %d (%s) is not in the store: %v", i, id, err)
		}
		runs, err := st.ListRuns(ctx, store.RunFilter{EventID: id})
		if err != nil || len(runs) != 1 {
			t.Fatalf("event %s has %d runs (%v)", id, len(runs), err)
		}
		if runs[0].State != store.Succeeded {
			t.Fatalf("run of event %s is %s: %s", id, runs[0].State, runs[0].LastError)
		}
		switch n := counts[id]; {
		case n == 0:
			t.Fatalf("event %s acknowledged and succeeded, but its action never ran", id)
		case n > 1:
			twice++
			if runs[0].Attempt < 2 {
				t.Fatalf("event %s ran %d times but its run has only %d attempt(s): not an interrupted run", id, n, runs[0].Attempt)
			}
		}
	}
	// A kill finds at most 8 workers' actions running and
	// engine.RecordingPerWorker outcomes a worker still being committed.
	if most := kills * 8 * (1 + engine.RecordingPerWorker); twice > most {
		t.Fatalf("%d events ran twice; at most %d runs can be unrecorded across %d kills", twice, most, kills)
	}
	t.Logf("%d events acknowledged, all stored and succeeded; %d re-run after a kill", total, twice)
}
