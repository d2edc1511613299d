package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/engine"
	"github.com/hookrunner/hookrunner/ruleset"
	"github.com/hookrunner/hookrunner/store"
)

// consoleEvent stores an event received at, with one run per rule in state.
func consoleEvent(b *adminBundle, delivery, body string, at time.Time, state store.State, rules ...string) *store.Event {
	ev := &store.Event{ID: store.NewID(), Source: "hook", Provider: "generic", Event: "push", DeliveryID: delivery,
		Headers: map[string]string{}, Body: []byte(body), RemoteIP: "127.0.0.1", ReceivedAt: at, Verification: "none", Matched: rules}
	var runs []*store.Run
	for _, r := range rules {
		runs = append(runs, &store.Run{ID: store.NewID(), EventID: ev.ID, Rule: r, State: state, CreatedAt: at})
	}
	b.eng.ingest(ev, runs...)
	return ev
}

func body(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestShortIDs: the console shows an event's random tail, not its time
// prefix; a short id typed in the search box, in the event URL or in the
// API finds the event; one shared by two events is not guessed.
func TestShortIDs(t *testing.T) {
	b := setupAdmin(t, "")
	at := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	// Two ids of the same millisecond: the same prefix, different tails.
	a := consoleEvent(b, "d-1", `{}`, at, store.Succeeded, "r")
	c := consoleEvent(b, "d-2", `{}`, at, store.Succeeded, "r")
	if a.ID[:13] != c.ID[:13] && a.ID[:8] != c.ID[:8] {
		t.Logf("ids %s and %s differ in their time prefix", a.ID, c.ID)
	}
	if store.ShortID(a.ID) == store.ShortID(c.ID) || store.ShortID(a.ID) != a.ID[len(a.ID)-8:] {
		t.Fatalf("short ids %s, %s", store.ShortID(a.ID), store.ShortID(c.ID))
	}
	page := body(t, b.do(req{method: "GET", path: "/ui/events"}))
	for _, ev := range []*store.Event{a, c} {
		if !strings.Contains(page, ">"+store.ShortID(ev.ID)+"</a>") {
			t.Fatalf("events page does not show short id %s", store.ShortID(ev.ID))
		}
	}
	// The search box.
	page = body(t, b.do(req{method: "GET", path: "/ui/events?q=" + store.ShortID(c.ID)}))
	if !strings.Contains(page, `data-id="`+c.ID+`"`) || strings.Contains(page, `data-id="`+a.ID+`"`) {
		t.Fatalf("search by short id %s:\n%s", store.ShortID(c.ID), page)
	}
	// The event URL and the API.
	resp := b.do(req{method: "GET", path: "/ui/events/" + store.ShortID(a.ID)})
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/ui/events/"+a.ID {
		t.Fatalf("/ui/events/<short> = %d → %q", resp.StatusCode, loc)
	}
	var d EventDetail
	resp = b.do(req{method: "GET", path: "/api/events/" + strings.ToUpper(store.ShortID(a.ID))})
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil || d.Event == nil || d.Event.ID != a.ID {
		t.Fatalf("/api/events/<short> = %d %v %+v", resp.StatusCode, err, d.Event)
	}
	// A tail two events share is ambiguous: 409 in the API, the list in the console.
	dup := consoleEvent(b, "d-3", `{}`, at, store.Succeeded, "r")
	b.eng.mu.Lock()
	dup.ID = dup.ID[:len(dup.ID)-8] + store.ShortID(a.ID)
	b.eng.mu.Unlock()
	if resp := b.do(req{method: "GET", path: "/api/events/" + store.ShortID(a.ID)}); resp.StatusCode != http.StatusConflict {
		t.Fatalf("ambiguous short id: %d", resp.StatusCode)
	}
	resp = b.do(req{method: "GET", path: "/ui/events/" + store.ShortID(a.ID)})
	if loc := resp.Header.Get("Location"); loc != "/ui/events?q="+store.ShortID(a.ID) {
		t.Fatalf("ambiguous short id in the console went to %q", loc)
	}
	if resp := b.do(req{method: "GET", path: "/api/events/00000000"}); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown short id: %d", resp.StatusCode)
	}
}

