package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

func do(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action) {
	t.Helper()
	if err := chromedp.Run(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// TestUIFindsEventsRejectedReplayConfig drives the console's everyday
// finding in a real headless Chromium: short ids that differ within a
// burst and find their event from the search box; the outcome column
// and the state filter; the Rejected page with a refused request,
// redacted and escaped; a bulk replay confirmed by its count; the config
// page as the YAML in force, redacted, with its revision.
func TestUIFindsEventsRejectedReplayConfig(t *testing.T) {
	const token = "ui-find-token-31415"
	healthy := make(chan struct{}) // closed: the downstream answers 200
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-healthy:
			_, _ = w.Write([]byte("ok"))
		default:
			http.Error(w, "downstream is down", http.StatusServiceUnavailable)
		}
	}))
	defer target.Close()
	in := start(t, `
sources:
  shop: { provider: generic, verify: token, header: X-Token, secret: "`+token+`", event_header: X-Event }
rules:
  - name: notify
    source: shop
    events: [order]
    retry: { attempts: 1 }
    actions: [ { http: { url: "`+target.URL+`" } } ]
`, false)
	send := func(tok, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("POST", in.pub+"/hooks/shop", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Token", tok)
		req.Header.Set("X-Event", "order")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var ans struct{ ID string }
		_ = json.NewDecoder(resp.Body).Decode(&ans)
		return resp.StatusCode, ans.ID
	}
	var ids []string
	for _, b := range []string{`{"order":"A-1"}`, `{"order":"B-2"}`, `{"order":"C-3"}`} {
		code, id := send(token, b)
		if code != http.StatusAccepted {
			t.Fatalf("send: %d", code)
		}
		ids = append(ids, id)
	}
	if code, _ := send("forged-token", `{"order":"<script>window.pwned=1</script>","leak":"`+token+`"}`); code != http.StatusUnauthorized {
		t.Fatalf("forged request: %d", code)
	}
	var runs []map[string]any
	waitFor(t, "three dead runs", 15*time.Second, func() bool {
		in.getJSON(t, "/api/runs?state=dead", &runs)
		return len(runs) == 3
	})

	ctx := browser(t, chromium(t))
	shots := t.TempDir()
	if d := os.Getenv("HOOKRUNNER_SCREENSHOTS"); d != "" {
		shots = d
	}
	shot := func(name string) {
		var png []byte
		if err := chromedp.Run(ctx, chromedp.CaptureScreenshot(&png)); err == nil {
			_ = os.WriteFile(filepath.Join(shots, name), png, 0o644)
		}
	}

	// Short ids: the random tail, distinct within the burst.
	navigate(t, ctx, in.adm+"/ui/events")
	seen := map[string]bool{}
	for _, id := range ids {
		// The row's cells read by one script: the page replaces its rows
		// as it polls, and a node found by one call may be gone at the next.
		var cells []string
		do(t, ctx, "event row "+id,
			chromedp.WaitVisible(`tr[data-id="`+id+`"]`, chromedp.ByQuery),
			chromedp.Evaluate(`(r => [r.querySelector("td:nth-child(2) a").innerText, r.querySelector("td.outcome").innerText])(document.querySelector('tr[data-id="`+id+`"]'))`, &cells))
		short, outcome := cells[0], cells[1]
		if short != id[len(id)-8:] || seen[short] {
			t.Fatalf("event %s shown as %q", id, short)
		}
		seen[short] = true
		if !strings.Contains(outcome, "notify") || !strings.Contains(outcome, "dead") {
			t.Fatalf("outcome of %s: %q", id, outcome)
		}
	}
	var when string
	do(t, ctx, "time", chromedp.Evaluate(`document.querySelector('tr[data-id="`+ids[0]+`"] td:first-child').innerText`, &when))
	if zone := time.Now().Format("MST"); !strings.HasSuffix(when, " "+zone) {
		t.Fatalf("time %q without its zone %s", when, zone)
	}
	shot("events-outcome.png")

	// The search box takes a short id.
	var rows int
	do(t, ctx, "search by short id",
		chromedp.SendKeys(`input[name="q"]`, ids[1][len(ids[1])-8:], chromedp.ByQuery),
		chromedp.Submit(`input[name="q"]`, chromedp.ByQuery),
		// The unfiltered page shows the row too: wait for the answer page,
		// the one whose box the server filled in, and for all of it.
		chromedp.WaitVisible(`input[name="q"][value="`+ids[1][len(ids[1])-8:]+`"]`, chromedp.ByQuery),
		chromedp.Poll(`document.readyState === "complete"`, nil),
		chromedp.WaitVisible(`tr[data-id="`+ids[1]+`"]`, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll("#events tbody tr[data-id]").length`, &rows))
	if rows != 1 {
		t.Fatalf("search by short id shows %d rows", rows)
	}
	// Free text in the payload.
	navigate(t, ctx, in.adm+"/ui/events?q=C-3")
	do(t, ctx, "search payload", chromedp.WaitVisible(`tr[data-id="`+ids[2]+`"]`, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll("#events tbody tr[data-id]").length`, &rows))
	if rows != 1 {
		t.Fatalf("payload search shows %d rows", rows)
	}

	// Rejected: the forged request, redacted, its body shown as text.
	navigate(t, ctx, in.adm+"/ui/rejected")
	var reason, headers, bodyText string
	var pwned bool
	do(t, ctx, "rejected page",
		chromedp.WaitVisible(`#rejected tbody tr[data-seq]`, chromedp.ByQuery),
		chromedp.Text(`#rejected .reason`, &reason, chromedp.ByQuery),
		chromedp.Click(`#rejected summary`, chromedp.ByQuery),
		chromedp.WaitVisible(`#rejected pre.body`, chromedp.ByQuery),
		chromedp.Text(`#rejected dl.headers`, &headers, chromedp.ByQuery),
		chromedp.Text(`#rejected pre.body`, &bodyText, chromedp.ByQuery),
		chromedp.Evaluate(`window.pwned !== undefined`, &pwned))
	if reason != "unauthorized" || !strings.Contains(headers, "[REDACTED]") || strings.Contains(headers, "forged-token") {
		t.Fatalf("rejected: reason %q, headers %q", reason, headers)
	}
	if !strings.Contains(bodyText, "<script>window.pwned=1</script>") || strings.Contains(bodyText, token) || pwned {
		t.Fatalf("rejected body (pwned=%v): %q", pwned, bodyText)
	}
	shot("rejected.png")

	// Bulk replay from the runs page: the count first, then the replay.
	close(healthy)
	navigate(t, ctx, in.adm+"/ui/runs")
	var count, notice string
	do(t, ctx, "bulk replay form",
		chromedp.WaitVisible(`#bulk-replay`, chromedp.ByID),
		chromedp.SetValue(`select[name="rule"]`, "notify", chromedp.ByQuery),
		chromedp.SetValue(`select[name="state"]`, "dead", chromedp.ByQuery),
		chromedp.SendKeys(`input[name="since"]`, "1h", chromedp.ByQuery),
		chromedp.Click(`#bulk-replay`, chromedp.ByID),
		chromedp.WaitVisible(`#replay-count`, chromedp.ByID),
		chromedp.Text(`#replay-count`, &count, chromedp.ByID))
	if !strings.Contains(count, "3 dead run(s) of rule notify") {
		t.Fatalf("confirmation: %q", count)
	}
	shot("bulk-replay.png")
	do(t, ctx, "confirm", chromedp.Click(`#confirm-replay`, chromedp.ByID),
		chromedp.WaitVisible(`#replayed`, chromedp.ByID), chromedp.Text(`#replayed`, &notice, chromedp.ByID))
	if !strings.Contains(notice, "Queued 3 run(s)") {
		t.Fatalf("after the replay: %q", notice)
	}
	waitFor(t, "the replayed runs to succeed", 20*time.Second, func() bool {
		in.getJSON(t, "/api/runs?state=succeeded", &runs)
		return len(runs) == 3
	})

	// The config page: YAML as written, redacted, and its revision.
	var cfgText, rev string
	navigate(t, ctx, in.adm+"/ui/config")
	do(t, ctx, "config page", chromedp.WaitVisible(`#config`, chromedp.ByID),
		chromedp.Text(`#config`, &cfgText, chromedp.ByID), chromedp.Text(`#config-revision`, &rev, chromedp.ByID))
	if !strings.Contains(cfgText, "hooks.yaml") || !strings.Contains(cfgText, "sources:") || !strings.Contains(cfgText, "- name: notify") ||
		strings.Contains(cfgText, token) || !strings.Contains(cfgText, "[REDACTED]") || strings.HasPrefix(strings.TrimSpace(cfgText), "{") {
		t.Fatalf("config page:\n%s", cfgText)
	}
	var status map[string]any
	in.getJSON(t, "/api/status", &status)
	if h, _ := status["hash"].(string); h == "" || !strings.Contains(rev, h) {
		t.Fatalf("config revision %q, status %v", rev, status)
	}
}
