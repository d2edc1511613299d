package builtin_test

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/providers"
	"github.com/hookrunner/hookrunner/providers/builtin"
)

func req(headers map[string]string, body string, now time.Time) *providers.Request {
	h := http.Header{}
	for k, v := range headers {
		h.Set(k, v)
	}
	r := &providers.Request{Method: "POST", Header: h, Body: []byte(body), Now: now,
		URL: &url.URL{Scheme: "http", Host: "127.0.0.1:8080", Path: "/hooks/x"}}
	if strings.HasPrefix(h.Get("Content-Type"), "application/x-www-form-urlencoded") {
		r.Form, _ = url.ParseQuery(body)
	}
	return r
}

func mustNew(t *testing.T, name string, s providers.Settings) providers.Provider {
	t.Helper()
	p, err := providers.New(name, s)
	if err != nil {
		t.Fatalf("new %s: %v", name, err)
	}
	return p
}

// Vectors published in the providers' own documentation.
func TestPublishedVectors(t *testing.T) {
	tests := []struct {
		name     string
		provider string
		settings providers.Settings
		headers  map[string]string
		body     string
		now      time.Time
	}{
		{
			// docs.github.com "Validating webhook deliveries", testing the signature.
			name: "github docs", provider: "github", settings: providers.Settings{Secrets: []string{"It's a Secret to Everybody"}},
			headers: map[string]string{"X-Hub-Signature-256": "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"},
			body:    "Hello, World!", now: time.Now(),
		},
		{
			// standardwebhooks.com specification example.
			name: "standard webhooks spec", provider: "standardwebhooks",
			settings: providers.Settings{Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}},
			headers: map[string]string{"webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek", "webhook-timestamp": "1614265330",
				"webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="},
			body: `{"test": 2432232314}`, now: time.Unix(1614265330, 0),
		},
		{
			// api.slack.com "Verifying requests from Slack" example.
			name: "slack docs", provider: "slack", settings: providers.Settings{Secrets: []string{"8f742231b10e8888abcd99yyyzzz85a5"}},
			headers: map[string]string{"X-Slack-Request-Timestamp": "1531420618", "Content-Type": "application/x-www-form-urlencoded",
				"X-Slack-Signature": "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"},
			body: "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c",
			now:  time.Unix(1531420618, 0).Add(time.Minute),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustNew(t, tt.provider, tt.settings)
			if _, err := p.Verify(req(tt.headers, tt.body, tt.now)); err != nil {
				t.Fatalf("published vector rejected: %v", err)
			}
			if _, err := p.Verify(req(tt.headers, tt.body+" ", tt.now)); err == nil {
				t.Fatal("tampered body accepted")
			}
		})
	}
}

// Twilio's security docs example (as in its SDKs' tests).
func TestTwilioVector(t *testing.T) {
	params := url.Values{"CallSid": {"CA1234567890ABCDE"}, "Caller": {"+14158675309"}, "Digits": {"1234"}, "From": {"+14158675309"}, "To": {"+18005551212"}}
	if got := builtin.TwilioSignature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", params); got != "RSOYDt4T1cUTdK1PDd93/VVr8B8=" {
		t.Fatalf("signature = %s", got)
	}
	p := mustNew(t, "twilio", providers.Settings{Secrets: []string{"12345"}})
	u, _ := url.Parse("https://mycompany.com/myapp.php?foo=1&bar=2")
	r := &providers.Request{URL: u, Form: params, Header: http.Header{"X-Twilio-Signature": {"RSOYDt4T1cUTdK1PDd93/VVr8B8="}}, Body: []byte(params.Encode())}
	if _, err := p.Verify(r); err != nil {
		t.Fatal(err)
	}
	// With the default port added, as a proxy may present it.
	u2, _ := url.Parse("https://mycompany.com:443/myapp.php?foo=1&bar=2")
	r.URL = u2
	if _, err := p.Verify(r); err != nil {
		t.Fatalf("port variant: %v", err)
	}
	r.Form = url.Values{"CallSid": {"CA1234567890ABCDE"}, "Digits": {"9999"}}
	if _, err := p.Verify(r); err == nil {
		t.Fatal("tampered params accepted")
	}
}

