package app_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/app"
	"github.com/hookrunner/hookrunner/internal/syncbuf"
)

// orderAPI serves a paged, growing list: GET /orders?since=N returns at
// most 3 items with id > N.
type orderAPI struct {
	mu       sync.Mutex
	n        int
	failNext int // 500s to answer
	badNext  int // malformed answers to give
	requests int
}

func (o *orderAPI) add(k int) {
	o.mu.Lock()
	o.n += k
	o.mu.Unlock()
}

func (o *orderAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.requests++
	if o.failNext > 0 {
		o.failNext--
		http.Error(w, "database is down", 500)
		return
	}
	if o.badNext > 0 {
		o.badNext--
		w.Write([]byte(`{"data": [{"id": 1, "total": `))
		return
	}
	since, _ := strconv.Atoi(r.URL.Query().Get("since"))
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	if limit == 0 {
		limit = 3
	}
	var items []string
	for id := since + 1; id <= o.n && len(items) < limit; id++ {
		items = append(items, fmt.Sprintf(`{"id": %d, "email": "customer%d@example.com", "total": %d}`, id, id, id*10))
	}
	fmt.Fprintf(w, `{"data": [%s], "has_more": %v}`, strings.Join(items, ","), len(items) == 3)
}

func pollConfig(api string, initial string) string {
	return `
sources:
  orders:
    provider: poll
    poll:
      url: "` + api + `/orders?since={{ cursor }}"
      every: 150ms
      items: payload.data
      id: payload.id
      cursor: payload.id
      event: order.created
      initial: ` + initial + `
rules:
  - name: record
    source: orders
    events: [order.created]
    actions: [ { shell: { command: ["/bin/true"] } } ]
`
}

func (in *instance) polledIDs(t *testing.T) []string {
	var evs []map[string]any
	in.getJSON(t, "/api/events?source=orders&limit=1000", &evs)
	ids := make([]string, len(evs))
	for i, e := range evs {
		ids[len(evs)-1-i] = e["delivery_id"].(string) // oldest first
	}
	return ids
}

// waitPolls waits until n more polls of source have finished (stored what
// they found) than had when it was called: the fence after which "a later
// poll emitted nothing more" can be checked. n = 2 makes sure one whole
// poll started after the call.
func (in *instance) waitPolls(t *testing.T, source string, n int) {
	t.Helper()
	from := in.pollsOK(t, source)
	waitFor(t, fmt.Sprintf("%d more polls of %s", n, source), 10*time.Second, func() bool { return in.pollsOK(t, source) >= from+n })
}

// pollsOK reads hookrunner_polls_total{result="ok"} of source.
func (in *instance) pollsOK(t *testing.T, source string) int {
	t.Helper()
	resp, err := http.Get(in.adm + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`hookrunner_polls_total\{result="ok",source="` + regexp.QuoteMeta(source) + `"\} (\d+)`).FindSubmatch(b)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

func seq(from, to int) string {
	var s []string
	for i := from; i <= to; i++ {
		s = append(s, strconv.Itoa(i))
	}
	return fmt.Sprint(s)
}

func TestPollSourceEmitsEachItemOnce(t *testing.T) {
	api := &orderAPI{n: 5}
	srv := httptest.NewServer(api)
	defer srv.Close()
	dir := t.TempDir()
	cfg := header + "store: { dsn: \"" + filepath.Join(dir, "hr.db") + "\" }\n" + pollConfig(srv.URL, "emit")
	os.WriteFile(filepath.Join(dir, "hooks.yaml"), []byte(cfg), 0o600)

	run := func() (*instance, func()) {
		ready := make(chan [2]string, 1)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		logs := &syncbuf.Buffer{}
		go func() {
			done <- app.Run(ctx, app.Options{ConfigPath: filepath.Join(dir, "hooks.yaml"), LogOutput: logs,
				Ready: func(p, a string) { ready <- [2]string{p, a} }})
		}()
		a := <-ready
		return &instance{pub: "http://" + a[0], adm: "http://" + a[1], logs: logs}, func() { cancel(); <-done }
	}
	in, stop := run()
	waitFor(t, "the first 5 items (two pages)", 5*time.Second, func() bool { return fmt.Sprint(in.polledIDs(t)) == seq(1, 5) })

	// A 500 and a malformed answer emit nothing and are retried.
	api.mu.Lock()
	api.failNext, api.badNext = 1, 1
	api.mu.Unlock()
	api.add(3)
	waitFor(t, "items 6-8 after the failures", 10*time.Second, func() bool { return fmt.Sprint(in.polledIDs(t)) == seq(1, 8) })
	var m string
	resp, _ := http.Get(in.adm + "/metrics")
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m = string(b)
	if !strings.Contains(m, `hookrunner_polls_total{result="error",source="orders"} 2`) {
		t.Errorf("poll errors not in metrics:\n%s", grepLines(m, "hookrunner_polls_total")+"\n"+grepLines(in.logs.String(), "poll"))
	}

	// Stopped between polls; items added meanwhile; restarted: each once.
	stop()
	api.add(4)
	in, stop = run()
	defer stop()
	waitFor(t, "items 9-12 after the restart", 10*time.Second, func() bool { return fmt.Sprint(in.polledIDs(t)) == seq(1, 12) })
	in.waitPolls(t, "orders", 2) // more whole polls over the same items: still no duplicate
	if got := fmt.Sprint(in.polledIDs(t)); got != seq(1, 12) {
		t.Fatalf("events = %s", got)
	}
	var runs []map[string]any
	waitFor(t, "every run to succeed", 10*time.Second, func() bool {
		in.getJSON(t, "/api/runs?state=succeeded&limit=1000", &runs)
		return len(runs) == 12
	})
	// The source's webhook URL accepts nothing.
	r, _ := http.Post(in.pub+"/hooks/orders", "application/json", strings.NewReader(`{"data":[{"id":99}]}`))
	r.Body.Close()
	if r.StatusCode != 401 {
		t.Fatalf("push to a poll source: %d", r.StatusCode)
	}
	var ev map[string]any
	evs := []map[string]any{}
	in.getJSON(t, "/api/events?source=orders&limit=1", &evs)
	in.getJSON(t, "/api/events/"+evs[0]["id"].(string), &ev)
	if p := ev["payload"].(map[string]any); p["email"] != "customer12@example.com" {
		t.Fatalf("event payload = %v", p)
	}
}

func TestPollInitialSkip(t *testing.T) {
	api := &orderAPI{n: 4}
	srv := httptest.NewServer(api)
	defer srv.Close()
	cfg := strings.Replace(pollConfig(srv.URL, "skip"), "      cursor: payload.id\n", "", 1)
	cfg = strings.Replace(cfg, "since={{ cursor }}", "limit=100", 1)
	in := start(t, cfg, false)
	waitFor(t, "the first poll", 5*time.Second, func() bool {
		api.mu.Lock()
		defer api.mu.Unlock()
		return api.requests >= 2
	})
	if ids := in.polledIDs(t); len(ids) != 0 {
		t.Fatalf("initial: skip emitted %v", ids)
	}
	api.add(2)
	waitFor(t, "only the items that appeared later", 5*time.Second, func() bool { return fmt.Sprint(in.polledIDs(t)) == "[5 6]" })
	in.waitPolls(t, "orders", 2) // more whole polls: nothing emitted twice
	if got := fmt.Sprint(in.polledIDs(t)); got != "[5 6]" {
		t.Fatalf("events = %s", got)
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
