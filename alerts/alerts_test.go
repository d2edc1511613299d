package alerts_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookrunner/hookrunner/alerts"
	"github.com/hookrunner/hookrunner/ruleset"
)

type capture struct {
	srv    *httptest.Server
	got    chan map[string]any
	status atomic.Int32
}

func newCapture(t *testing.T) *capture {
	c := &capture{got: make(chan map[string]any, 16)}
	c.status.Store(200)
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Errorf("alert body is not JSON: %v: %s", err, b)
		}
		w.WriteHeader(int(c.status.Load()))
		c.got <- m
	}))
	t.Cleanup(c.srv.Close)
	return c
}

func (c *capture) next(t *testing.T) map[string]any {
	t.Helper()
	select {
	case m := <-c.got:
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("no alert arrived")
		return nil
	}
}

func (c *capture) none(t *testing.T, within time.Duration) {
	t.Helper()
	select {
	case m := <-c.got:
		t.Fatalf("an alert arrived that should not: %v", m)
	case <-time.After(within):
	}
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func setup(t *testing.T, cp *capture) (*alerts.Notifier, *clock, *prometheus.CounterVec) {
	t.Helper()
	cfg := fmt.Sprintf(`
sources: { hook: { provider: generic, verify: none } }
rules:
  - { name: deploy-api, source: hook, actions: [{ shell: { command: ["/bin/true"] } }] }
  - { name: build-x, source: hook, actions: [{ shell: { command: ["/bin/true"] } }] }
alerts:
  - name: dead
    on: [run.dead]
    rules: ["deploy-*"]
    actions:
      - http: { url: "%s/ops", body: '{"kind": "{{ alert.kind }}", "rule": "{{ alert.rule }}", "run": "{{ alert.run_id }}", "error": "{{ alert.error }}", "count": {{ alert.count }}, "url": "{{ alert.url }}"}' }
  - name: failing
    on: [rule.failing]
    rules: ["build-*"]
    failures: 2
    actions:
      - http: { url: "%s/ops", body: '{"kind": "{{ alert.kind }}", "rule": "{{ alert.rule }}", "error": "{{ alert.error }}"}' }
`, cp.srv.URL, cp.srv.URL)
	snap, err := ruleset.Parse("hooks.yaml", []byte(cfg))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = snap.Close() })
	clk := &clock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	fired := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "f"}, []string{"alert", "kind"})
	n := alerts.New(alerts.Options{Snapshot: func() *ruleset.Snapshot { return snap }, Now: clk.Now, Fired: fired,
		ConsoleURL: func() string { return "http://127.0.0.1:8081" }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { n.Run(ctx, 5*time.Millisecond); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return n, clk, fired
}

// TestDeadRunsGroupedAndRepeated: a dead run fires at once with what it
// is (escaped into the JSON body); more in the repeat interval are held
// and sent as one with their count once it has passed; other rules and
// kinds do not fire; rule.failing fires once per streak, which a
// success ends.
func TestDeadRunsGroupedAndRepeated(t *testing.T) {
	cp := newCapture(t)
	n, clk, fired := setup(t, cp)

	n.Notify(alerts.Cause{Kind: alerts.RunDead, Rule: "deploy-api", RunID: "r1", Error: `exit status 1: "quoted"`})
	m := cp.next(t)
	if m["kind"] != "run.dead" || m["rule"] != "deploy-api" || m["run"] != "r1" || m["count"] != 1.0 ||
		m["error"] != `exit status 1: "quoted"` || m["url"] != "http://127.0.0.1:8081/ui/runs/r1" {
		t.Fatalf("alert = %v", m)
	}
	// Two more within the hour: held.
	n.Notify(alerts.Cause{Kind: alerts.RunDead, Rule: "deploy-api", RunID: "r2"})
	n.Notify(alerts.Cause{Kind: alerts.RunDead, Rule: "deploy-api", RunID: "r3"})
	// Not this alert's: another rule, a kind it does not take.
	n.Notify(alerts.Cause{Kind: alerts.RunDead, Rule: "other", RunID: "x"})
	n.Notify(alerts.Cause{Kind: alerts.ReloadFailed, Error: "bad"})
	cp.none(t, 200*time.Millisecond)

	clk.Add(time.Hour)
	m = cp.next(t)
	if m["count"] != 2.0 || m["run"] != "r3" {
		t.Fatalf("grouped alert = %v", m)
	}
	cp.none(t, 100*time.Millisecond)
	reg := prometheus.NewRegistry()
	reg.MustRegister(fired)
	mfs, err := reg.Gather()
	if err != nil || len(mfs) != 1 || len(mfs[0].GetMetric()) != 1 || mfs[0].GetMetric()[0].GetCounter().GetValue() != 2 {
		t.Fatalf("fired counter = %v %v", mfs, err)
	}

	// rule.failing: the second consecutive failed attempt fires it once.
	n.Notify(alerts.Cause{Kind: alerts.RunFailed, Rule: "build-x", RunID: "f1"})
	n.Notify(alerts.Cause{Kind: alerts.RunSucceeded, Rule: "build-x", RunID: "s1"})
	n.Notify(alerts.Cause{Kind: alerts.RunFailed, Rule: "build-x", RunID: "f2"})
	cp.none(t, 100*time.Millisecond)
	n.Notify(alerts.Cause{Kind: alerts.RunFailed, Rule: "build-x", RunID: "f3", Error: "HTTP 503"})
	m = cp.next(t)
	if m["kind"] != "rule.failing" || m["rule"] != "build-x" || !strings.Contains(m["error"].(string), "2 consecutive failed attempts; last: HTTP 503") {
		t.Fatalf("rule.failing = %v", m)
	}
	n.Notify(alerts.Cause{Kind: alerts.RunFailed, Rule: "build-x", RunID: "f4"})
	cp.none(t, 100*time.Millisecond)

	// An alert is listed once its actions have returned, after the
	// capture has its request: wait for the third.
	list := n.List()
	for deadline := time.Now().Add(10 * time.Second); len(list) < 3 && time.Now().Before(deadline); list = n.List() {
		time.Sleep(5 * time.Millisecond)
	}
	if len(list) != 3 || list[0].Kind != "rule.failing" || list[2].RunID != "r1" {
		t.Fatalf("fired list = %+v", list)
	}
}

// TestAlertFailureIsNotACause: an alert whose delivery fails is listed as
// failed and fires nothing more (no loop).
func TestAlertFailureIsNotACause(t *testing.T) {
	cp := newCapture(t)
	cp.status.Store(500)
	n, _, _ := setup(t, cp)
	n.Notify(alerts.Cause{Kind: alerts.RunDead, Rule: "deploy-api", RunID: "r1"})
	cp.next(t)
	cp.none(t, 300*time.Millisecond)
	deadline := time.Now().Add(10 * time.Second)
	for len(n.List()) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond) // polls the list the firing goroutine appends to
	}
	list := n.List()
	if len(list) != 1 || !strings.Contains(list[0].Failed, "HTTP 500") {
		t.Fatalf("fired = %+v", list)
	}
}