// TestShortRunIDs: a run's short id works in its console URL and in the
// API as an event's does; one two runs share is not guessed.
func TestShortRunIDs(t *testing.T) {
	b := setupAdmin(t, "")
	at := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	consoleEvent(b, "d-1", `{}`, at, store.Dead, "r")
	consoleEvent(b, "d-2", `{}`, at, store.Dead, "r")
	b.eng.mu.Lock()
	first, second := b.eng.runs[0], b.eng.runs[1]
	b.eng.mu.Unlock()
	short := store.ShortID(first.ID)
	resp := b.do(req{method: "GET", path: "/ui/runs/" + short})
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/ui/runs/"+first.ID {
		t.Fatalf("/ui/runs/<short> = %d → %q", resp.StatusCode, loc)
	}
	if page := body(t, b.do(req{method: "GET", path: "/ui/runs/" + first.ID})); !strings.Contains(page, first.ID) {
		t.Fatalf("run page does not show %s", first.ID)
	}
	var d RunDetail
	resp = b.do(req{method: "GET", path: "/api/runs/" + strings.ToUpper(short)})
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil || d.Run == nil || d.Run.ID != first.ID {
		t.Fatalf("/api/runs/<short> = %d %v %+v", resp.StatusCode, err, d.Run)
	}
	b.eng.mu.Lock()
	second.ID = second.ID[:len(second.ID)-8] + short
	b.eng.mu.Unlock()
	if resp := b.do(req{method: "GET", path: "/api/runs/" + short}); resp.StatusCode != http.StatusConflict {
		t.Fatalf("ambiguous short run id in the API: %d", resp.StatusCode)
	}
	if resp := b.do(req{method: "GET", path: "/ui/runs/" + short}); resp.StatusCode != http.StatusConflict || !strings.Contains(body(t, resp), second.ID) {
		t.Fatalf("ambiguous short run id in the console: %d", resp.StatusCode)
	}
	for _, path := range []string{"/api/runs/00000000", "/ui/runs/00000000"} {
		if resp := b.do(req{method: "GET", path: path}); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
	}
}

// pagerLink is the target of the pager link with this id on page, "" when
// there is none.
func pagerLink(page, id string) string {
	m := regexp.MustCompile(`<a href="([^"]+)" id="` + id + `">`).FindStringSubmatch(page)
	if m == nil {
		return ""
	}
	return strings.ReplaceAll(m[1], "&amp;", "&")
}

var rowRe = regexp.MustCompile(`<tr data-id="([0-9a-f-]+)">`)

