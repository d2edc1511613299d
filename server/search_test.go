package server

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/search"
	"github.com/hookrunner/hookrunner/store"
)

// TestConsoleSearch: the console's where box and delivery id filter, a
// bad filter answered 400 with its error, a search cut by the scan cap
// saying so and continuing from its cursor, and the API's answer.
func TestConsoleSearch(t *testing.T) {
	b := setupAdmin(t, "")
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	n := search.DefaultScan + 100
	var all []*store.Event
	for i := range n {
		ref := "refs/heads/dev"
		if i == 3 || i >= n-5 {
			ref = "refs/heads/main"
		}
		all = append(all, consoleEvent(b, fmt.Sprintf("del-%05d", i), fmt.Sprintf(`{"n":%d,"ref":%q}`, i, ref), t0.Add(time.Duration(i)*time.Second), store.Succeeded, "notify"))
	}
	rows := func(page string) []string {
		var ids []string
		for _, m := range rowRe.FindAllStringSubmatch(page, -1) {
			ids = append(ids, m[1])
		}
		return ids
	}
	ids := func(evs ...*store.Event) []string {
		var out []string
		for _, ev := range evs {
			out = append(out, ev.ID)
		}
		return out
	}

	main := url.QueryEscape(`payload.ref == "refs/heads/main"`)
	page := body(t, b.do(req{method: "GET", path: "/ui/events?where=" + main}))
	if got, want := rows(page), ids(all[n-1], all[n-2], all[n-3], all[n-4], all[n-5]); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("where: rows %v, want %v", got, want)
	}
	if !strings.Contains(page, `id="partial"`) || !strings.Contains(page, fmt.Sprintf("Searched %d events", search.DefaultScan)) {
		t.Fatal("a search stopped by the scan cap does not say so")
	}
	older := regexp.MustCompile(`<a href="([^"]+)" id="older">`).FindStringSubmatch(page)
	if older == nil {
		t.Fatal("a partial search has no link to continue")
	}
	next := html.UnescapeString(older[1])
	if !strings.Contains(next, "where=") || !strings.Contains(next, "after=") {
		t.Fatalf("continue link %q loses the filter or the cursor", next)
	}
	page = body(t, b.do(req{method: "GET", path: next}))
	if got, want := rows(page), ids(all[3]); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("continued search: rows %v, want %v", got, want)
	}

	page = body(t, b.do(req{method: "GET", path: "/ui/events?delivery=del-00042"}))
	if got, want := rows(page), ids(all[42]); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("delivery: rows %v, want %v", got, want)
	}

	resp := b.do(req{method: "GET", path: "/ui/events?where=" + url.QueryEscape(`payload.ref == <b>`)})
	page = body(t, resp)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, `id="filter-error"`) || strings.Contains(page, "== <b>") {
		t.Fatalf("a bad filter: %d, error shown and escaped? %q", resp.StatusCode, page)
	}

	// The API: the same search, the cursor of the next page in a header.
	resp = b.do(req{method: "GET", path: "/api/events?limit=2&where=" + main})
	var evs []*store.Event
	if err := json.NewDecoder(resp.Body).Decode(&evs); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("api: %d, %v", resp.StatusCode, err)
	}
	if len(evs) != 2 || evs[0].ID != all[n-1].ID || resp.Header.Get("Hookrunner-Next") != CursorString(store.Cursor{ReceivedAt: all[n-2].ReceivedAt, ID: all[n-2].ID}) {
		t.Fatalf("api: %d events, next %q", len(evs), resp.Header.Get("Hookrunner-Next"))
	}
	if resp := b.do(req{method: "GET", path: "/api/events?where=" + url.QueryEscape("1 +")}); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("api: a bad filter answered %d, want 400", resp.StatusCode)
	}
}

// TestParseSinceDays: time filters take days (config.ParseDuration, tested
// beside it).
func TestParseSinceDays(t *testing.T) {
	if _, err := ParseSince("1.5d", time.Now()); err == nil {
		t.Fatal("1.5d accepted")
	}
	now := time.Date(2030, 1, 8, 0, 0, 0, 0, time.UTC)
	if got, err := ParseSince("7d", now); err != nil || !got.Equal(now.Add(-7*24*time.Hour)) {
		t.Fatalf("ParseSince(7d) = %v, %v", got, err)
	}
}
