package app_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/providers/builtin"
)

// startWithServer runs hookrunner with its own server: section (start's
// header has one without trusted_proxies).
func startWithServer(t *testing.T, server, rest string) *instance {
	t.Helper()
	dir := t.TempDir()
	cfg := server + `
admin: { listen: "127.0.0.1:0" }
runner: { poll_interval: 50ms, workers: 4 }
log: { level: debug }
store: { driver: sqlite, dsn: "` + filepath.Join(dir, "hr.db") + `" }
` + rest
	if err := os.WriteFile(filepath.Join(dir, "hooks.yaml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return startExisting(t, dir, false)
}

func postVia(t *testing.T, c *http.Client, u string, headers map[string]string, body []byte) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", u, bytes.NewReader(body))
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	if out == nil {
		out = map[string]any{"raw": string(b)}
	}
	return resp.StatusCode, out
}

type eventDetail struct {
	Event struct {
		RemoteIP string            `json:"remote_ip"`
		Headers  map[string]string `json:"headers"`
		Matched  []string          `json:"matched"`
	} `json:"event"`
	Payload map[string]any `json:"payload"`
}

// Twilio signs the public URL it called; behind a trusted proxy hookrunner
// rebuilds it from Forwarded / X-Forwarded-*, from anyone else it ignores
// those headers, and public_url beats both.
func TestTwilioBehindProxy(t *testing.T) {
	in := startWithServer(t, `server: { listen: "127.0.0.1:0", max_body: 1MiB, trusted_proxies: ["127.0.0.1"] }`, `
sources:
  twilio: { provider: twilio, secret: "twilio-token" }
  pinned: { provider: twilio, secret: "twilio-token", public_url: "https://pinned.example.com/hooks/pinned" }
rules:
  - { name: sms, source: twilio, events: [message], actions: [ { shell: { command: ["/bin/true"] } } ] }
  - { name: pinned, source: pinned, events: [message], actions: [ { shell: { command: ["/bin/true"] } } ] }
`)
	params := url.Values{"From": {"+15551234567"}, "Body": {"hello"}, "MessageSid": {"SM123"}, "To": {"+15557654321"}}
	form := []byte(params.Encode())
	trusted := http.DefaultClient
	// 127.0.0.2 is not a trusted proxy.
	untrusted := &http.Client{Transport: &http.Transport{DialContext: (&net.Dialer{
		LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}, Timeout: 5 * time.Second}).DialContext}}
	defer untrusted.CloseIdleConnections()
	direct := "http://" + strings.TrimPrefix(in.pub, "http://") + "/hooks/twilio"
	hdr := func(signedURL string, extra map[string]string) map[string]string {
		h := map[string]string{"Content-Type": "application/x-www-form-urlencoded",
			"X-Twilio-Signature": builtin.TwilioSignature("twilio-token", signedURL, params)}
		for k, v := range extra {
			h[k] = v
		}
		return h
	}
	xf := map[string]string{"X-Forwarded-For": "198.51.100.7", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "hooks.example.com"}
	fwd := map[string]string{"Forwarded": `for="[2001:db8::1]:4711";Proto=https;HOST="hooks.example.com"`}
	tests := []struct {
		name     string
		client   *http.Client
		target   string
		headers  map[string]string
		status   int
		remoteIP string
	}{
		{name: "X-Forwarded-* from a trusted proxy", client: trusted, target: in.pub + "/hooks/twilio",
			headers: hdr("https://hooks.example.com/hooks/twilio", xf), status: 202, remoteIP: "198.51.100.7"},
		{name: "Forwarded from a trusted proxy", client: trusted, target: in.pub + "/hooks/twilio",
			headers: hdr("https://hooks.example.com/hooks/twilio", fwd), status: 202, remoteIP: "2001:db8::1"},
		{name: "signed with :443 in the URL", client: trusted, target: in.pub + "/hooks/twilio",
			headers: hdr("https://hooks.example.com:443/hooks/twilio", xf), status: 202, remoteIP: "198.51.100.7"},
		{name: "signed for the internal URL while the proxy says otherwise", client: trusted, target: in.pub + "/hooks/twilio",
			headers: hdr(direct, xf), status: 401},
		{name: "untrusted peer claiming the public host", client: untrusted, target: in.pub + "/hooks/twilio",
			headers: hdr("https://hooks.example.com/hooks/twilio", map[string]string{"X-Forwarded-Host": "hooks.example.com", "X-Forwarded-Proto": "https"}), status: 401},
		{name: "untrusted peer: the URL it really called", client: untrusted, target: in.pub + "/hooks/twilio",
			headers: hdr(direct, map[string]string{"X-Forwarded-Host": "evil.example", "X-Forwarded-For": "198.51.100.99", "Forwarded": "for=198.51.100.98;host=evil.example"}),
			status:  202, remoteIP: "127.0.0.2"},
		{name: "public_url beats forwarded headers", client: trusted, target: in.pub + "/hooks/pinned",
			headers: hdr("https://pinned.example.com/hooks/pinned", xf), status: 202},
		{name: "public_url: the forwarded URL is not it", client: trusted, target: in.pub + "/hooks/pinned",
			headers: hdr("https://hooks.example.com/hooks/pinned", xf), status: 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out := postVia(t, tt.client, tt.target, tt.headers, form)
			if code != tt.status {
				t.Fatalf("status %d, want %d: %v", code, tt.status, out)
			}
			if tt.remoteIP == "" {
				return
			}
			var d eventDetail
			in.getJSON(t, "/api/events/"+out["id"].(string), &d)
			if d.Event.RemoteIP != tt.remoteIP {
				t.Fatalf("remote_ip = %q, want %q", d.Event.RemoteIP, tt.remoteIP)
			}
		})
	}
}