// TestEventsList: the outcome of every run, filters, search, pages that
// go on by cursor, one time format with its zone, escaped values.
func TestEventsList(t *testing.T) {
	b := setupAdmin(t, "")
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	var all []*store.Event
	for i := 0; i < 120; i++ {
		all = append(all, consoleEvent(b, fmt.Sprintf("del-%03d", i), fmt.Sprintf(`{"n":%d}`, i), t0.Add(time.Duration(i/2)*time.Second), store.Succeeded, "notify"))
	}
	dead := consoleEvent(b, "<script>alert(1)</script>", `{"order":"A-77"}`, t0.Add(time.Hour), store.Dead, "deploy", "notify")
	none := consoleEvent(b, "del-none", `{}`, t0.Add(time.Hour+time.Second), "")

	page := body(t, b.do(req{method: "GET", path: "/ui/events"}))
	if strings.Contains(page, "<script>alert") || !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Fatal("a delivery id is not escaped")
	}
	if !strings.Contains(page, FormatTime(dead.ReceivedAt)) || !strings.HasSuffix(FormatTime(dead.ReceivedAt), " "+dead.ReceivedAt.Local().Format("MST")) {
		t.Fatalf("time %q (with its zone) not shown", FormatTime(dead.ReceivedAt))
	}
	// Outcome: each run's rule and state, linked to the run; "no match".
	runRe := regexp.MustCompile(`deploy <a href="/ui/runs/[0-9a-f-]+" class="badge s-dead">dead</a>`)
	if !runRe.MatchString(page) || !strings.Contains(page, `<span class="muted">no match</span>`) {
		t.Fatalf("outcome column:\n%s", page)
	}

	// Pages: 50, 50, 22, each older than the last, none twice; then Newer
	// walks back through the same pages, filter kept, to the first page,
	// which has no Newer link.
	seen := map[string]bool{}
	var forward []string
	path := "/ui/events?source=hook"
	for n, want := range []int{50, 50, 22} {
		page := body(t, b.do(req{method: "GET", path: path}))
		ids := rowRe.FindAllStringSubmatch(page, -1)
		if len(ids) != want {
			t.Fatalf("page %d has %d rows, want %d", n+1, len(ids), want)
		}
		var shown []string
		for _, m := range ids {
			if seen[m[1]] {
				t.Fatalf("event %s on two pages", m[1])
			}
			seen[m[1]] = true
			shown = append(shown, m[1])
		}
		forward = append(forward, strings.Join(shown, " "))
		older := pagerLink(page, "older")
		if n == 2 {
			if older != "" {
				t.Fatal("the last page links to an older one")
			}
			break
		}
		if older == "" || !strings.Contains(older, "source=hook") || !strings.Contains(older, "after=") {
			t.Fatalf("page %d: older link %q (filter and cursor kept)", n+1, older)
		}
		path = older
	}
	if len(seen) != len(all)+2 {
		t.Fatalf("pages showed %d events, want %d", len(seen), len(all)+2)
	}
	for n := 2; n >= 0; n-- {
		page := body(t, b.do(req{method: "GET", path: path}))
		var shown []string
		for _, m := range rowRe.FindAllStringSubmatch(page, -1) {
			shown = append(shown, m[1])
		}
		if strings.Join(shown, " ") != forward[n] {
			t.Fatalf("going back, page %d shows other events than on the way forward", n+1)
		}
		newer := pagerLink(page, "newer")
		if n == 0 {
			if newer != "" {
				t.Fatal("the newest page links to a newer one")
			}
			break
		}
		if newer == "" || !strings.Contains(newer, "source=hook") {
			t.Fatalf("page %d: newer link %q (filter kept)", n+1, newer)
		}
		path = newer
	}

	for _, tc := range []struct {
		query string
		want  []*store.Event
	}{
		{"state=dead", []*store.Event{dead}},
		{"state=none", []*store.Event{none}},
		{"q=A-77", []*store.Event{dead}},
		{"q=del-007", []*store.Event{all[7]}},
		{"since=" + url.QueryEscape(t0.Add(time.Hour).Format(time.RFC3339)), []*store.Event{none, dead}},
		{"until=" + url.QueryEscape(t0.Add(time.Second).Format(time.RFC3339)), []*store.Event{all[1], all[0]}},
	} {
		page := body(t, b.do(req{method: "GET", path: "/ui/events?" + tc.query}))
		var got, want []string
		for _, m := range rowRe.FindAllStringSubmatch(page, -1) {
			got = append(got, m[1])
		}
		for _, ev := range tc.want {
			want = append(want, ev.ID)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: rows %v, want %v", tc.query, got, want)
		}
	}
	for _, q := range []string{"since=yesterday", "until=soon", "state=exploded", "after=nope", "q=" + strings.Repeat("x", 300)} {
		if resp := b.do(req{method: "GET", path: "/ui/events?" + q}); resp.StatusCode != http.StatusBadRequest ||
			!strings.Contains(body(t, resp), `id="filter-error"`) {
			t.Errorf("bad filter %.20s… is not reported", q)
		}
		if resp := b.do(req{method: "GET", path: "/api/events?" + q}); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("API: bad filter %.20s…: %d", q, resp.StatusCode)
		}
	}
	// The live rows carry the same formatting.
	var rows []eventRow
	resp := b.do(req{method: "GET", path: "/ui/events.json?state=dead"})
	if err := json.NewDecoder(resp.Body).Decode(&rows); err != nil || len(rows) != 1 {
		t.Fatalf("events.json: %v %+v", err, rows)
	}
	if r := rows[0]; r.Short != store.ShortID(dead.ID) || r.When != FormatTime(dead.ReceivedAt) || len(r.Outcome) != 2 || r.Outcome[0].State != "dead" {
		t.Fatalf("live row %+v", r)
	}
}

