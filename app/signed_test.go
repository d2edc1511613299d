package app_test

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestOnlySignedContentReachesRules replays signed Gitea and Gogs form posts
// against a running hookrunner with content their signature does not cover
// (the payload= field is signed, nothing around it): each is refused with
// 400, nothing is stored and no script runs, while the valid deliveries run,
// and replaying a stored one decodes to the payload the rules saw.
func TestOnlySignedContentReachesRules(t *testing.T) {
	dir := t.TempDir()
	writeScript(t, dir, "deploy.sh", `printf '%s %s\n' "$1" "$2" >> "`+dir+`/deployed"`+"\n")
	in := startIn(t, dir, `
sources:
  gitea: { provider: gitea, secret: "gitea-secret" }
  gogs: { provider: gogs, secret: "gogs-secret" }
rules:
  - name: deploy-gitea
    source: gitea
    events: [push]
    if: payload.ref == "refs/heads/main"
    actions: [ { shell: { command: ["/bin/sh", "%DIR%/deploy.sh", "gitea", "{{ payload.after }}"] } } ]
  - name: deploy-gogs
    source: gogs
    events: [push]
    if: payload.ref == "refs/heads/main"
    actions: [ { shell: { command: ["/bin/sh", "%DIR%/deploy.sh", "gogs", "{{ payload.after }}"] } } ]
`, false)
	deployed := filepath.Join(dir, "deployed")
	send := func(prefix, secret, delivery, signed, body string) (int, string) {
		return post(t, in.pub+"/hooks/"+strings.ToLower(prefix), map[string]string{
			"Content-Type":               "application/x-www-form-urlencoded",
			"X-" + prefix + "-Event":     "push",
			"X-" + prefix + "-Delivery":  delivery,
			"X-" + prefix + "-Signature": hmacHex(secret, signed),
		}, []byte(body))
	}
	form := func(json string) string { return url.Values{"payload": {json}}.Encode() }
	dev := `{"ref":"refs/heads/dev","after":"devsha"}`
	deep := strings.Repeat(`{"a":`, 200) + "1" + strings.Repeat("}", 200) // default max_json_depth: 128

	for _, sender := range []struct{ prefix, secret string }{{"Gitea", "gitea-secret"}, {"Gogs", "gogs-secret"}} {
		attacks := []struct{ name, signed, body string }{
			{"extra ref field", dev, form(dev) + "&ref=refs%2Fheads%2Fmain"},
			{"extra field first", dev, "ref=refs%2Fheads%2Fmain&" + form(dev)},
			{"payload field twice", dev, form(dev) + "&" + form(`{"ref":"refs/heads/main","after":"evil"}`)},
			{"JSON too deep inside payload=", deep, form(deep)},
		}
		for i, a := range attacks {
			code, out := send(sender.prefix, sender.secret, "attack-"+a.name, a.signed, a.body)
			if code != http.StatusBadRequest {
				t.Fatalf("%s %s (%d): %d %s", sender.prefix, a.name, i, code, out)
			}
		}
	}
	if !strings.Contains(in.logs.String(), "request refused: body holds unsigned content") {
		t.Error("the refusal reason was not logged")
	}
	var events []map[string]any
	in.getJSON(t, "/api/events", &events)
	if len(events) != 0 {
		t.Fatalf("refused requests were stored: %v", events)
	}

	// The valid deliveries, signed over payload= alone as Gitea and Gogs
	// send them, still run.
	main := func(sha string) string { return `{"ref":"refs/heads/main","after":"` + sha + `"}` }
	if code, out := send("Gitea", "gitea-secret", "ok-1", main("giteasha"), form(main("giteasha"))); code != 202 || !strings.Contains(out, `"deploy-gitea"`) {
		t.Fatalf("valid gitea delivery: %d %s", code, out)
	}
	if code, out := send("Gogs", "gogs-secret", "ok-2", main("gogssha"), form(main("gogssha"))); code != 202 || !strings.Contains(out, `"deploy-gogs"`) {
		t.Fatalf("valid gogs delivery: %d %s", code, out)
	}
	waitFor(t, "both deploy scripts", 10*time.Second, func() bool {
		b, _ := os.ReadFile(deployed)
		return strings.Contains(string(b), "gitea giteasha\n") && strings.Contains(string(b), "gogs gogssha\n")
	})

	// The stored event decodes at run time to the payload the rules saw:
	// replaying it matches the same rule and passes the same value.
	in.getJSON(t, "/api/events", &events)
	if len(events) != 2 {
		t.Fatalf("stored events = %d, want 2", len(events))
	}
	var id string
	for _, ev := range events {
		if ev["source"] == "gitea" {
			id, _ = ev["id"].(string)
		}
	}
	resp, err := http.Post(in.adm+"/api/events/"+id+"/replay", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("replay event %s: %d", id, resp.StatusCode)
	}
	waitFor(t, "the replayed run", 10*time.Second, func() bool {
		b, _ := os.ReadFile(deployed)
		return strings.Count(string(b), "gitea giteasha\n") == 2
	})
	if b, _ := os.ReadFile(deployed); strings.Contains(string(b), "devsha") || strings.Contains(string(b), "evil") {
		t.Fatalf("an attack ran the script: %q", b)
	}
}
