package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/internal/pgtest"
	"github.com/hookrunner/hookrunner/store"
	"github.com/hookrunner/hookrunner/store/postgres"
)

// destServer is a local destination: it answers status (set by the test)
// and records when each request arrived.
type destServer struct {
	addr   string
	status atomic.Int32
	// hold is how long it takes to answer (a slow destination).
	hold        time.Duration
	inflight    atomic.Int32
	maxInflight atomic.Int32
	mu          sync.Mutex
	hits        []time.Time
}

func newDestServer(t *testing.T, hold ...time.Duration) *destServer {
	t.Helper()
	d := &destServer{}
	if len(hold) > 0 {
		d.hold = hold[0]
	}
	d.status.Store(http.StatusOK)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	d.addr = ln.Addr().String()
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		n := d.inflight.Add(1)
		defer d.inflight.Add(-1)
		for m := d.maxInflight.Load(); n > m && !d.maxInflight.CompareAndSwap(m, n); m = d.maxInflight.Load() {
		}
		d.mu.Lock()
		d.hits = append(d.hits, time.Now())
		d.mu.Unlock()
		if d.hold > 0 {
			time.Sleep(d.hold) // the destination is slow: input, not a wait
		}
		w.WriteHeader(int(d.status.Load()))
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return d
}

func (d *destServer) arrivals() []time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]time.Time(nil), d.hits...)
}