// TestBulkReplay: the runs page's bulk replay counts first, then queues
// exactly the runs confirmed (a relative "since" is fixed when shown).
func TestBulkReplay(t *testing.T) {
	b := setupAdmin(t, "")
	now := b.clock()
	for i := 0; i < 5; i++ {
		consoleEvent(b, fmt.Sprint(i), `{}`, now.Add(-time.Duration(i)*30*time.Minute), store.Dead, "deploy")
	}
	consoleEvent(b, "x", `{}`, now, store.Dead, "other")
	page := body(t, b.do(req{method: "GET", path: "/ui/replay?rule=deploy&state=dead&since=1h"}))
	// 0, 30 and 60 minutes old.
	if !strings.Contains(page, "<strong>3</strong> dead run(s) of rule <strong>deploy</strong>") {
		t.Fatalf("confirmation:\n%s", page)
	}
	since := regexp.MustCompile(`name="since" value="([^"]+)"`).FindStringSubmatch(page)
	if since == nil || since[1] != now.Add(-time.Hour).Format(time.RFC3339Nano) {
		t.Fatalf("since not fixed at confirmation: %v", since)
	}
	b.advance(10 * time.Minute) // the clock moves between the look and the click
	form := url.Values{"csrf": {b.csrf(t, "", "")}, "rule": {"deploy"}, "state": {"dead"}, "since": {since[1]}}
	resp := b.do(req{method: "POST", path: "/ui/replay", form: form})
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/ui/runs?replayed=3&rule=deploy" {
		t.Fatalf("bulk replay = %d → %q", resp.StatusCode, loc)
	}
	if got := b.eng.replayed; len(got) != 1 || got[0].Rule != "deploy" || !got[0].Since.Equal(now.Add(-time.Hour)) {
		t.Fatalf("replayed %+v", got)
	}
	if !strings.Contains(body(t, b.do(req{method: "GET", path: "/ui/runs?replayed=3&rule=deploy"})), "Queued 3 run(s) again.") {
		t.Fatal("no notice of the replay")
	}
	// Without the CSRF token: refused.
	delete(form, "csrf")
	if resp := b.do(req{method: "POST", path: "/ui/replay", form: form}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("bulk replay without CSRF token: %d", resp.StatusCode)
	}
	// The API takes the same bounds.
	resp = b.do(req{method: "POST", path: "/api/replay?rule=deploy&since=2h&until=1h"})
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("API bulk replay: %d %s", resp.StatusCode, body(t, resp))
	}
	got := b.eng.replayed[1]
	if n := b.clock(); !got.Since.Equal(n.Add(-2*time.Hour)) || !got.Until.Equal(n.Add(-time.Hour)) {
		t.Fatalf("API replay bounds %+v", got)
	}
	for _, q := range []string{"rule=&since=1h", "rule=deploy&since=soon", "rule=deploy&since=1h&until=2h"} {
		if resp := b.do(req{method: "POST", path: "/api/replay?" + q}); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("API replay %s: %d", q, resp.StatusCode)
		}
		if resp := b.do(req{method: "GET", path: "/ui/replay?" + q}); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("console replay %s: %d", q, resp.StatusCode)
		}
	}
}

