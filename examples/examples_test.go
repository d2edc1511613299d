package examples_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/hookrunner/hookrunner/app"
	"github.com/hookrunner/hookrunner/providers"
	"github.com/hookrunner/hookrunner/ruleset"
	"github.com/hookrunner/hookrunner/sender"
)

// serve runs an example's hooks.yaml (copied with its scripts into a temp
// dir) on 127.0.0.1 with a temp store; env sets the example's variables.
func serve(t *testing.T, example string, env map[string]string) (dir, pub, adm string) {
	t.Helper()
	dir = t.TempDir()
	entries, _ := os.ReadDir(example)
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(example, e.Name()))
		info, _ := e.Info()
		os.WriteFile(filepath.Join(dir, e.Name()), b, info.Mode())
	}
	t.Setenv("HOOKRUNNER_SERVER_LISTEN", "127.0.0.1:0")
	t.Setenv("HOOKRUNNER_ADMIN_LISTEN", "127.0.0.1:0")
	t.Setenv("HOOKRUNNER_STORE_DSN", filepath.Join(dir, "hookrunner.db"))
	t.Setenv("HOOKRUNNER_RUNNER_POLL_INTERVAL", "50ms")
	for k, v := range env {
		t.Setenv(k, v)
	}
	ready := make(chan [2]string, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	logs := &bytes.Buffer{}
	go func() {
		done <- app.Run(ctx, app.Options{ConfigPath: filepath.Join(dir, "hooks.yaml"), LogOutput: io.Discard,
			Ready: func(p, a string) { ready <- [2]string{p, a} }})
	}()
	select {
	case a := <-ready:
		pub, adm = "http://"+a[0], "http://"+a[1]
	case err := <-done:
		t.Fatalf("%s did not start: %v %s", example, err, logs)
	case <-time.After(10 * time.Second):
		t.Fatal("no start")
	}
	t.Cleanup(func() { cancel(); <-done })
	return dir, pub, adm
}