func postDest(t *testing.T, addr, delivery string) string {
	t.Helper()
	req, _ := http.NewRequest("POST", "http://"+addr+"/hooks/hook", strings.NewReader(`{"n": 1}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Token", "dest-token")
	req.Header.Set("X-Delivery", delivery)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ans struct{ ID string }
	_ = json.NewDecoder(resp.Body).Decode(&ans)
	if resp.StatusCode != http.StatusAccepted || ans.ID == "" {
		t.Fatalf("POST %s: %d", delivery, resp.StatusCode)
	}
	return ans.ID
}

func getDestJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	if v == nil {
		return
	}
	if s, ok := v.(*string); ok {
		*s = string(b)
		return
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("GET %s: %v\n%s", url, err, b)
	}
}

type runDetail struct {
	Run      store.Run        `json:"run"`
	Attempts []*store.Attempt `json:"attempts"`
}

// TestBreakerRunsWaitWithoutSpendingAttempts: a destination answering
// 503 opens its breaker after 3 consecutive failures; runs to it then
// wait (state waiting, attempt 0) while probes fail; once it recovers
// every run succeeds, and only the attempts made before the breaker
// opened were spent.
func TestBreakerRunsWaitWithoutSpendingAttempts(t *testing.T) {
	dst := newDestServer(t)
	dst.status.Store(http.StatusServiceUnavailable)
	dir, addr, adm := t.TempDir(), freePort(t), freePort(t)
	cfg := fmt.Sprintf(`
server: { listen: %q }
admin: { listen: %q }
store: { driver: sqlite, dsn: hookrunner.db }
runner: { workers: 4, poll_interval: 100ms }
log: { level: info }
breaker: { failures: 3, cooldown: 1s }
sources:
  hook: { provider: generic, verify: token, header: X-Token, secret: dest-token, id_header: X-Delivery }
rules:
  - name: notify
    source: hook
    retry: { attempts: 20, backoff: 50ms, max_backoff: 100ms }
    actions:
      - http: { url: "http://%s/notify", retries: 0, timeout: 5s }
`, addr, adm, dst.addr)
	if err := os.WriteFile(filepath.Join(dir, "hooks.yaml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startProc(t, dir, "hooks.yaml", addr)
	defer p.term(t)
	base := "http://" + adm

	gauge := regexp.MustCompile(`hookrunner_breaker_state\{destination="` + regexp.QuoteMeta(dst.addr) + `"\} (\d)`)
	breaker := func() string {
		var m string
		getDestJSON(t, base+"/metrics", &m)
		if sm := gauge.FindStringSubmatch(m); sm != nil {
			return sm[1]
		}
		return ""
	}
	first := postDest(t, addr, "d-0")
	waitUntil(t, "the breaker to open after 3 failures", 30*time.Second, func() bool { return breaker() == "2" })
	if n := len(dst.arrivals()); n != 3 {
		t.Fatalf("%d requests before the breaker opened, want 3", n)
	}
	var ids []string
	for i := 1; i <= 4; i++ {
		ids = append(ids, postDest(t, addr, fmt.Sprintf("d-%d", i)))
	}
	runOf := func(eventID string) runDetail {
		var runs []store.Run
		getDestJSON(t, base+"/api/runs?event="+eventID, &runs)
		if len(runs) != 1 {
			t.Fatalf("event %s: %d runs", eventID, len(runs))
		}
		var d runDetail
		getDestJSON(t, base+"/api/runs/"+runs[0].ID, &d)
		return d
	}
	// Open: every run waits, the new ones with no attempt spent, and a
	// failed probe (the 4th request) spends none either.
	waitUntil(t, "a failed probe and every run waiting", 30*time.Second, func() bool {
		if len(dst.arrivals()) < 4 {
			return false
		}
		for _, id := range append([]string{first}, ids...) {
			if runOf(id).Run.State != store.Waiting {
				return false
			}
		}
		return true
	})
	for _, id := range ids {
		if d := runOf(id); d.Run.Attempt != 0 || len(d.Attempts) != 0 || !strings.Contains(d.Run.LastError, "circuit breaker") {
			t.Fatalf("waiting run %s: attempt %d, %d attempts recorded, last error %q", d.Run.ID, d.Run.Attempt, len(d.Attempts), d.Run.LastError)
		}
	}
	if d := runOf(first); d.Run.Attempt != 3 || len(d.Attempts) != 3 {
		t.Fatalf("first run: attempt %d, %d attempts recorded; want the 3 made before the breaker opened", d.Run.Attempt, len(d.Attempts))
	}
	// Recovery: the next probe succeeds, the breaker closes, all succeed.
	dst.status.Store(http.StatusOK)
	waitUntil(t, "every run to succeed", 60*time.Second, func() bool {
		for _, id := range append([]string{first}, ids...) {
			if runOf(id).Run.State != store.Succeeded {
				return false
			}
		}
		return true
	})
	if b := breaker(); b != "0" {
		t.Fatalf("breaker state %s after recovery, want 0 (closed)", b)
	}
	for _, id := range ids {
		if d := runOf(id); d.Run.Attempt != 1 || len(d.Attempts) != 1 || !d.Attempts[0].OK {
			t.Fatalf("run %s: attempt %d, attempts %+v: want exactly one, successful", d.Run.ID, d.Run.Attempt, d.Attempts)
		}
	}
	if d := runOf(first); d.Run.Attempt != 4 || len(d.Attempts) != 4 || !d.Attempts[3].OK {
		t.Fatalf("first run: attempt %d, %d attempts: want 3 failed then 1 ok", d.Run.Attempt, len(d.Attempts))
	}
	t.Logf("breaker: %d requests reached the destination (3 failures, %d failed probes, 5 successes)", len(dst.arrivals()), len(dst.arrivals())-8)
}

// TestRateLimitAcrossReplicas: two replicas on one PostgreSQL schema send
// to one destination limited to 5/s (burst 1): in no one-second window do
// more than rate+burst requests arrive, and every run succeeds without a
// waiting run spending an attempt.
func TestRateLimitAcrossReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	dsn := pgtest.DSN(t)
	dst := newDestServer(t)
	const rate, burst, total = 5, 1, 30
	addrs := startLimitedReplicas(t, dsn, fmt.Sprintf("%q: { rate: %d/s, burst: %d, concurrency: 4 }", dst.addr, rate, burst), fmt.Sprintf(`
  - name: a
    source: hook
    actions:
      - http: { url: "http://%s/a", retries: 0 }
  - name: b
    source: hook
    actions:
      - http: { url: "http://%s/b", retries: 0 }
`, dst.addr, dst.addr))
	// Two rules an event, events spread over both replicas.
	for i := 0; i < total/2; i++ {
		postDest(t, addrs[i%2], fmt.Sprintf("r-%d", i))
	}
	waitUntil(t, "every request to arrive", 60*time.Second, func() bool { return len(dst.arrivals()) >= total })

	hits := dst.arrivals()
	sort.Slice(hits, func(i, j int) bool { return hits[i].Before(hits[j]) })
	worst := 0
	for i := range hits {
		n := 0
		for j := i; j < len(hits) && hits[j].Sub(hits[i]) < time.Second; j++ {
			n++
		}
		worst = max(worst, n)
	}
	if worst > rate+burst {
		t.Fatalf("%d requests arrived within one second, limit %d/s burst %d", worst, rate, burst)
	}
	st, err := postgres.Open(context.Background(), dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	waitUntil(t, "every run to succeed", 30*time.Second, func() bool {
		c, err := st.CountStates(context.Background())
		return err == nil && c[store.Succeeded] == total
	})
	oneAttemptEach(t, st, "waiting for the limit")
	if len(hits) != total {
		t.Fatalf("%d requests arrived, want %d", len(hits), total)
	}
	t.Logf("%d requests over 2 replicas at %d/s: at most %d in any second, over %s", total, rate, worst, hits[len(hits)-1].Sub(hits[0]).Round(time.Millisecond))
}

// TestConcurrencyLimitAcrossReplicas: two replicas with 8 workers each
// send to a slow destination limited to 2 requests in flight: it never
// sees more than 2 at once, and every run succeeds with one attempt.
func TestConcurrencyLimitAcrossReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	dsn := pgtest.DSN(t)
	dst := newDestServer(t, 150*time.Millisecond)
	const total = 16
	addrs := startLimitedReplicas(t, dsn, fmt.Sprintf("%q: { concurrency: 2 }", dst.addr), fmt.Sprintf(`
  - name: slow
    source: hook
    actions:
      - http: { url: "http://%s/slow", retries: 0 }
`, dst.addr))
	for i := 0; i < total; i++ {
		postDest(t, addrs[i%2], fmt.Sprintf("c-%d", i))
	}
	st, err := postgres.Open(context.Background(), dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	waitUntil(t, "every run to succeed", 60*time.Second, func() bool {
		c, err := st.CountStates(context.Background())
		return err == nil && c[store.Succeeded] == total
	})
	if m := dst.maxInflight.Load(); m > 2 || m < 1 {
		t.Fatalf("%d requests in flight at once, limit 2", m)
	}
	oneAttemptEach(t, st, "waiting for a slot")
	if n := len(dst.arrivals()); n != total {
		t.Fatalf("%d requests arrived, want %d", n, total)
	}
	t.Logf("%d slow requests over 2 replicas: at most %d in flight", total, dst.maxInflight.Load())
}

// startLimitedReplicas starts two replicas on one PostgreSQL schema with
// the one limits entry and the rules of a token-verified source "hook",
// and returns their public addresses.
func startLimitedReplicas(t *testing.T, dsn, limit, rules string) []string {
	t.Helper()
	var addrs []string
	for i := 0; i < 2; i++ {
		dir, addr := t.TempDir(), freePort(t)
		cfg := fmt.Sprintf(`
server: { listen: %q }
admin: { listen: %q }
store: { driver: postgres, dsn: %q }
runner: { workers: 8, lease: 5s, poll_interval: 100ms }
log: { level: warn }
limits:
  %s
sources:
  hook: { provider: generic, verify: token, header: X-Token, secret: dest-token, id_header: X-Delivery }
rules:%s`, addr, freePort(t), dsn, limit, rules)
		if err := os.WriteFile(filepath.Join(dir, "hooks.yaml"), []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		p := startProc(t, dir, "hooks.yaml", addr)
		t.Cleanup(func() { p.term(t) })
		addrs = append(addrs, addr)
	}
	return addrs
}

// oneAttemptEach fails unless every run took exactly one attempt (what
// made a run wait spent none).
func oneAttemptEach(t *testing.T, st store.Store, waitedFor string) {
	t.Helper()
	runs, err := st.ListRuns(context.Background(), store.RunFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		if r.Attempt != 1 {
			t.Fatalf("run %s: attempt %d: %s spent attempts", r.ID, r.Attempt, waitedFor)
		}
	}
}
