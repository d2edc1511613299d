package app_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/importer"
	"github.com/hookrunner/hookrunner/providers/builtin"
)

func post(t *testing.T, u string, headers map[string]string, body []byte) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", u, bytes.NewReader(body))
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func hmacHex(secret string, parts ...string) string {
	m := hmac.New(sha256.New, []byte(secret))
	for _, p := range parts {
		m.Write([]byte(p))
	}
	return hex.EncodeToString(m.Sum(nil))
}

func TestProviderHandshakesAndQuirks(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	in := start(t, `
sources:
  slack: { provider: slack, secret: "slack-secret" }
  discord: { provider: discord, secret: "`+hex.EncodeToString(pub)+`" }
  gitea: { provider: gitea, secret: "gitea-secret" }
  twilio: { provider: twilio, secret: "twilio-token", public_url: "https://hooks.example.com/hooks/twilio" }
  rotated: { provider: github, secrets: ["new-secret", "old-secret"] }
  gitlab: { provider: gitlab, signing_token: "whsec_c2lnbmluZy10b2tlbg==" }
rules:
  - { name: gitea-push, source: gitea, events: [push], if: 'payload.ref == "refs/heads/main"', actions: [ { shell: { command: ["/bin/true"] } } ] }
  - { name: sms, source: twilio, events: [message], if: 'payload.Body == "hello"', actions: [ { shell: { command: ["/bin/true"] } } ] }
  - { name: rotated, source: rotated, actions: [ { shell: { command: ["/bin/true"] } } ] }
  - { name: gl, source: gitlab, actions: [ { shell: { command: ["/bin/true"] } } ] }
`, false)
	now := strconv.FormatInt(time.Now().Unix(), 10)

	t.Run("slack url_verification", func(t *testing.T) {
		body := `{"token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`
		code, out := post(t, in.pub+"/hooks/slack", map[string]string{"Content-Type": "application/json", "X-Slack-Request-Timestamp": now,
			"X-Slack-Signature": "v0=" + hmacHex("slack-secret", "v0:"+now+":"+body)}, []byte(body))
		if code != 200 || out != `{"challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}` {
			t.Fatalf("%d %s", code, out)
		}
		// Unsigned challenges are refused like anything else.
		code, _ = post(t, in.pub+"/hooks/slack", map[string]string{"Content-Type": "application/json"}, []byte(body))
		if code != 401 {
			t.Fatalf("unsigned challenge: %d", code)
		}
	})

	t.Run("discord ping and bad-signature probe", func(t *testing.T) {
		body := `{"id":"1","application_id":"2","type":1,"token":"t","version":1}`
		sig := hex.EncodeToString(ed25519.Sign(priv, []byte(now+body)))
		code, out := post(t, in.pub+"/hooks/discord", map[string]string{"Content-Type": "application/json",
			"X-Signature-Ed25519": sig, "X-Signature-Timestamp": now}, []byte(body))
		if code != 200 || out != `{"type":1}` {
			t.Fatalf("ping: %d %s", code, out)
		}
		// Discord's deliberate probe with a bad signature must get 401.
		bad := hex.EncodeToString(ed25519.Sign(priv, []byte(now+body+"x")))
		code, _ = post(t, in.pub+"/hooks/discord", map[string]string{"Content-Type": "application/json",
			"X-Signature-Ed25519": bad, "X-Signature-Timestamp": now}, []byte(body))
		if code != 401 {
			t.Fatalf("bad-signature probe: %d", code)
		}
		wh := `{"version":1,"application_id":"2","type":0}`
		code, _ = post(t, in.pub+"/hooks/discord", map[string]string{"Content-Type": "application/json",
			"X-Signature-Ed25519": hex.EncodeToString(ed25519.Sign(priv, []byte(now+wh))), "X-Signature-Timestamp": now}, []byte(wh))
		if code != 204 {
			t.Fatalf("webhook-events ping: %d", code)
		}
	})

	t.Run("gitea form post signs the payload field", func(t *testing.T) {
		payload := `{"ref":"refs/heads/main","after":"abc"}`
		form := url.Values{"payload": {payload}}.Encode()
		code, out := post(t, in.pub+"/hooks/gitea", map[string]string{"Content-Type": "application/x-www-form-urlencoded",
			"X-Gitea-Event": "push", "X-Gitea-Signature": hmacHex("gitea-secret", payload)}, []byte(form))
		if code != 202 || !strings.Contains(out, `"gitea-push"`) {
			t.Fatalf("%d %s", code, out)
		}
	})

	t.Run("twilio form behind a proxy", func(t *testing.T) {
		params := url.Values{"From": {"+15551234567"}, "Body": {"hello"}, "MessageSid": {"SM123"}, "To": {"+15557654321"}}
		// Twilio signs the public URL it called, not the one hookrunner sees.
		sig := builtin.TwilioSignature("twilio-token", "https://hooks.example.com/hooks/twilio", params)
		code, out := post(t, in.pub+"/hooks/twilio", map[string]string{"Content-Type": "application/x-www-form-urlencoded",
			"X-Twilio-Signature": sig, "I-Twilio-Idempotency-Token": "tw-1"}, []byte(params.Encode()))
		if code != 202 || !strings.Contains(out, `"sms"`) {
			t.Fatalf("%d %s", code, out)
		}
		wrong := builtin.TwilioSignature("twilio-token", in.pub+"/hooks/twilio", params)
		code, _ = post(t, in.pub+"/hooks/twilio", map[string]string{"Content-Type": "application/x-www-form-urlencoded",
			"X-Twilio-Signature": wrong}, []byte(params.Encode()))
		if code != 401 {
			t.Fatalf("signature over the internal URL accepted: %d", code)
		}
	})

	t.Run("secret rotation", func(t *testing.T) {
		body := `{"zen":"x"}`
		for _, secret := range []string{"new-secret", "old-secret"} {
			code, _ := post(t, in.pub+"/hooks/rotated", map[string]string{"Content-Type": "application/json", "X-GitHub-Event": "ping",
				"X-Hub-Signature-256": "sha256=" + hmacHex(secret, body)}, []byte(body))
			if code != 202 {
				t.Fatalf("%s: %d", secret, code)
			}
		}
		code, _ := post(t, in.pub+"/hooks/rotated", map[string]string{"Content-Type": "application/json", "X-GitHub-Event": "ping",
			"X-Hub-Signature-256": "sha256=" + hmacHex("retired-secret", body)}, []byte(body))
		if code != 401 {
			t.Fatalf("retired secret accepted: %d", code)
		}
	})

	t.Run("gitlab signing token", func(t *testing.T) {
		body := `{"object_kind":"push"}`
		key, _ := base64.StdEncoding.DecodeString("c2lnbmluZy10b2tlbg==")
		m := hmac.New(sha256.New, key)
		m.Write([]byte("msg_1." + now + "." + body))
		sig := "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
		code, _ := post(t, in.pub+"/hooks/gitlab", map[string]string{"Content-Type": "application/json", "X-Gitlab-Event": "Push Hook",
			"webhook-id": "msg_1", "webhook-timestamp": now, "webhook-signature": "v1,bm90LXRoaXM= " + sig}, []byte(body))
		if code != 202 {
			t.Fatalf("signed: %d", code)
		}
		code, _ = post(t, in.pub+"/hooks/gitlab", map[string]string{"Content-Type": "application/json", "X-Gitlab-Event": "Push Hook",
			"webhook-id": "msg_2", "webhook-timestamp": now, "webhook-signature": sig}, []byte(body))
		if code != 401 {
			t.Fatalf("signature replayed under another id: %d", code)
		}
	})
}