// TestSourceRejected: a source's refused requests reaching the threshold
// within a minute fire once for that window.
func TestSourceRejected(t *testing.T) {
	cp := newCapture(t)
	snap, err := ruleset.Parse("hooks.yaml", []byte(fmt.Sprintf(`
sources: { hook: { provider: generic, verify: none } }
alerts:
  - name: flood
    on: [source.rejected]
    refused: 3
    actions:
      - http: { url: "%s/ops", body: '{"kind": "{{ alert.kind }}", "source": "{{ alert.source }}", "count": {{ alert.count }}, "error": "{{ alert.error }}"}' }
`, cp.srv.URL)))
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	clk := &clock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	n := alerts.New(alerts.Options{Snapshot: func() *ruleset.Snapshot { return snap }, Now: clk.Now})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { n.Run(ctx, 5*time.Millisecond); close(done) }()
	defer func() { cancel(); <-done }()

	n.Refused("hook", "unauthorized")
	n.Refused("hook", "unauthorized")
	cp.none(t, 100*time.Millisecond)
	n.Refused("hook", "forbidden")
	m := cp.next(t)
	if m["kind"] != "source.rejected" || m["source"] != "hook" || !strings.Contains(m["error"].(string), "3 requests refused within 1m0s (last: forbidden)") {
		t.Fatalf("alert = %v", m)
	}
	for range 10 {
		n.Refused("hook", "unauthorized")
	}
	cp.none(t, 100*time.Millisecond)
}
