package builtin_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/providers"
	"github.com/hookrunner/hookrunner/providers/builtin"
)

// Fixed vectors for the handshake providers. Where the sender or an SDK
// publishes one it is quoted (source named); the others were computed with
// Python's hmac/hashlib, an implementation independent of this one, from
// the scheme as each sender documents it.
func TestHandshakeProviderVectors(t *testing.T) {
	tests := []struct {
		name     string
		provider string
		settings providers.Settings
		headers  map[string]string
		body     string
		now      time.Time
		event    string
	}{
		{
			// The scheme is GitHub's; docs.github.com's published vector.
			name: "meta (X-Hub-Signature-256, GitHub docs vector)", provider: "meta",
			settings: providers.Settings{Secrets: []string{"It's a Secret to Everybody"}, VerifyToken: "v"},
			headers:  map[string]string{"X-Hub-Signature-256": "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"},
			body:     "Hello, World!", now: time.Now(),
		},
		{
			// hapi-dropbox-webhooks' test vector (the_secret / {"delta": …}).
			name: "dropbox (SDK vector)", provider: "dropbox", settings: providers.Settings{Secrets: []string{"the_secret"}},
			headers: map[string]string{"X-Dropbox-Signature": "0a8c16b085420b960dc78664279fe09e936a2a01b1f91064869d9e77dfd64529"},
			body:    `{"delta": {"users": [12345]}}`, now: time.Now(), event: "notification",
		},
		{
			name: "zoom v0", provider: "zoom", settings: providers.Settings{Secrets: []string{"zoom-secret"}, Tolerance: 5 * time.Minute},
			headers: map[string]string{"x-zm-request-timestamp": "1626230691", "x-zm-signature": "v0=0c663afc83184bd9976892d3384d1cd3d31f469a777ff04db4bcb7cb9f163517"},
			body:    `{"event":"meeting.started","payload":{"account_id":"AAAAAABBBB","object":{"id":"1234567890"}},"event_ts":1626230691572}`,
			now:     time.Unix(1626230691, 0).Add(time.Minute), event: "meeting.started",
		},
		{
			name: "twitch", provider: "twitch", settings: providers.Settings{Secrets: []string{"twitch-secret-0123"}, Tolerance: 10 * time.Minute},
			headers: map[string]string{"Twitch-Eventsub-Message-Id": "e76c6bd4-55c9-4987-8304-da1588d8988b", "Twitch-Eventsub-Message-Timestamp": "2019-11-16T10:11:12.634234626Z",
				"Twitch-Eventsub-Message-Type": "notification", "Twitch-Eventsub-Subscription-Type": "channel.follow",
				"Twitch-Eventsub-Message-Signature": "sha256=f2041e8b0e02221c2fa8782efdee26870dad20b3a0209147ee5d68f9ab23a89e"},
			body: `{"subscription":{"type":"channel.follow"},"event":{"user_id":"1234"}}`,
			now:  time.Date(2019, 11, 16, 10, 15, 0, 0, time.UTC), event: "channel.follow",
		},
		{
			name: "xero", provider: "xero", settings: providers.Settings{Secrets: []string{"xero-key"}},
			headers: map[string]string{"x-xero-signature": "tLm9ka/XQyvHySA0OzOTW5+CZY1uJm058kZFXiiMUag="},
			body:    `{"events":[],"firstEventSequence":0,"lastEventSequence":0,"entropy":"S0m3r4Nd0mt3xt"}`, now: time.Now(), event: "events",
		},
		{
			name: "zalo", provider: "zalo", settings: providers.Settings{Secrets: []string{"oa-secret"}, AppID: "360846524940903967", Tolerance: 5 * time.Minute},
			headers: map[string]string{"X-ZEvent-Signature": "mac=13e27d6b4e616152bd755a108a309ec24fe1ae88c1b17f90f5f0a09dab772eed"},
			body:    `{"app_id":"360846524940903967","event_name":"user_send_text","message":{"text":"message","msg_id":"96d3cdf3af150460909"},"timestamp":"1543908534740"}`,
			now:     time.UnixMilli(1543908534740).Add(2 * time.Minute), event: "user_send_text",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustNew(t, tt.provider, tt.settings)
			r := req(tt.headers, tt.body, tt.now)
			if _, err := p.Verify(r); err != nil {
				t.Fatalf("vector refused: %v", err)
			}
			if tt.event != "" {
				var payload any
				_ = json.Unmarshal([]byte(tt.body), &payload)
				if got := p.Identify(r, payload).Event; got != tt.event {
					t.Errorf("event %q, want %q", got, tt.event)
				}
			}
			tampered := req(tt.headers, strings.Replace(tt.body, "e", "E", 1), tt.now)
			if _, err := p.Verify(tampered); !errors.Is(err, providers.ErrUnauthorized) {
				t.Fatalf("tampered body: %v", err)
			}
			late := req(tt.headers, tt.body, tt.now.Add(time.Hour))
			if _, err := p.Verify(late); tt.settings.Tolerance > 0 && err == nil {
				t.Fatal("an hour late: accepted")
			}
		})
	}
}