// Timestamps are checked when the request arrives, never when a run
// executes: a retry after the tolerance has passed still runs.
func TestTimestampCheckedAtIngressOnly(t *testing.T) {
	dir := t.TempDir()
	flag := dir + "/fail-once"
	os.WriteFile(flag, nil, 0o600)
	in := startIn(t, dir, `
sources:
  stripe: { provider: stripe, secret: "whsec_x", tolerance: 2s }
rules:
  - name: flaky
    source: stripe
    retry: { attempts: 2, backoff: 6s, max_backoff: 6s }
    actions:
      - shell: { command: ["/bin/sh", "-c", "if [ -e %DIR%/fail-once ]; then rm %DIR%/fail-once; exit 1; fi"] }
`, false)
	body := `{"id":"evt_1","type":"customer.created"}`
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	code, out := post(t, in.pub+"/hooks/stripe", map[string]string{"Content-Type": "application/json",
		"Stripe-Signature": fmt.Sprintf("t=%s,v1=%s", ts, hmacHex("whsec_x", ts+"."+body))}, []byte(body))
	if code != 202 {
		t.Fatalf("%d %s", code, out)
	}
	var runs []map[string]any
	waitFor(t, "the retry to succeed after the tolerance passed", 20*time.Second, func() bool {
		in.getJSON(t, "/api/runs", &runs)
		return len(runs) == 1 && runs[0]["state"] == "succeeded"
	})
	if runs[0]["attempt"] != float64(2) {
		t.Fatalf("attempts = %v", runs[0]["attempt"])
	}
}