// TestConfigPageShowsYAML: the config page shows the files in force as
// written (YAML), redacted, with the revision.
func TestConfigPageShowsYAML(t *testing.T) {
	b := setupAdmin(t, "")
	b.writeConfig(t, "admin: { listen: \"127.0.0.1:0\" }\n# the hook of the shop\nsources:\n  hook: { provider: generic, verify: token, header: X-Token, secret: \"literal-secret-4242\" }\n")
	s, err := ruleset.Load(b.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	b.eng.swap(s)
	page := body(t, b.do(req{method: "GET", path: "/ui/config"}))
	if !strings.Contains(page, "# the hook of the shop") || !strings.Contains(page, "sources:") || !strings.Contains(page, filepath.Base(b.cfgPath)) {
		t.Fatalf("config page does not show the YAML:\n%s", page)
	}
	if strings.Contains(page, "literal-secret-4242") || !strings.Contains(page, "[REDACTED]") {
		t.Fatal("the config page shows a secret")
	}
	if !strings.Contains(page, short(engine.Revision(s).Hash)) || !strings.Contains(page, s.Hash) {
		t.Fatal("the config page does not name its revision")
	}
}

// ingressFake is the engine as the ingress sees it; nothing is accepted
// in these tests.
type ingressFake struct{ *fakeCore }

func (ingressFake) StoreWritable() error { return nil }
func (ingressFake) Outstanding() int64   { return 0 }
func (ingressFake) Accept(context.Context, *engine.Received) (*engine.Accepted, error) {
	return &engine.Accepted{EventID: store.NewID()}, nil
}
func (ingressFake) RunSync(context.Context, *store.Run, *ruleset.Rule) engine.SyncResult {
	return engine.SyncResult{}
}
func (ingressFake) RunStream(context.Context, *store.Run, *ruleset.Rule, io.Writer) engine.SyncResult {
	return engine.SyncResult{}
}

// TestRejectedRequests: refused requests are kept per source, redacted
// and bounded, repeats counted on one entry, and shown by the console
// and the API; accepted ones are not kept.
func TestRejectedRequests(t *testing.T) {
	const secret = "shop-token-9d8e7f"
	b := setupAdmin(t, "")
	b.writeConfig(t, `admin: { listen: "127.0.0.1:0" }
sources:
  hook: { provider: generic, verify: token, header: X-Token, secret: "`+secret+`", max_body: 2KiB }
  office: { provider: generic, verify: none, allow_ips: [10.0.0.0/8] }
`)
	snap, err := ruleset.Load(b.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	b.eng.swap(snap)
	rj := NewRejected(3)
	b.a.Rejected = rj
	in := NewIngress(ingressFake{b.eng}, slog.New(slog.DiscardHandler), snap.Config.Server)
	in.Rejected = rj
	h := in.Handler()
	send := func(source, token, body, remote string) int {
		r := httptest.NewRequest("POST", "/hooks/"+source+"?api_key=qk-123456&page=2", strings.NewReader(body))
		r.RemoteAddr = remote
		r.Header.Set("Content-Type", "application/json")
		if token != "" {
			r.Header.Set("X-Token", token)
		}
		r.Header.Set("X-Note", "sent with "+secret)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	if c := send("hook", "wrong-token", `{"leak":"`+secret+`","html":"<img src=x onerror=alert(1)>"}`, "192.0.2.7:1"); c != http.StatusUnauthorized {
		t.Fatalf("bad token: %d", c)
	}
	if c := send("hook", secret, `{}`, "192.0.2.7:1"); c != http.StatusAccepted {
		t.Fatalf("good token: %d", c)
	}
	if c := send("hook", secret, strings.Repeat("x", 4096), "192.0.2.8:1"); c != http.StatusRequestEntityTooLarge {
		t.Fatalf("too large: %d", c)
	}
	if c := send("office", "", `{}`, "192.0.2.9:1"); c != http.StatusForbidden {
		t.Fatalf("forbidden address: %d", c)
	}
	got := rj.List("")
	if len(got) != 3 {
		t.Fatalf("kept %d requests, want 3 (the accepted one is not kept): %+v", len(got), got)
	}
	forbidden, large, bad := got[0], got[1], got[2]
	if bad.Reason != "unauthorized" || bad.Status != 401 || bad.RemoteIP != "192.0.2.7" || !bad.BodyRead ||
		large.Reason != "too_large" || large.BodyRead || forbidden.Reason != "forbidden" || forbidden.Source != "office" {
		t.Fatalf("kept: %+v", got)
	}
	all, _ := json.Marshal(got)
	if strings.Contains(string(all), secret) || strings.Contains(string(all), "wrong-token") || strings.Contains(string(all), "qk-123456") {
		t.Fatalf("a secret is kept: %s", all)
	}
	if !strings.Contains(bad.Body, `"leak":"[REDACTED]"`) || !strings.Contains(bad.Path, "api_key=[REDACTED]&page=2") {
		t.Fatalf("kept body %q, path %q", bad.Body, bad.Path)
	}
	// Repeats are counted, not kept anew; the list holds 3 per source.
	for i := 0; i < 5; i++ {
		send("hook", "wrong-token", `{}`, "192.0.2.7:1")
	}
	if l := rj.List("hook"); len(l) != 3 || l[0].Repeats != 4 {
		t.Fatalf("after 5 repeats: %d entries, newest repeats %d", len(l), l[0].Repeats)
	}
	for i := 0; i < 4; i++ {
		send("hook", "wrong-token", `{}`, fmt.Sprintf("192.0.2.%d:1", 20+i))
	}
	if l := rj.List("hook"); len(l) != 3 || l[0].RemoteIP != "192.0.2.23" {
		t.Fatalf("bound per source: %d entries, newest from %s", len(l), l[0].RemoteIP)
	}
	if l := rj.List("office"); len(l) != 1 {
		t.Fatalf("another source's flood evicted office's entry: %d", len(l))
	}
	// A big body: a bounded preview.
	send("hook", "wrong-token", `{"a":"`+strings.Repeat("y", 1900)+`"}`, "192.0.2.99:1")
	if e := rj.List("hook")[0]; len(e.Body) > rejectedBody+len("…") || !e.BodyTruncated || e.BodySize < 1900 {
		t.Fatalf("preview %d bytes of %d, truncated %v", len(e.Body), e.BodySize, e.BodyTruncated)
	}

	// The console page, escaped; the API.
	page := body(t, b.do(req{method: "GET", path: "/ui/rejected?source=office"}))
	if !strings.Contains(page, "address not in allow_ips") || strings.Contains(page, "192.0.2.7") {
		t.Fatalf("rejected page for office:\n%s", page)
	}
	rj2 := NewRejected(0)
	b.a.Rejected = rj2
	in.Rejected = rj2
	send("hook", "wrong-token", `{"html":"<img src=x onerror=alert(1)>"}`, "192.0.2.7:1")
	page = body(t, b.do(req{method: "GET", path: "/ui/rejected"}))
	if strings.Contains(page, "<img src=x") || !strings.Contains(page, "&lt;img src=x onerror=alert(1)&gt;") || !strings.Contains(page, "unauthorized") {
		t.Fatalf("rejected page:\n%s", page)
	}
	var api []RejectedRequest
	if err := json.NewDecoder(b.do(req{method: "GET", path: "/api/rejected?source=hook"}).Body).Decode(&api); err != nil || len(api) != 1 {
		t.Fatalf("/api/rejected: %v %d", err, len(api))
	}
}
