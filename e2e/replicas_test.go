package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/internal/pgtest"
	"github.com/hookrunner/hookrunner/store"
	"github.com/hookrunner/hookrunner/store/postgres"
)

// TestReplicasOnPostgres runs 3 replicas on one PostgreSQL, sends 3,000
// events spread over them (every 10th delivery to two replicas at once) and
// SIGKILLs one replica midway. Every acknowledged event is stored once and
// its runs complete exactly once — except runs in flight on the killed
// replica, which complete on another — and a concurrency-1 rule never runs
// on two replicas at the same time.
func TestReplicasOnPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	dsn := pgtest.DSN(t)
	ctx := context.Background()

	shared := t.TempDir()
	type replica struct {
		dir, addr string
		p         *proc
		dead      atomic.Bool
	}
	var reps []*replica
	for i := 0; i < 3; i++ {
		r := &replica{dir: t.TempDir(), addr: freePort(t)}
		cfg := fmt.Sprintf(`
server: { listen: %q }
admin: { listen: %q }
store: { driver: postgres, dsn: %q }
runner: { workers: 4, lease: 3s, poll_interval: 200ms }
log: { level: warn }
sources:
  hook: { provider: generic, verify: token, header: X-Token, secret: rep-token, id_header: X-Delivery }
rules:
  - name: record
    source: hook
    actions:
      - shell: { command: ["/bin/sh", "-c", "printf '%%s\n' \"$HOOKRUNNER_EVENT_ID\" >> %s/record.log"] }
  - name: serial
    source: hook
    if: int(payload.n) %% 30 == 0
    concurrency: 1
    actions:
      - shell: { command: ["/bin/sh", "-c", "echo \"S $HOOKRUNNER_RUN_ID $(date +%%s%%N)\" >> %s/serial.log; sleep 0.05; echo \"E $HOOKRUNNER_RUN_ID $(date +%%s%%N)\" >> %s/serial.log"] }
`, r.addr, freePort(t), dsn, shared, shared, shared)
		os.WriteFile(filepath.Join(r.dir, "hooks.yaml"), []byte(cfg), 0o600)
		r.p = startProc(t, r.dir, "hooks.yaml", r.addr)
		reps = append(reps, r)
	}
	defer func() {
		for _, r := range reps {
			if !r.dead.Load() {
				r.p.term(t)
			}
		}
	}()

	const total = 3000
	acked := make([]string, total)
	var nAcked atomic.Int32
	client := &http.Client{Timeout: 10 * time.Second}
	post := func(r *replica, i int) (string, bool) {
		req, _ := http.NewRequest("POST", "http://"+r.addr+"/hooks/hook", strings.NewReader(fmt.Sprintf(`{"n": %d}`, i)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Token", "rep-token")
		req.Header.Set("X-Delivery", fmt.Sprintf("rep-%d", i))
		resp, err := client.Do(req)
		if err != nil {
			return "", false
		}
		defer resp.Body.Close()
		var ans struct{ ID string }
		_ = json.NewDecoder(resp.Body).Decode(&ans)
		return ans.ID, resp.StatusCode/100 == 2 && ans.ID != ""
	}
	work := make(chan int, total)
	for i := 0; i < total; i++ {
		work <- i
	}
	close(work)
	var wg sync.WaitGroup
	var idsMu sync.Mutex
	for c := 0; c < 15; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for i := range work {
				deadline := time.Now().Add(60 * time.Second)
				for try := 0; time.Now().Before(deadline); try++ {
					r := reps[(i+try)%3]
					if i%10 == 0 {
						// The same delivery to two replicas at the same moment.
						other := reps[(i+try+1)%3]
						var id1, id2 string
						var ok1, ok2 bool
						var pair sync.WaitGroup
						pair.Add(2)
						go func() { defer pair.Done(); id1, ok1 = post(r, i) }()
						go func() { defer pair.Done(); id2, ok2 = post(other, i) }()
						pair.Wait()
						if ok1 && ok2 && id1 != id2 {
							t.Errorf("delivery rep-%d stored twice: %s and %s", i, id1, id2)
						}
						if ok1 || ok2 {
							idsMu.Lock()
							acked[i] = map[bool]string{true: id1, false: id2}[ok1]
							idsMu.Unlock()
							nAcked.Add(1)
							break
						}
					} else if id, ok := post(r, i); ok {
						idsMu.Lock()
						acked[i] = id
						idsMu.Unlock()
						nAcked.Add(1)
						break
					}
					time.Sleep(20 * time.Millisecond) // input: a sender retries
				}
			}
		}(c)
	}
	// Kill replica 0 halfway.
	waitUntil(t, "half the events acknowledged", 120*time.Second, func() bool { return nAcked.Load() >= total/2 })
	reps[0].p.kill()
	reps[0].dead.Store(true)
	wg.Wait()
	if n := nAcked.Load(); n != total {
		t.Fatalf("%d of %d acknowledged", n, total)
	}

	st, err := postgres.Open(ctx, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	waitUntil(t, "every run to finish", 120*time.Second, func() bool {
		counts, err := st.CountStates(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return counts[store.Pending]+counts[store.Running]+counts[store.Retrying] == 0
	})
	evs, err := st.ListEvents(ctx, store.EventFilter{Limit: 10000})
	if err != nil || len(evs) != total {
		t.Fatalf("stored %d events, want %d (duplicates stored once): %v", len(evs), total, err)
	}
	ran := map[string]int{}
	for _, id := range readLines(filepath.Join(shared, "record.log")) {
		ran[id]++
	}
	again := 0
	for i, id := range acked {
		runs, err := st.ListRuns(ctx, store.RunFilter{EventID: id, Rule: "record"})
		if err != nil || len(runs) != 1 || runs[0].State != store.Succeeded {
			t.Fatalf("event %d (%s): record runs %+v, %v", i, id, runs, err)
		}
		switch n := ran[id]; {
		case n == 0:
			t.Fatalf("event %s: action never ran", id)
		case n > 1:
			again++
			if runs[0].Attempt < 2 {
				t.Fatalf("event %s ran %d times with %d attempt(s): a run was executed twice without a takeover", id, n, runs[0].Attempt)
			}
		}
	}
	// The concurrency-1 rule never overlapped, across all replicas.
	type span struct{ start, end int64 }
	spans := map[string]*span{}
	for _, l := range readLines(filepath.Join(shared, "serial.log")) {
		f := strings.Fields(l)
		if len(f) != 3 {
			continue
		}
		ts, _ := strconv.ParseInt(f[2], 10, 64)
		s := spans[f[1]]
		if s == nil {
			s = &span{}
			spans[f[1]] = s
		}
		if f[0] == "S" {
			s.start = ts
		} else {
			s.end = ts
		}
	}
	var list []span
	for _, s := range spans {
		if s.start != 0 && s.end != 0 { // a run killed mid-way has no end
			list = append(list, *s)
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].start < list[j].start })
	for i := 1; i < len(list); i++ {
		if list[i].start < list[i-1].end {
			t.Fatalf("concurrency-1 rule overlapped: a run started %dµs before the previous ended", (list[i-1].end-list[i].start)/1000)
		}
	}
	if len(list) < 90 {
		t.Fatalf("only %d serial runs completed, want 100", len(list))
	}
	t.Logf("3000 events over 3 replicas (one killed): all stored once and run; %d re-run after the kill; %d serial runs, none overlapping", again, len(list))
}