// Real bodies and headers from ../../shared/payloads (skipped when absent).
func TestSharedReplaySpecs(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "payloads")
	raw, err := os.ReadFile(filepath.Join(dir, "REPLAY-SPECS.json"))
	if err != nil {
		t.Skip("shared payloads not present")
	}
	var specs []struct {
		Name     string            `json:"name"`
		BodyFile string            `json:"body_file"`
		Headers  map[string]string `json:"headers"`
	}
	if err := json.Unmarshal(raw, &specs); err != nil {
		t.Fatal(err)
	}
	secrets := map[string]struct{ provider, secret, event string }{
		"github-push-go-playground":                   {"github", "IsWishesWereHorsesWedAllBeEatingSteak!", "push"},
		"github-release-go-playground":                {"github", "IsWishesWereHorsesWedAllBeEatingSteak!", "release"},
		"gitlab-push-go-playground":                   {"gitlab", "sampleToken!", "Push Hook"},
		"bitbucket-server-refs-changed-go-playground": {"bitbucket", "secret", "repo:refs_changed"},
		"gitea-push-go-playground":                    {"gitea", "IsWishesWereHorsesWedAllBeEatingSteak!", "push"},
		"gogs-push-go-playground":                     {"gogs", "sampleToken!", "push"},
	}
	checked := 0
	for _, s := range specs {
		want, ok := secrets[s.Name]
		if !ok {
			continue
		}
		t.Run(s.Name, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join(dir, s.BodyFile))
			if err != nil {
				t.Fatal(err)
			}
			p := mustNew(t, want.provider, providers.Settings{Secrets: []string{want.secret}})
			r := req(s.Headers, string(body), time.Now())
			if _, err := p.Verify(r); err != nil {
				t.Fatalf("real delivery rejected: %v", err)
			}
			var payload any
			_ = json.Unmarshal(body, &payload)
			if got := p.Identify(r, payload).Event; got != want.event {
				t.Errorf("event = %q, want %q", got, want.event)
			}
			wrong := mustNew(t, want.provider, providers.Settings{Secrets: []string{"not-the-secret"}})
			if _, err := wrong.Verify(r); !errors.Is(err, providers.ErrUnauthorized) {
				t.Fatalf("wrong secret: %v", err)
			}
		})
		checked++
	}
	if checked == 0 {
		t.Fatal("no shared spec checked")
	}
}

