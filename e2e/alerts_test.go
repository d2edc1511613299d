package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/store"
)

// TestDeadRunAlertsOnce: a run that goes dead alerts a local capture
// server within 60 s, exactly once, with the rule, run id and error in
// the body; the firing is listed by the API and counted in /metrics.
func TestDeadRunAlertsOnce(t *testing.T) {
	var mu sync.Mutex
	var got []map[string]any
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Errorf("alert body: %v: %s", err, b)
		}
		mu.Lock()
		got = append(got, m)
		mu.Unlock()
	})}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	alerts := func() []map[string]any { mu.Lock(); defer mu.Unlock(); return append([]map[string]any(nil), got...) }

	dir, addr, adm := t.TempDir(), freePort(t), freePort(t)
	cfg := fmt.Sprintf(`
server: { listen: %q }
admin: { listen: %q }
store: { driver: sqlite, dsn: hookrunner.db }
runner: { poll_interval: 100ms }
sources:
  hook: { provider: generic, verify: token, header: X-Token, secret: dest-token, id_header: X-Delivery }
rules:
  - name: deploy-api
    source: hook
    retry: { attempts: 2, backoff: 50ms }
    actions:
      - shell: { command: ["/bin/sh", "-c", "echo broken >&2; exit 3"] }
  - name: fine
    source: hook
    actions:
      - shell: { command: ["/bin/true"] }
alerts:
  - name: dead-letters
    on: [run.dead]
    rules: ["deploy-*"]
    actions:
      - http: { url: "http://%s/hooks/ops", body: '{"text": "{{ alert.rule }} run {{ alert.run_id }} is dead: {{ alert.error }}", "rule": "{{ alert.rule }}", "run": "{{ alert.run_id }}", "url": "{{ alert.url }}"}' }
`, addr, adm, ln.Addr().String())
	if err := os.WriteFile(filepath.Join(dir, "hooks.yaml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startProc(t, dir, "hooks.yaml", addr)
	defer p.term(t)
	base := "http://" + adm

	start := time.Now()
	eventID := postDest(t, addr, "a-1")
	waitUntil(t, "the alert", 60*time.Second, func() bool { return len(alerts()) > 0 })
	took := time.Since(start)
	var runs []store.Run
	getDestJSON(t, base+"/api/runs?event="+eventID+"&rule=deploy-api", &runs)
	if len(runs) != 1 || runs[0].State != store.Dead {
		t.Fatalf("runs = %+v", runs)
	}
	a := alerts()[0]
	if a["rule"] != "deploy-api" || a["run"] != runs[0].ID || !strings.Contains(a["text"].(string), "is dead: actions[0] (shell): exit status 3") ||
		a["url"] != base+"/ui/runs/"+runs[0].ID {
		t.Fatalf("alert = %v", a)
	}
	// Exactly once: nothing more through two flushes of grouped causes.
	var fired []map[string]any
	waitUntil(t, "the firing listed as sent", 10*time.Second, func() bool {
		getDestJSON(t, base+"/api/alerts", &fired)
		return len(fired) == 1 && fired[0]["failed"] == nil
	})
	deadline := time.Now().Add(11 * time.Second) // two AlertTicks
	for time.Now().Before(deadline) {
		if n := len(alerts()); n != 1 {
			t.Fatalf("%d alerts for one dead run", n)
		}
		time.Sleep(100 * time.Millisecond) // a bounded watch for a second alert, not a wait for one
	}
	var metrics string
	getDestJSON(t, base+"/metrics", &metrics)
	if !strings.Contains(metrics, `hookrunner_alerts_fired_total{alert="dead-letters",kind="run.dead"} 1`) {
		t.Fatal("hookrunner_alerts_fired_total does not count the firing")
	}
	t.Logf("a dead run alerted once, %s after its event", took.Round(time.Millisecond))
}