// send posts a correctly signed request built from the example's config.
func send(t *testing.T, dir, pub, source, event string, body []byte) *http.Response {
	t.Helper()
	snap, err := ruleset.Load(filepath.Join(dir, "hooks.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	req, err := sender.BuildSignedRequest(snap.Sources[source], event, body, nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	hreq, _ := http.NewRequest("POST", pub+"/hooks/"+source, bytes.NewReader(req.Body)) // encrypted for a source with decrypt:
	hreq.Header = req.Header
	resp, err := http.DefaultClient.Do(hreq)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func TestGitHubRedeploy(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	work := t.TempDir()
	origin, clone := filepath.Join(work, "origin"), filepath.Join(work, "api")
	git(t, work, "init", "--quiet", "--bare", origin)
	git(t, work, "clone", "--quiet", origin, clone)
	os.WriteFile(filepath.Join(clone, "Makefile"), []byte("build:\n\t@echo built > build.out\n"), 0o644)
	git(t, clone, "add", ".")
	git(t, clone, "commit", "--quiet", "-m", "one")
	git(t, clone, "push", "--quiet", "origin", "HEAD:main")
	// Three more commits pushed to origin after the deploy checkout was made.
	src := filepath.Join(work, "dev")
	git(t, work, "clone", "--quiet", "--branch", "main", origin, src)
	var shas []string
	for i := 2; i <= 4; i++ {
		os.WriteFile(filepath.Join(src, "version"), []byte(fmt.Sprint(i)), 0o644)
		git(t, src, "add", ".")
		git(t, src, "commit", "--quiet", "-m", fmt.Sprint(i))
		shas = append(shas, git(t, src, "rev-parse", "HEAD"))
	}
	git(t, src, "push", "--quiet", "origin", "HEAD:main")

	dir, pub, _ := serve(t, "github-redeploy", map[string]string{"API_REPO_DIR": clone})
	for i, sha := range shas {
		body := []byte(fmt.Sprintf(`{"ref":"refs/heads/main","after":%q,"deleted":false,"repository":{"full_name":"acme/api"}}`, sha))
		resp := send(t, dir, pub, "github", "push", body)
		resp.Body.Close()
		if resp.StatusCode != 202 {
			t.Fatalf("push %d: %d", i, resp.StatusCode)
		}
	}
	// A push to another branch deploys nothing.
	resp := send(t, dir, pub, "github", "push", []byte(`{"ref":"refs/heads/dev","after":"abc","repository":{"full_name":"acme/api"}}`))
	resp.Body.Close()
	logPath := filepath.Join(dir, "deploys.log")
	waitFor(t, "three deploys", func() bool {
		b, _ := os.ReadFile(logPath)
		return strings.Count(string(b), " end ") == 3
	})
	if head := git(t, clone, "rev-parse", "HEAD"); head != shas[2] {
		t.Fatalf("checked out %s, want %s", head, shas[2])
	}
	if _, err := os.Stat(filepath.Join(clone, "build.out")); err != nil {
		t.Fatal("make build did not run")
	}
	// Deploys ran one at a time, in order: start, end, start, end, …
	b, _ := os.ReadFile(logPath)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	for i, l := range lines {
		want := map[int]string{0: "start", 1: "end"}[i%2] + " " + shas[i/2]
		if !strings.HasSuffix(l, want) {
			t.Fatalf("deploy log line %d = %q, want … %s (deploys overlapped or reordered)\n%s", i, l, want, b)
		}
	}
}

func alert(status, startsAt string) []byte {
	return []byte(fmt.Sprintf(`{"version":"4","groupKey":"{}:{alertname=\"HighLoad\"}","status":%q,"receiver":"hookrunner",
"groupLabels":{"alertname":"HighLoad"},"commonLabels":{"alertname":"HighLoad","service":"checkout"},
"alerts":[{"status":%q,"labels":{"alertname":"HighLoad","service":"checkout"},"startsAt":%q,"fingerprint":"c8b6a1f2"}]}`, status, status, startsAt))
}

func TestAlertmanagerScale(t *testing.T) {
	dir, pub, adm := serve(t, "alertmanager-scale", map[string]string{"COOLDOWN_SECONDS": "300"})
	// A flapping alert: five distinct firing notifications.
	for i := 0; i < 5; i++ {
		resp := send(t, dir, pub, "alerts", "", alert("firing", fmt.Sprintf("2026-11-22T10:0%d:00Z", i)))
		resp.Body.Close()
		if resp.StatusCode != 202 {
			t.Fatalf("firing %d: %d", i, resp.StatusCode)
		}
	}
	resp := send(t, dir, pub, "alerts", "", alert("resolved", "2026-11-22T10:04:00Z"))
	resp.Body.Close()
	waitFor(t, "six finished runs", func() bool {
		r, err := http.Get(adm + "/api/runs?state=succeeded")
		if err != nil {
			return false
		}
		var runs []any
		json.NewDecoder(r.Body).Decode(&runs)
		r.Body.Close()
		return len(runs) == 6
	})
	b, _ := os.ReadFile(filepath.Join(dir, "scale-state", "actions.log"))
	if strings.Count(string(b), "scale up checkout") != 1 || strings.Count(string(b), "scale down checkout") != 1 {
		t.Fatalf("scaling actions:\n%s", b)
	}
	// No bearer token: refused.
	r, _ := http.Post(pub+"/hooks/alerts", "application/json", bytes.NewReader(alert("firing", "x")))
	r.Body.Close()
	if r.StatusCode != 401 {
		t.Fatalf("unauthenticated alert: %d", r.StatusCode)
	}
}

func TestStripeCRM(t *testing.T) {
	dir, pub, _ := serve(t, "stripe-crm", nil)
	body, _ := os.ReadFile("stripe-crm/customer.created.json")
	for i := 0; i < 3; i++ { // the same event delivered three times
		resp := send(t, dir, pub, "stripe", "", body)
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			t.Fatalf("delivery %d: %d", i, resp.StatusCode)
		}
	}
	db, err := sql.Open("sqlite", filepath.Join(dir, "crm.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	var email, name, plan string
	waitFor(t, "the contact row", func() bool {
		return db.QueryRow(`SELECT COUNT(*), MAX(email), MAX(name), MAX(plan) FROM contacts`).Scan(&n, &email, &name, &plan) == nil && n == 1
	})
	if email != "jenny.rosen@example.com" || name != "Jenny Rosen" || plan != "team" {
		t.Fatalf("row = %s %s %s", email, name, plan)
	}
}

func TestSlackCommand(t *testing.T) {
	dir, pub, adm := serve(t, "slack-command", nil)
	body, err := providers.Sample("slack", "slash_command")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	resp := send(t, dir, pub, "slack", "", body)
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("answered in %s, beyond Slack's 3 s", took)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" ||
		string(out) != "{\"response_type\":\"in_channel\",\"text\":\"Deploying api to production, requested by @ada\"}\n" {
		t.Fatalf("answer: %d %s %q", resp.StatusCode, resp.Header.Get("Content-Type"), out)
	}
	r, _ := http.Get(adm + "/api/runs?event=" + resp.Header.Get("X-Hookrunner-Event-Id"))
	var runs []map[string]any
	json.NewDecoder(r.Body).Decode(&runs)
	r.Body.Close()
	if len(runs) != 1 || runs[0]["state"] != "succeeded" {
		t.Fatalf("runs = %v", runs)
	}
}

func TestShopifyOrder(t *testing.T) {
	got := make(chan map[string]any, 1)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var v map[string]any
		if err := json.Unmarshal(raw, &v); err != nil {
			http.Error(w, "bad json: "+err.Error(), 400)
			return
		}
		v["_auth"] = r.Header.Get("Authorization")
		v["_raw"] = string(raw)
		got <- v
	}))
	defer target.Close()
	dir, pub, _ := serve(t, "shopify-order", map[string]string{"FULFILLMENT_URL": target.URL + "/orders"})
	body, _ := providers.Sample("shopify", "orders/create")
	resp := send(t, dir, pub, "shopify", "orders/create", body)
	resp.Body.Close()
	if resp.StatusCode != 202 {
		t.Fatalf("order: %d", resp.StatusCode)
	}
	select {
	case v := <-got:
		if v["order"] != "#1001" || v["email"] != "jon@example.com" || v["total"] != "59.90 USD" ||
			fmt.Sprint(v["skus"]) != "[SKU2006-001 SKU2006-020]" || v["_auth"] != "Bearer dev-fulfillment-token" {
			t.Fatalf("fulfillment got %v", v)
		}
		// The order id (above 2^53) arrives exactly as Shopify sent it.
		if raw, _ := v["_raw"].(string); !strings.Contains(raw, `"order_id": 820982911946154508,`) {
			t.Fatalf("fulfillment body: %s", raw)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the fulfillment service was not called")
	}
}

func TestPollOrders(t *testing.T) {
	orders := `{"data": [
 {"id": 101, "status": "paid", "customer": {"email": "ada@example.com", "name": "Ada"}},
 {"id": 102, "status": "pending", "customer": {"email": "bob@example.com", "name": "Bob"}},
 {"id": 103, "status": "paid", "customer": {"email": "ada@example.com", "name": "Ada L."}}]}`
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer dev-orders-token" {
			http.Error(w, "no", 401)
			return
		}
		if r.URL.Query().Get("since") == "103" {
			w.Write([]byte(`{"data": []}`))
			return
		}
		w.Write([]byte(orders))
	}))
	defer api.Close()
	dir, _, adm := serve(t, "poll-orders", map[string]string{"ORDERS_API": api.URL})
	defer func() {
		if t.Failed() {
			r, _ := http.Get(adm + "/api/runs")
			b, _ := io.ReadAll(r.Body)
			t.Logf("runs: %s", b)
		}
	}()
	db, err := sql.Open("sqlite", filepath.Join(dir, "crm.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	var name, last string
	waitFor(t, "the paid orders' customer", func() bool {
		return db.QueryRow(`SELECT COUNT(*), MAX(name), MAX(last_order) FROM customers`).Scan(&n, &name, &last) == nil && n == 1 && last == "103"
	})
	if name != "Ada L." {
		t.Fatalf("customer = %s %s", name, last)
	}
}

// The encrypted-orders example: signed, encrypted deliveries (aes-256-gcm
// and JWE) run rules that read decrypted fields, and the event is stored
// decrypted, so its payload decodes again from the store.
func TestEncryptedOrders(t *testing.T) {
	dir, pub, adm := serve(t, "encrypted-orders", nil)
	order, _ := os.ReadFile("encrypted-orders/order.json")
	refund, _ := os.ReadFile("encrypted-orders/refund.json")
	var orderID string
	for _, d := range []struct {
		source, event string
		body          []byte
	}{
		{"orders", "order.paid", order}, {"refunds", "refund.created", refund},
	} {
		resp := send(t, dir, pub, d.source, d.event, d.body)
		var ans struct{ ID string }
		json.NewDecoder(resp.Body).Decode(&ans)
		resp.Body.Close()
		if resp.StatusCode != 202 {
			t.Fatalf("%s: %d", d.source, resp.StatusCode)
		}
		if d.source == "orders" {
			orderID = ans.ID
		}
	}
	log := filepath.Join(dir, "shipments.log")
	waitFor(t, "both shipments", func() bool {
		b, _ := os.ReadFile(log)
		return strings.Count(string(b), "\n") == 2
	})
	b, _ := os.ReadFile(log)
	for _, want := range []string{"ord_7Hq2 ada@example.com\n", "refund-ord_7Hq2 29.90\n"} {
		if !strings.Contains(string(b), want) {
			t.Fatalf("shipments.log = %q, want a line %q", b, want)
		}
	}
	r, err := http.Get(adm + "/api/events/" + orderID)
	if err != nil {
		t.Fatal(err)
	}
	var ev struct {
		Payload struct {
			Customer struct{ Email string }
		}
	}
	json.NewDecoder(r.Body).Decode(&ev)
	r.Body.Close()
	if ev.Payload.Customer.Email != "ada@example.com" {
		t.Fatalf("the stored event does not decode to the decrypted payload: %+v", ev)
	}
}
