package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no chromium installed (apt-get install chromium)")
	return ""
}

// TestWebConsole drives the console in a real headless Chromium: events
// appear without reloading, an event shows why a rule did not match, a dead
// run is replayed with one click and succeeds, and payloads are escaped.
func TestWebConsole(t *testing.T) {
	bin := chromium(t)
	var healthy atomic.Bool
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !healthy.Load() {
			http.Error(w, "downstream is down", 503)
			return
		}
		w.Write([]byte("ok"))
	}))
	defer target.Close()
	in := start(t, `
sources:
  hook: { provider: generic, verify: token, header: X-Token, secret: "ui-token", event_header: X-Event }
rules:
  - name: notify
    source: hook
    events: [order]
    retry: { attempts: 1 }
    actions: [ { http: { url: "`+target.URL+`" } } ]
  - name: big-orders
    source: hook
    events: [order]
    if: payload.total > 1000
    actions: [ { shell: { command: ["/bin/true"] } } ]
`, false)
	sendEvent := func(body string) string {
		t.Helper()
		req, _ := http.NewRequest("POST", in.pub+"/hooks/hook", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Token", "ui-token")
		req.Header.Set("X-Event", "order")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var ans struct{ ID string }
		if err := json.NewDecoder(resp.Body).Decode(&ans); err != nil || resp.StatusCode != 202 {
			t.Fatalf("send: %d %v", resp.StatusCode, err)
		}
		return ans.ID
	}

	profile, err := os.MkdirTemp("", "hookrunner-chromium")
	if err != nil {
		t.Fatal(err)
	}
	defer removeProfile(t, profile)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile), chromedp.WindowSize(1366, 900))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelA()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	defer cancelT()
	shots := t.TempDir()
	if d := os.Getenv("HOOKRUNNER_SCREENSHOTS"); d != "" {
		shots = d
	}
	var png []byte

	// The list is open before the events are sent: they must appear live.
	navigate(t, ctx, in.adm+"/ui/events")
	if err := chromedp.Run(ctx, chromedp.WaitVisible("#events", chromedp.ByID)); err != nil {
		t.Fatal(err)
	}
	first := sendEvent(`{"order":"A-1001","total":25,"title":"<script>window.pwned=1</script><img src=x onerror=window.pwned=2>"}`)
	second := sendEvent(`{"order":"A-1002","total":4200,"customer":{"email":"jenny@example.com"}}`)
	for _, id := range []string{first, second} {
		if err := chromedp.Run(ctx, chromedp.WaitVisible(`tr[data-id="`+id+`"]`, chromedp.ByQuery)); err != nil {
			t.Fatalf("event %s did not appear without a reload: %v", id, err)
		}
	}
	if err := chromedp.Run(ctx, chromedp.CaptureScreenshot(&png)); err == nil {
		os.WriteFile(filepath.Join(shots, "events.png"), png, 0o644)
	}

	// Open the first event: NO MATCH for big-orders, with the reason.
	var decisions, payloadText string
	var pwned bool
	err = chromedp.Run(ctx,
		// One script finds and clicks the link: the page replaces its rows
		// as it polls, and a row found by one call may be gone at the next.
		chromedp.Evaluate(`document.querySelector('tr[data-id="`+first+`"] a').click()`, nil),
		chromedp.WaitVisible("#decisions", chromedp.ByID),
		chromedp.Text("#decisions", &decisions, chromedp.ByID),
		chromedp.Text("#payload", &payloadText, chromedp.ByID),
		chromedp.Evaluate(`window.pwned !== undefined`, &pwned),
	)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(decisions, "NO MATCH big-orders") || !strings.Contains(decisions, "the if expression is false") ||
		!strings.Contains(decisions, "payload.total = 25") {
		t.Fatalf("decisions:\n%s", decisions)
	}
	if !strings.Contains(payloadText, "<script>window.pwned=1</script>") || pwned {
		t.Fatalf("payload not shown as text (pwned=%v):\n%s", pwned, payloadText)
	}
	if err := chromedp.Run(ctx, chromedp.CaptureScreenshot(&png)); err == nil {
		os.WriteFile(filepath.Join(shots, "event.png"), png, 0o644)
	}

	// The notify runs went dead (downstream down, one attempt). Fix the
	// downstream and replay one from its page.
	var runs []map[string]any
	waitFor(t, "dead runs", 10*time.Second, func() bool {
		in.getJSON(t, "/api/runs?state=dead", &runs)
		return len(runs) == 2
	})
	healthy.Store(true)
	var state, deadURL, newURL string
	navigate(t, ctx, in.adm+"/ui/runs?state=dead")
	err = chromedp.Run(ctx,
		chromedp.Click(`table.runs tbody tr a`, chromedp.ByQuery),
		chromedp.WaitVisible("#replay", chromedp.ByID),
		chromedp.Location(&deadURL),
		chromedp.Click("#replay", chromedp.ByID),
	)
	if err != nil {
		t.Fatal(err)
	}
	// The button posts the form and lands on the new run's page.
	waitFor(t, "the replay to open a new run", 15*time.Second, func() bool {
		err := chromedp.Run(ctx, chromedp.Location(&newURL))
		return err == nil && newURL != deadURL && strings.Contains(newURL, "/ui/runs/")
	})
	waitFor(t, "the replayed run to succeed", 15*time.Second, func() bool {
		if err := chromedp.Run(ctx, chromedp.Reload(), chromedp.WaitVisible("#run-state", chromedp.ByID), chromedp.Text("#run-state", &state, chromedp.ByID)); err != nil {
			t.Fatal(err)
		}
		return state == "succeeded"
	})
	var attempts string
	if err := chromedp.Run(ctx, chromedp.Text("div.attempt", &attempts, chromedp.ByQuery)); err != nil || !strings.Contains(attempts, "ok") {
		t.Fatalf("attempt: %q %v", attempts, err)
	}

	// A forged cross-site replay is refused.
	req, _ := http.NewRequest("POST", in.adm+"/ui/runs/"+runs[1]["id"].(string)+"/replay", strings.NewReader("csrf=wrong"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 403 {
		t.Fatalf("replay without the CSRF token: %v %d", err, resp.StatusCode)
	}
	resp.Body.Close()
}

// removeProfile removes a Chromium profile directory once the browser has
// gone (the allocator's cancel waits for it). Its helper processes may
// still write a file while they exit, which makes a removal fail: retry
// until one succeeds.
func removeProfile(t *testing.T, dir string) {
	t.Helper()
	waitFor(t, "the browser profile "+dir+" to be removed", 10*time.Second, func() bool { return os.RemoveAll(dir) == nil })
}

// navigate loads u, retrying a load that a still-running navigation or
// fetch aborted (net::ERR_ABORTED) on a busy machine.
func navigate(t *testing.T, ctx context.Context, u string) {
	t.Helper()
	var err error
	for i := 0; i < 5; i++ {
		if err = chromedp.Run(ctx, chromedp.Navigate(u)); err == nil {
			return
		}
		time.Sleep(200 * time.Millisecond) // bounded retry (5 tries) of an aborted load
	}
	t.Fatalf("navigate %s: %v", u, err)
}

// TestWebConsoleSignIn drives sign-in and sign-out in a real headless
// Chromium with an admin token set: pages send the browser to the login
// form, a wrong token is refused, the right one opens a session whose
// cookie scripts cannot read, and the logout button ends it (the page
// returns to the login form and the old session no longer opens pages).
func TestWebConsoleSignIn(t *testing.T) {
	bin := chromium(t)
	const token = "console-signin-token-5e1f"
	t.Setenv("HOOKRUNNER_ADMIN_TOKEN", token)
	in := start(t, `
sources:
  hook: { provider: generic, verify: none }
`, false)
	profile, err := os.MkdirTemp("", "hookrunner-chromium")
	if err != nil {
		t.Fatal(err)
	}
	defer removeProfile(t, profile)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile), chromedp.WindowSize(1366, 900))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelA()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	defer cancelT()

	var loc, msg, cookies string
	navigate(t, ctx, in.adm+"/ui/events")
	if err := chromedp.Run(ctx, chromedp.WaitVisible(`input[name="token"]`, chromedp.ByQuery), chromedp.Location(&loc)); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(loc, "/ui/login") {
		t.Fatalf("signed-out page went to %s, not the login form", loc)
	}
	// A wrong token: the form again, with the reason.
	err = chromedp.Run(ctx,
		chromedp.SendKeys(`input[name="token"]`, "not-the-token", chromedp.ByQuery),
		chromedp.Submit(`input[name="token"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`p.error`, chromedp.ByQuery),
		chromedp.Text(`p.error`, &msg, chromedp.ByQuery),
	)
	if err != nil || !strings.Contains(msg, "Wrong token") {
		t.Fatalf("wrong token: %q %v", msg, err)
	}
	// The right token: the console, with a logout button.
	err = chromedp.Run(ctx,
		chromedp.SendKeys(`input[name="token"]`, token, chromedp.ByQuery),
		chromedp.Submit(`input[name="token"]`, chromedp.ByQuery),
		chromedp.WaitVisible("#logout", chromedp.ByID),
		chromedp.Location(&loc),
		chromedp.Evaluate(`document.cookie`, &cookies),
	)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(loc, "/ui/login") || strings.Contains(cookies, "hookrunner_admin") {
		t.Fatalf("after sign-in: at %s, script-visible cookies %q (the session cookie must be HttpOnly)", loc, cookies)
	}
	navigate(t, ctx, in.adm+"/ui/runs")
	if err := chromedp.Run(ctx, chromedp.WaitVisible("#logout", chromedp.ByID), chromedp.Location(&loc)); err != nil || !strings.HasSuffix(loc, "/ui/runs") {
		t.Fatalf("signed-in navigation: %s %v", loc, err)
	}
	// Sign out: back to the login form, and pages need a new sign-in.
	err = chromedp.Run(ctx,
		chromedp.Click("#logout", chromedp.ByID),
		chromedp.WaitVisible(`input[name="token"]`, chromedp.ByQuery),
		chromedp.Location(&loc),
	)
	if err != nil || !strings.HasSuffix(loc, "/ui/login") {
		t.Fatalf("logout: at %s, %v", loc, err)
	}
	navigate(t, ctx, in.adm+"/ui/runs")
	if err := chromedp.Run(ctx, chromedp.WaitVisible(`input[name="token"]`, chromedp.ByQuery), chromedp.Location(&loc)); err != nil || !strings.HasSuffix(loc, "/ui/login") {
		t.Fatalf("after logout /ui/runs showed %s (%v), not the login form", loc, err)
	}
}