// The GitHub example of adnanh/webhook, converted by the importer, accepts
// a signed push and runs the command with the same arguments.
func TestImportedGitHubHookRuns(t *testing.T) {
	dir := t.TempDir()
	writeScript(t, dir, "redeploy.sh", `printf '%s %s\n' "$1" "$2" >> "`+dir+`/ran"`+"\n")
	hooks := strings.ReplaceAll(`[{"id": "webhook", "execute-command": "%DIR%/redeploy.sh", "command-working-directory": "%DIR%",
  "pass-arguments-to-command": [{"source": "payload", "name": "head_commit.id"}, {"source": "payload", "name": "pusher.name"}],
  "trigger-rule": {"and": [
    {"match": {"type": "payload-hmac-sha1", "secret": "mysecret", "parameter": {"source": "header", "name": "X-Hub-Signature"}}},
    {"match": {"type": "value", "value": "refs/heads/master", "parameter": {"source": "payload", "name": "ref"}}}]}}]`, "%DIR%", dir)
	res, err := importer.FromWebhook([]byte(hooks))
	if err != nil {
		t.Fatal(err)
	}
	// Rename the converted source so the test helper's /hooks/github posts reach it.
	cfg := strings.ReplaceAll(res.YAML, "  webhook:\n", "  github:\n")
	cfg = strings.ReplaceAll(cfg, "source: webhook", "source: github")
	in := startIn(t, dir, cfg, false)
	body := []byte(`{"ref":"refs/heads/master","head_commit":{"id":"1481a2de7b2a7d02428ad93446ab166be7793fbb"},"pusher":{"name":"adnan"}}`)
	// GitHub signs with SHA-1 (X-Hub-Signature) and SHA-256
	// (X-Hub-Signature-256); the imported hook checks the SHA-1 one, as it
	// did in adnanh/webhook.
	post := func(secret, delivery string) (int, map[string]any) {
		req, _ := http.NewRequest("POST", in.pub+"/hooks/github", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-GitHub-Event", "push")
		req.Header.Set("X-GitHub-Delivery", delivery)
		m := hmac.New(sha1.New, []byte(secret))
		m.Write(body)
		req.Header.Set("X-Hub-Signature", "sha1="+hex.EncodeToString(m.Sum(nil)))
		req.Header.Set("X-Hub-Signature-256", ghSign(secret, body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var ans map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&ans)
		return resp.StatusCode, ans
	}
	code, ans := post("mysecret", "imp-1")
	if code != 202 || fmt.Sprint(ans["matched"]) != "[webhook]" {
		t.Fatalf("signed push: %d %v\n%s", code, ans, cfg)
	}
	waitFor(t, "the imported hook's command", 5*time.Second, func() bool {
		b, _ := os.ReadFile(dir + "/ran")
		return string(b) == "1481a2de7b2a7d02428ad93446ab166be7793fbb adnan\n"
	})
	if code, _ := post("not-mysecret", "imp-2"); code != 401 {
		t.Fatalf("wrong secret: %d", code)
	}
}