// Every provider: a request it signs verifies; a tampered body, a wrong
// secret, a missing signature and (where there is one) a stale timestamp
// are refused.
func TestRoundTripAndRefusals(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(nil)
	now := time.Now()
	type tc struct {
		provider string
		good     providers.Settings
		wrong    providers.Settings
		timed    bool
		form     bool
	}
	tests := []tc{
		{provider: "github", good: providers.Settings{Secrets: []string{"a"}}, wrong: providers.Settings{Secrets: []string{"b"}}},
		{provider: "gitlab", good: providers.Settings{Secrets: []string{"a"}}, wrong: providers.Settings{Secrets: []string{"b"}}},
		{provider: "gitea", good: providers.Settings{Secrets: []string{"a"}}, wrong: providers.Settings{Secrets: []string{"b"}}},
		{provider: "bitbucket", good: providers.Settings{Secrets: []string{"a"}}, wrong: providers.Settings{Secrets: []string{"b"}}},
		{provider: "stripe", good: providers.Settings{Secrets: []string{"whsec_a"}}, wrong: providers.Settings{Secrets: []string{"whsec_b"}}, timed: true},
		{provider: "shopify", good: providers.Settings{Secrets: []string{"a"}}, wrong: providers.Settings{Secrets: []string{"b"}}},
		{provider: "slack", good: providers.Settings{Secrets: []string{"a"}}, wrong: providers.Settings{Secrets: []string{"b"}}, timed: true},
		{provider: "twilio", good: providers.Settings{Secrets: []string{"a"}}, wrong: providers.Settings{Secrets: []string{"b"}}, form: true},
		{provider: "discord", good: providers.Settings{Secrets: []string{hex.EncodeToString(priv)}}, wrong: providers.Settings{Secrets: []string{hex.EncodeToString(make([]byte, 32))}}, timed: true},
		{provider: "standardwebhooks", good: providers.Settings{Secrets: []string{"whsec_c2VjcmV0"}}, wrong: providers.Settings{Secrets: []string{"whsec_b3RoZXI="}}, timed: true},
		{provider: "alertmanager", good: providers.Settings{Bearer: "tok"}, wrong: providers.Settings{Bearer: "nope"}},
		{provider: "grafana", good: providers.Settings{Secrets: []string{"a"}, TimestampHeader: "X-Grafana-Alerting-Signature-Timestamp"}, wrong: providers.Settings{Secrets: []string{"b"}, TimestampHeader: "X-Grafana-Alerting-Signature-Timestamp"}, timed: true},
		{provider: "generic", good: providers.Settings{Verify: "hmac", Header: "X-Sig", Prefix: "sha512=", Algorithm: "sha512", Encoding: "base64", Secrets: []string{"a"}},
			wrong: providers.Settings{Verify: "hmac", Header: "X-Sig", Prefix: "sha512=", Algorithm: "sha512", Encoding: "base64", Secrets: []string{"b"}}},
		{provider: "generic", good: providers.Settings{Verify: "token", QueryParam: "token", Secrets: []string{"a"}}, wrong: providers.Settings{Verify: "token", QueryParam: "token", Secrets: []string{"b"}}},
		{provider: "generic", good: providers.Settings{Verify: "basic", Username: "u", Password: "p"}, wrong: providers.Settings{Verify: "basic", Username: "u", Password: "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.provider+"/"+tt.good.Verify, func(t *testing.T) {
			good := mustNew(t, tt.provider, tt.good)
			wrong := mustNew(t, tt.provider, tt.wrong)
			body := `{"type":"x","id":"evt_1","status":"firing"}`
			ct := "application/json"
			if tt.form {
				body, ct = "From=%2B15551234&Body=hello&MessageSid=SM1", "application/x-www-form-urlencoded"
			}
			sign := func(p providers.Provider, at time.Time) *providers.Request {
				r := req(map[string]string{"Content-Type": ct}, body, at)
				p.(providers.Signer).Sign(r, providers.Identity{})
				r.Now = now
				return r
			}
			r := sign(good, now)
			if _, err := good.Verify(r); err != nil {
				t.Fatalf("own signature rejected: %v", err)
			}
			if _, err := wrong.Verify(r); !errors.Is(err, providers.ErrUnauthorized) {
				t.Fatalf("wrong secret accepted: %v", err)
			}
			tampered := *r
			if tt.form {
				tampered.Form = url.Values{"From": {"+15551234"}, "Body": {"hellO"}, "MessageSid": {"SM1"}}
			}
			tampered.Body = []byte(strings.Replace(body, "x", "y", 1))
			if tt.provider != "gitlab" && tt.provider != "alertmanager" && tt.good.Verify != "token" && tt.good.Verify != "basic" {
				if _, err := good.Verify(&tampered); !errors.Is(err, providers.ErrUnauthorized) {
					t.Fatalf("tampered body accepted: %v", err)
				}
			}
			bare := req(map[string]string{"Content-Type": ct}, body, now)
			if _, err := good.Verify(bare); !errors.Is(err, providers.ErrUnauthorized) {
				t.Fatalf("unsigned request accepted: %v", err)
			}
			if tt.timed {
				stale := sign(good, now.Add(-10*time.Minute))
				if _, err := good.Verify(stale); err == nil || !strings.Contains(err.Error(), "tolerance") {
					t.Fatalf("stale timestamp: %v", err)
				}
			}
		})
	}
}

