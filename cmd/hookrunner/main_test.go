package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/app"
	"github.com/hookrunner/hookrunner/ruleset"
	"github.com/hookrunner/hookrunner/sender"
)

const explainConfig = `
sources:
  github: { provider: github, secret: "s3cr3t-explain" }
rules:
  - name: deploy-main
    source: github
    events: [push]
    if: payload.ref == "refs/heads/main" && payload.repository.full_name == "acme/api"
    actions:
      - shell: { command: ["/opt/acme/deploy.sh", "{{ payload.after }}"] }
  - name: on-release
    source: github
    events: [release]
    actions:
      - shell: { command: ["/bin/true"] }
  - name: by-owner
    source: github
    events: [push]
    if: payload.organization.login == "acme"
    actions:
      - http: { url: "http://127.0.0.1:9/x", body: '{"sha": "{{ payload.after }}"}' }
`

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestExplain(t *testing.T) {
	dir := t.TempDir()
	cfg := writeFile(t, dir, "hooks.yaml", explainConfig)
	main := writeFile(t, dir, "main.json", `{"ref":"refs/heads/main","after":"abc123","repository":{"full_name":"acme/api"}}`)
	dev := writeFile(t, dir, "dev.json", `{"ref":"refs/heads/dev","after":"abc123","repository":{"full_name":"acme/api"}}`)

	out, code := runCmd(t, "explain", "--config", cfg, "--source", "github", "--event", "push", "--payload", main)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	for _, want := range []string{
		"MATCH     deploy-main", `would run [0] shell ["/opt/acme/deploy.sh" "abc123"]`,
		`NO MATCH  on-release — event type "push" is not in events ["release"]`,
		"NO MATCH  by-owner — the if expression failed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// A false condition shows the values that decided it; nothing matches: exit 1.
	out, code = runCmd(t, "explain", "--config", cfg, "--source", "github", "--header", "X-GitHub-Event: push", "--payload", dev)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, out)
	}
	for _, want := range []string{
		"NO MATCH  deploy-main — the if expression is false",
		`payload.ref == "refs/heads/main"  →  false`, `payload.ref = "refs/heads/dev"`,
		`payload.repository.full_name == "acme/api"  →  true`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "s3cr3t-explain") {
		t.Error("explain printed the secret")
	}
}