func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

// A gzip-compressed delivery is verified, matched and stored decoded; a
// compression bomb is refused with 413 and leaves nothing behind.
func TestCompressedBodies(t *testing.T) {
	in := start(t, `
sources:
  github: { provider: github, secret: "gh-secret" }
rules:
  - { name: main, source: github, events: [push], if: 'payload.ref == "refs/heads/main"', actions: [ { shell: { command: ["/bin/true"] } } ] }
`, false)
	body := pushBody("refs/heads/main", "abc123")
	gh := func(sigOver []byte, enc string, delivery string) map[string]string {
		return map[string]string{"Content-Type": "application/json", "Content-Encoding": enc,
			"X-GitHub-Event": "push", "X-GitHub-Delivery": delivery, "X-Hub-Signature-256": ghSign("gh-secret", sigOver)}
	}
	countEvents := func() int {
		var evs []map[string]any
		in.getJSON(t, "/api/events", &evs)
		return len(evs)
	}

	code, out := postVia(t, http.DefaultClient, in.pub+"/hooks/github", gh(body, "gzip", "gz-1"), gzipped(body))
	if code != 202 || !strings.Contains(strings.Join(anyStrings(out["matched"]), ","), "main") {
		t.Fatalf("gzip delivery: %d %v", code, out)
	}
	var d eventDetail
	in.getJSON(t, "/api/events/"+out["id"].(string), &d)
	if d.Payload["ref"] != "refs/heads/main" {
		t.Fatalf("stored payload = %v", d.Payload)
	}
	for k := range d.Event.Headers {
		if strings.EqualFold(k, "Content-Encoding") {
			t.Fatalf("decoded event still says Content-Encoding: %v", d.Event.Headers)
		}
	}

	before := countEvents()
	// A signature over the compressed bytes is not a signature over the
	// representation: refused, no silent fallback.
	compressed := gzipped(body)
	if code, out := postVia(t, http.DefaultClient, in.pub+"/hooks/github", gh(compressed, "gzip", "gz-2"), compressed); code != 401 {
		t.Fatalf("signature over compressed bytes: %d %v", code, out)
	}
	if code, out := postVia(t, http.DefaultClient, in.pub+"/hooks/github", gh(body, "br", "gz-3"), body); code != 415 {
		t.Fatalf("unknown encoding: %d %v", code, out)
	}
	// 10 MiB of zeros, about 10 KiB compressed, against max_body 1MiB.
	bomb := gzipped(make([]byte, 10<<20))
	if len(bomb) > 64<<10 {
		t.Fatalf("bomb is %d bytes compressed", len(bomb))
	}
	if code, out := postVia(t, http.DefaultClient, in.pub+"/hooks/github", gh(make([]byte, 10<<20), "gzip", "bomb-1"), bomb); code != 413 {
		t.Fatalf("gzip bomb: %d %v", code, out)
	}
	if after := countEvents(); after != before {
		t.Fatalf("events stored by refused requests: %d -> %d", before, after)
	}
}

func anyStrings(v any) []string {
	var out []string
	if l, ok := v.([]any); ok {
		for _, x := range l {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}