func TestStripeRotationAndMultipleSignatures(t *testing.T) {
	now := time.Now()
	body := `{"id":"evt_1","type":"customer.created"}`
	sig := func(secret string) string {
		m := hmac.New(sha256.New, []byte(secret))
		m.Write([]byte(itoa(now.Unix()) + "." + body))
		return hex.EncodeToString(m.Sum(nil))
	}
	p := mustNew(t, "stripe", providers.Settings{Secrets: []string{"whsec_new", "whsec_old"}})
	for _, h := range []string{
		"t=" + itoa(now.Unix()) + ",v1=" + sig("whsec_old"),
		"t=" + itoa(now.Unix()) + ",v1=" + sig("whsec_other") + ",v1=" + sig("whsec_new") + ",v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39",
	} {
		if _, err := p.Verify(req(map[string]string{"Stripe-Signature": h}, body, now)); err != nil {
			t.Errorf("%s: %v", h, err)
		}
	}
	if _, err := p.Verify(req(map[string]string{"Stripe-Signature": "t=" + itoa(now.Unix()) + ",v0=" + sig("whsec_new")}, body, now)); err == nil {
		t.Error("a v0-only signature was accepted")
	}
	id := p.Identify(nil, map[string]any{"id": "evt_1", "type": "customer.created"})
	if id.Event != "customer.created" || id.DeliveryID != "evt_1" {
		t.Errorf("identity = %+v", id)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		provider string
		s        providers.Settings
		field    string
	}{
		{"github", providers.Settings{}, "secret"},
		{"stripe", providers.Settings{Secrets: []string{""}}, "secret"},
		{"generic", providers.Settings{Secrets: []string{"a"}}, "verify"},
		{"generic", providers.Settings{Verify: "hmac", Secrets: []string{"a"}}, "header"},
		{"generic", providers.Settings{Verify: "hmac", Header: "X", Algorithm: "md5", Secrets: []string{"a"}}, "algorithm"},
		{"alertmanager", providers.Settings{}, "bearer"},
		{"discord", providers.Settings{Secrets: []string{"zz"}}, "secret"},
	}
	for _, tt := range tests {
		_, err := providers.New(tt.provider, tt.s)
		var fe *providers.FieldError
		if !errors.As(err, &fe) || fe.Field != tt.field {
			t.Errorf("%s %+v: err = %v, want field %s", tt.provider, tt.s, err, tt.field)
		}
	}
	if _, err := providers.New("githbu", providers.Settings{}); err == nil {
		t.Error("unknown provider accepted")
	}
	if _, err := providers.New("generic", providers.Settings{Verify: "none"}); err != nil {
		t.Errorf("explicit verify: none refused: %v", err)
	}
}