// The handshake answers, from fixed inputs.
func TestHandshakeAnswerVectors(t *testing.T) {
	// X's CRC sample (consumer secret and crc_token from X's developer
	// samples); response computed with Python's hmac.
	if got := builtin.XResponseToken("z3ZX4v7mAAUGykl3EcmkqbartmuW8VFOOzCloLx9Q45P0hLrFu", "9b4507b3-9040-4669-9ca3-6b94edb50553"); got != "sha256=Cytd4Sq+NvEcV3MMrXxWJGJx5A+y/lXzzU2Maartkx8=" {
		t.Errorf("X CRC = %s", got)
	}
	// Zoom's url_validation: encryptedToken = hex(HMAC-SHA256(secret, plainToken)).
	z := mustNew(t, "zoom", providers.Settings{Secrets: []string{"zoom-secret"}, Tolerance: 5 * time.Minute})
	now := time.Now()
	body := `{"payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"},"event_ts":1654503849680,"event":"endpoint.url_validation"}`
	r := req(map[string]string{"Content-Type": "application/json"}, body, now)
	z.(providers.Signer).Sign(r, providers.Identity{})
	var payload any
	_ = json.Unmarshal([]byte(body), &payload)
	status, ct, b, ok := z.(providers.Handshaker).Handshake(r, payload)
	if !ok || status != 200 || ct != "application/json" ||
		string(b) != `{"plainToken":"qgg8vlvZRS6UYooatFL8Aw","encryptedToken":"b17f0320a1322a509340a1a835b3d9edbc491f0b0790ed2d20d0604d39dfe922"}` {
		t.Errorf("zoom url_validation: %v %d %s %s", ok, status, ct, b)
	}
	// Xero: a verified payload without events is intent to receive (200,
	// no body); one with events is not a handshake.
	x := mustNew(t, "xero", providers.Settings{Secrets: []string{"k"}}).(providers.Handshaker)
	if status, _, b, ok := x.Handshake(nil, map[string]any{"events": []any{}}); !ok || status != 200 || len(b) != 0 {
		t.Errorf("xero ITR: %v %d %q", ok, status, b)
	}
	if _, _, _, ok := x.Handshake(nil, map[string]any{"events": []any{map[string]any{"eventType": "UPDATE"}}}); ok {
		t.Error("xero: a delivery taken for intent to receive")
	}
	// Twitch revocation is stored as "revocation".
	tw := mustNew(t, "twitch", providers.Settings{Secrets: []string{"s"}})
	rr := req(map[string]string{"Twitch-Eventsub-Message-Type": "revocation", "Twitch-Eventsub-Subscription-Type": "channel.follow", "Twitch-Eventsub-Message-Id": "m1"}, `{}`, now)
	if id := tw.Identify(rr, nil); id.Event != "revocation" || id.DeliveryID != "m1" {
		t.Errorf("twitch revocation: %+v", id)
	}
	// Graph: each notification must carry the clientState.
	g := mustNew(t, "msgraph", providers.Settings{Secrets: []string{"cs"}})
	for body, ok := range map[string]bool{
		`{"value":[{"clientState":"cs","changeType":"created"},{"clientState":"cs","changeType":"updated"}]}`: true,
		`{"value":[{"clientState":"cs","changeType":"created"},{"changeType":"updated"}]}`:                    false,
		`{"value":[{"clientState":"cs","changeType":"created"},{"clientState":"x","changeType":"updated"}]}`:  false,
		`{"value":[]}`: false,
		`[1,2]`:        false,
	} {
		_, err := g.Verify(req(nil, body, now))
		if (err == nil) != ok {
			t.Errorf("msgraph %s: err %v", body, err)
		}
	}
	// Meta: without verify_token the source does not load.
	if _, err := providers.New("meta", providers.Settings{Secrets: []string{"s"}}); err == nil || !strings.Contains(err.Error(), "verify_token") {
		t.Errorf("meta without verify_token: %v", err)
	}
	if _, err := providers.New("zalo", providers.Settings{Secrets: []string{"s"}}); err == nil || !strings.Contains(err.Error(), "app_id") {
		t.Errorf("zalo without app_id: %v", err)
	}
	// Meta's challenge is answered only for hub.mode=subscribe with the token.
	m := mustNew(t, "meta", providers.Settings{Secrets: []string{"s"}, VerifyToken: "vt"}).(providers.Challenger)
	u, _ := url.Parse("https://h/hooks/m?hub.mode=subscribe&hub.verify_token=vt&hub.challenge=1158201444")
	a, err := m.Challenge(&providers.Request{Method: http.MethodGet, URL: u, Header: http.Header{}})
	if err != nil || a == nil || string(a.Body) != "1158201444" || a.Status != 200 {
		t.Errorf("meta challenge: %+v %v", a, err)
	}
}

// The CRC computes the same HMAC as a delivery's signature, over a string
// anyone chooses: no CRC answer may ever sign a body X's Verify accepts.
func TestXCRCIsNoSigningOracle(t *testing.T) {
	p := mustNew(t, "x", providers.Settings{Secrets: []string{"consumer"}})
	ch := p.(providers.Challenger)
	for _, body := range []string{`{"tweet_create_events":[]}`, ` {"a":1}`, "abc", "[1]"} {
		u := &url.URL{RawQuery: url.Values{"crc_token": {body}}.Encode()}
		a, err := ch.Challenge(&providers.Request{Method: http.MethodGet, URL: u, Header: http.Header{}})
		if err == nil {
			// answered: the token's answer must not verify as that body's signature
			var resp map[string]string
			_ = json.Unmarshal(a.Body, &resp)
			r := req(map[string]string{"x-twitter-webhooks-signature": resp["response_token"]}, body, time.Now())
			if _, verr := p.Verify(r); verr == nil {
				t.Fatalf("the CRC answer for %q signs it as a delivery", body)
			}
		}
	}
	if _, err := ch.Challenge(&providers.Request{Method: http.MethodGet, URL: &url.URL{RawQuery: "crc_token=%7B%22a%22%3A1%7D"}, Header: http.Header{}}); err == nil {
		t.Fatal("a JSON crc_token was answered")
	}
}