// Every provider: `send` builds a request the server accepts (2xx), and the
// same request with the body changed is refused.
func TestSendEveryProvider(t *testing.T) {
	dir := t.TempDir()
	_, priv, _ := ed25519.GenerateKey(nil)
	sources := map[string]string{
		"github":           `{ provider: github, secret: "gh" }`,
		"gitlab":           `{ provider: gitlab, secret: "gl" }`,
		"gitea":            `{ provider: gitea, secret: "gt" }`,
		"gogs":             `{ provider: gogs, secret: "gg" }`,
		"bitbucket":        `{ provider: bitbucket, secret: "bb" }`,
		"stripe":           `{ provider: stripe, secret: "whsec_st" }`,
		"shopify":          `{ provider: shopify, secret: "sh" }`,
		"slack":            `{ provider: slack, secret: "sl" }`,
		"twilio":           `{ provider: twilio, secret: "tw" }`,
		"discord":          `{ provider: discord, secret: "` + hex.EncodeToString(priv) + `" }`,
		"standardwebhooks": `{ provider: standardwebhooks, secret: "whsec_c2VjcmV0LWtleQ==" }`,
		"alertmanager":     `{ provider: alertmanager, bearer: "am" }`,
		"grafana":          `{ provider: grafana, username: "u", password: "p" }`,
		"generic":          `{ provider: generic, verify: hmac, header: X-Sig, prefix: "sha256=", secret: "gn" }`,
	}
	payloads := map[string]string{"discord": `{"type":2,"id":"1","data":{"name":"deploy"}}`, "twilio": "From=%2B15551234567&Body=hi&MessageSid=SM1"}
	var b strings.Builder
	b.WriteString("server: { listen: \"127.0.0.1:0\" }\nadmin: { listen: \"127.0.0.1:0\" }\nstore: { dsn: \"" + filepath.Join(dir, "hr.db") + "\" }\nsources:\n")
	for name, src := range sources {
		fmt.Fprintf(&b, "  %s: %s\n", name, src)
	}
	// Without --event, send sends the provider's common event: a rule on
	// it matches.
	defaults := map[string]string{"github": "push", "gitlab": "Push Hook", "gitea": "push", "gogs": "push", "bitbucket": "repo:push", "shopify": "orders/create"}
	b.WriteString("rules:\n")
	for src, ev := range defaults {
		fmt.Fprintf(&b, "  - name: %s-default\n    source: %s\n    events: [%q]\n    actions: [ { shell: { command: [\"/bin/true\"] } } ]\n", src, src, ev)
	}
	cfg := writeFile(t, dir, "hooks.yaml", b.String())

	pub := serveInProcess(t, cfg)

	snap, err := ruleset.Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for name := range sources {
		t.Run(name, func(t *testing.T) {
			args := []string{"send", "--config", cfg, "--source", name, "--url", "http://" + pub + "/hooks/" + name}
			if p, ok := payloads[name]; ok {
				args = append(args, "--payload", writeFile(t, dir, name+".body", p))
			}
			out, code := runCmd(t, args...)
			if code != 0 || !(strings.Contains(out, "202 Accepted") || strings.Contains(out, "200 OK")) {
				t.Fatalf("send: exit %d\n%s", code, out)
			}
			if ev, ok := defaults[name]; ok && (!strings.Contains(out, `"matched":["`+name+`-default"]`) || !strings.Contains(out, ", event "+ev+",")) {
				t.Fatalf("send without --event did not send %q:\n%s", ev, out)
			}
			// Tampered: signed for one body, sent with another.
			body := []byte(`{"type":"x","status":"firing","n":1}`)
			if p, ok := payloads[name]; ok {
				body = []byte(p)
			}
			req, err := sender.BuildSignedRequest(snap.Sources[name], "push", body, nil, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			tampered := bytes.Replace(body, []byte("1"), []byte("2"), 1)
			u := "http://" + pub + "/hooks/" + name
			if req.URL != nil && req.URL.RawQuery != "" {
				u += "?" + req.URL.RawQuery
			}
			hreq, _ := http.NewRequest("POST", u, bytes.NewReader(tampered))
			hreq.Header = req.Header
			resp, err := http.DefaultClient.Do(hreq)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			want := 401
			if name == "gitlab" || name == "alertmanager" || name == "grafana" {
				want = 202 // a token or password does not cover the body
			}
			if resp.StatusCode != want {
				t.Fatalf("tampered request: %d, want %d", resp.StatusCode, want)
			}
		})
	}
}

// A Discord source holds the public key: send says how to sign, and signs
// with --signing-key.
func TestSendSigningKey(t *testing.T) {
	dir := t.TempDir()
	pub, priv, _ := ed25519.GenerateKey(nil)
	cfg := writeFile(t, dir, "hooks.yaml", "server: { listen: \"127.0.0.1:0\" }\nadmin: { listen: \"127.0.0.1:0\" }\nstore: { dsn: \""+
		filepath.Join(dir, "hr.db")+"\" }\nsources:\n  discord: { provider: discord, secret: \""+hex.EncodeToString(pub)+"\" }\n")
	addr, _ := startServer(t, cfg)
	body := writeFile(t, dir, "i.json", `{"type":2,"id":"1","data":{"name":"deploy"}}`)
	args := []string{"send", "--config", cfg, "--source", "discord", "--payload", body, "--url", "http://" + addr + "/hooks/discord"}
	stdout, stderr, code := runSplit(args...)
	if code != 1 || stdout != "" || !strings.Contains(stderr, "put the application's Ed25519 private key (hex: a 32-byte seed or the 64-byte key) in a file and give --signing-key FILE") {
		t.Fatalf("send without a key: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	key := writeFile(t, dir, "discord.key", hex.EncodeToString(priv.Seed())+"\n")
	if out, code := runCmd(t, append(args, "--signing-key", key)...); code != 0 || !strings.Contains(out, "202 Accepted") {
		t.Fatalf("send --signing-key: exit %d\n%s", code, out)
	}
}

func TestSchemaAndVersion(t *testing.T) {
	out, code := runCmd(t, "schema")
	if code != 0 || !strings.Contains(out, `"$schema"`) {
		t.Fatalf("schema: %d", code)
	}
	out, code = runCmd(t, "version")
	if code != 0 || !strings.Contains(out, "hookrunner") {
		t.Fatalf("version: %s", out)
	}
	if _, code := runCmd(t, "frobnicate"); code != 2 {
		t.Fatalf("unknown command exit %d", code)
	}
}

func TestExplainStoredEvent(t *testing.T) {
	dir := t.TempDir()
	cfg := writeFile(t, dir, "hooks.yaml", "server: { listen: \"127.0.0.1:0\" }\nadmin: { listen: \"127.0.0.1:0\" }\nstore: { dsn: \""+
		filepath.Join(dir, "hr.db")+"\" }\n"+explainConfig)
	ready := make(chan string, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- app.Run(ctx, app.Options{ConfigPath: cfg, LogOutput: io.Discard, Ready: func(p, _ string) { ready <- p }})
	}()
	pub := <-ready
	body := filepath.Join(dir, "dev.json")
	os.WriteFile(body, []byte(`{"ref":"refs/heads/dev","after":"abc","repository":{"full_name":"acme/api"}}`), 0o600)
	out, code := runCmd(t, "send", "--config", cfg, "--source", "github", "--event", "push", "--payload", body, "--url", "http://"+pub+"/hooks/github")
	cancel()
	<-done
	if code != 0 {
		t.Fatalf("send: %s", out)
	}
	id := out[strings.Index(out, `"id":"`)+6:]
	id = id[:strings.Index(id, `"`)]
	out, code = runCmd(t, "explain", "--config", cfg, "--event-id", id)
	if code != 1 || !strings.Contains(out, "NO MATCH  deploy-main — the if expression is false") || !strings.Contains(out, `payload.ref = "refs/heads/dev"`) {
		t.Fatalf("explain --event-id: %d\n%s", code, out)
	}
}

// serveInProcess runs hookrunner on cfg in this process until the test
// ends and returns its public listener's address.
func serveInProcess(t *testing.T, cfg string) string {
	t.Helper()
	ready := make(chan string, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		done <- app.Run(ctx, app.Options{ConfigPath: cfg, LogOutput: io.Discard, Ready: func(p, _ string) { ready <- p }})
	}()
	t.Cleanup(func() { cancel(); <-finished })
	select {
	case pub := <-ready:
		return pub
	case err := <-done:
		t.Fatal(err)
	case <-time.After(10 * time.Second):
		t.Fatal("no start")
	}
	return ""
}