func TestHandshakes(t *testing.T) {
	s := mustNew(t, "slack", providers.Settings{Secrets: []string{"a"}}).(providers.Handshaker)
	status, _, body, ok := s.Handshake(nil, map[string]any{"type": "url_verification", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"})
	if !ok || status != 200 || !strings.Contains(string(body), "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P") {
		t.Fatalf("slack challenge: %d %s %v", status, body, ok)
	}
	pub, _, _ := ed25519.GenerateKey(nil)
	d := mustNew(t, "discord", providers.Settings{Secrets: []string{hex.EncodeToString(pub)}}).(providers.Handshaker)
	if status, _, body, ok := d.Handshake(nil, map[string]any{"type": float64(1), "id": "1", "token": "t", "version": float64(1)}); !ok || status != 200 || string(body) != `{"type":1}` {
		t.Fatalf("discord interactions ping: %d %s", status, body)
	}
	if status, _, _, ok := d.Handshake(nil, map[string]any{"type": float64(0), "version": float64(1), "application_id": "a"}); !ok || status != 204 {
		t.Fatalf("discord webhook-events ping: %d", status)
	}
	if _, _, _, ok := d.Handshake(nil, map[string]any{"type": float64(2)}); ok {
		t.Fatal("a command was answered as a ping")
	}
}

// TestDiscordDecodedNumbers: the payload decoder gives JSON integers as
// int64 (exact), and Discord's numeric type field still drives the
// handshake and the event type; a numeric id is the delivery id in full.
func TestDiscordDecodedNumbers(t *testing.T) {
	pub, _, _ := ed25519.GenerateKey(nil)
	d := mustNew(t, "discord", providers.Settings{Secrets: []string{hex.EncodeToString(pub)}})
	h := d.(providers.Handshaker)
	if status, _, body, ok := h.Handshake(nil, map[string]any{"type": int64(1), "id": "1", "token": "t", "version": int64(1)}); !ok || status != 200 || string(body) != `{"type":1}` {
		t.Fatalf("discord interactions ping: %d %s %v", status, body, ok)
	}
	if status, _, _, ok := h.Handshake(nil, map[string]any{"type": int64(0), "version": int64(1), "application_id": "a"}); !ok || status != 204 {
		t.Fatalf("discord webhook-events ping: %d %v", status, ok)
	}
	if _, _, _, ok := h.Handshake(nil, map[string]any{"type": int64(2)}); ok {
		t.Fatal("a command was answered as a ping")
	}
	for _, tc := range []struct {
		payload   map[string]any
		event, id string
	}{
		{map[string]any{"type": int64(2), "id": int64(820982911946154509)}, "application_command", "820982911946154509"},
		{map[string]any{"type": int64(9), "id": uint64(18446744073709551615)}, "type_9", "18446744073709551615"},
		{map[string]any{"type": int64(3), "id": json.Number("1.50")}, "message_component", "1.50"},
	} {
		got := d.Identify(nil, tc.payload)
		if got.Event != tc.event || got.DeliveryID != tc.id {
			t.Errorf("Identify(%v) = %+v, want %s / %s", tc.payload, got, tc.event, tc.id)
		}
	}
}

// Twilio signs JSON bodies through bodySHA256 in the URL.
func TestTwilioJSONBody(t *testing.T) {
	p := mustNew(t, "twilio", providers.Settings{Secrets: []string{"tok"}})
	body := []byte(`{"CallSid":"CA1","Status":"completed"}`)
	u, _ := url.Parse("https://hooks.example.com/hooks/twilio")
	r := &providers.Request{URL: u, Header: http.Header{}, Body: body}
	p.(providers.Signer).Sign(r, providers.Identity{})
	if r.URL.Query().Get("bodySHA256") == "" {
		t.Fatal("no bodySHA256 in the signed URL")
	}
	if _, err := p.Verify(r); err != nil {
		t.Fatalf("signed JSON body: %v", err)
	}
	r.Body = []byte(`{"CallSid":"CA1","Status":"failed"}`)
	if _, err := p.Verify(r); err == nil || !strings.Contains(err.Error(), "bodySHA256") {
		t.Fatalf("tampered JSON body: %v", err)
	}
}

// Every provider says what its verification covered; the ingress decodes
// the payload from exactly that. A form post signed over one field (Gitea,
// Gogs) covers that field only; whole-body signatures cover every field.
func TestCoverage(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(nil)
	const form = "application/x-www-form-urlencoded"
	body := providers.Coverage{Scope: providers.ScopeBody}
	payloadField := providers.Coverage{Scope: providers.ScopeFormField, Field: "payload"}
	withQuery := providers.Coverage{Scope: providers.ScopeBody, Query: true}
	nothing := providers.Coverage{Scope: providers.ScopeNone}
	tests := []struct {
		name, provider string
		settings       providers.Settings
		ct, body       string
		want           providers.Coverage
	}{
		{"github json", "github", providers.Settings{Secrets: []string{"a"}}, "application/json", `{"ref":"x"}`, body},
		{"github form signs the whole form", "github", providers.Settings{Secrets: []string{"a"}}, form, `payload=%7B%22ref%22%3A%22x%22%7D`, body},
		{"gitea json", "gitea", providers.Settings{Secrets: []string{"a"}}, "application/json", `{"ref":"x"}`, body},
		{"gitea form signs only payload=", "gitea", providers.Settings{Secrets: []string{"a"}}, form, `payload=%7B%22ref%22%3A%22x%22%7D`, payloadField},
		{"gogs form signs only payload=", "gogs", providers.Settings{Secrets: []string{"a"}}, form, `payload=%7B%22ref%22%3A%22x%22%7D`, payloadField},
		{"gitea form without payload= is signed whole", "gitea", providers.Settings{Secrets: []string{"a"}}, form, `ref=x`, body},
		{"gitlab token", "gitlab", providers.Settings{Secrets: []string{"a"}}, "application/json", `{}`, body},
		{"gitlab signing token", "gitlab", providers.Settings{SigningToken: "whsec_c2VjcmV0"}, "application/json", `{}`, body},
		{"bitbucket", "bitbucket", providers.Settings{Secrets: []string{"a"}}, "application/json", `{}`, body},
		{"shopify", "shopify", providers.Settings{Secrets: []string{"a"}}, "application/json", `{}`, body},
		{"stripe", "stripe", providers.Settings{Secrets: []string{"whsec_a"}}, "application/json", `{}`, body},
		{"slack slash command", "slack", providers.Settings{Secrets: []string{"a"}}, form, `command=%2Fdeploy&text=prod`, body},
		{"slack interactivity", "slack", providers.Settings{Secrets: []string{"a"}}, form, `payload=%7B%22type%22%3A%22block_actions%22%7D`, body},
		{"discord", "discord", providers.Settings{Secrets: []string{hex.EncodeToString(priv)}}, "application/json", `{"type":2}`, body},
		{"standardwebhooks", "standardwebhooks", providers.Settings{Secrets: []string{"whsec_c2VjcmV0"}}, "application/json", `{}`, body},
		{"twilio form signs the URL and every parameter", "twilio", providers.Settings{Secrets: []string{"a"}}, form, `From=%2B1555&Body=hi`, withQuery},
		{"twilio json signs the URL with bodySHA256", "twilio", providers.Settings{Secrets: []string{"a"}}, "application/json", `{}`, withQuery},
		{"alertmanager bearer", "alertmanager", providers.Settings{Bearer: "t"}, "application/json", `{}`, body},
		{"alertmanager none", "alertmanager", providers.Settings{Verify: "none"}, "application/json", `{}`, nothing},
		{"grafana hmac", "grafana", providers.Settings{Secrets: []string{"a"}}, "application/json", `{}`, body},
		{"grafana none", "grafana", providers.Settings{Verify: "none"}, "application/json", `{}`, nothing},
		{"generic hmac", "generic", providers.Settings{Verify: "hmac", Header: "X-Sig", Secrets: []string{"a"}}, form, `a=1&b=2`, body},
		{"generic token header", "generic", providers.Settings{Verify: "token", Header: "X-Token", Secrets: []string{"a"}}, "application/json", `{}`, body},
		{"generic token query", "generic", providers.Settings{Verify: "token", QueryParam: "token", Secrets: []string{"a"}}, "application/json", `{}`, withQuery},
		{"generic basic", "generic", providers.Settings{Verify: "basic", Username: "u", Password: "p"}, "application/json", `{}`, body},
		{"generic none", "generic", providers.Settings{Verify: "none"}, form, `a=1`, nothing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustNew(t, tt.provider, tt.settings)
			r := req(map[string]string{"Content-Type": tt.ct}, tt.body, time.Now())
			p.(providers.Signer).Sign(r, providers.Identity{})
			got, err := p.Verify(r)
			if err != nil {
				t.Fatalf("own signature rejected: %v", err)
			}
			if got != tt.want {
				t.Fatalf("coverage = %v, want %v", got, tt.want)
			}
		})
	}
	// A refusal vouches for nothing.
	p := mustNew(t, "gitea", providers.Settings{Secrets: []string{"a"}})
	if c, err := p.Verify(req(map[string]string{"Content-Type": form}, "payload=%7B%7D", time.Now())); err == nil || c != (providers.Coverage{}) {
		t.Fatalf("unsigned: coverage %v, err %v", c, err)
	}
	if _, err := mustNew(t, "poll", providers.Settings{}).Verify(req(nil, "{}", time.Now())); !errors.Is(err, providers.ErrUnauthorized) {
		t.Fatalf("poll: %v", err)
	}
}
