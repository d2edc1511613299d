package builtin_test

import (
	"crypto/ed25519"
	"encoding/hex"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/providers"
	_ "github.com/hookrunner/hookrunner/providers/builtin"
)

// FuzzVerify feeds arbitrary headers and bodies to every provider that
// checks a signature without the network (sns and pubsub fetch keys; token
// providers are left out: a fuzzed header may hold the token itself): no
// panic, and no request signed with anything but the secret is accepted.
func FuzzVerify(f *testing.F) {
	_, priv, _ := ed25519.GenerateKey(nil)
	all := []struct {
		name string
		s    providers.Settings
	}{
		{"github", providers.Settings{Secrets: []string{"fuzz-secret-1"}}},
		{"gitlab", providers.Settings{Secrets: []string{"fuzz-secret-1"}, SigningToken: "whsec_ZnV6ei1rZXk="}},
		{"gitea", providers.Settings{Secrets: []string{"fuzz-secret-1"}}},
		{"bitbucket", providers.Settings{Secrets: []string{"fuzz-secret-1"}}},
		{"stripe", providers.Settings{Secrets: []string{"whsec_fuzz"}}},
		{"shopify", providers.Settings{Secrets: []string{"fuzz-secret-1"}}},
		{"slack", providers.Settings{Secrets: []string{"fuzz-secret-1"}}},
		{"twilio", providers.Settings{Secrets: []string{"fuzz-secret-1"}}},
		{"discord", providers.Settings{Secrets: []string{hex.EncodeToString(priv)}}},
		{"standardwebhooks", providers.Settings{Secrets: []string{"whsec_ZnV6ei1rZXk="}}},
		{"alertmanager", providers.Settings{Bearer: "fuzz-bearer-1"}},
		{"grafana", providers.Settings{Secrets: []string{"fuzz-secret-1"}, TimestampHeader: "X-Ts"}},
		{"generic", providers.Settings{Verify: "hmac", Header: "X-Sig", Prefix: "sha256=", Secrets: []string{"fuzz-secret-1"}}},
		{"meta", providers.Settings{Secrets: []string{"fuzz-secret-1"}, VerifyToken: "fuzz-token"}},
		{"zoom", providers.Settings{Secrets: []string{"fuzz-secret-1"}}},
		{"twitch", providers.Settings{Secrets: []string{"fuzz-secret-1"}}},
		{"dropbox", providers.Settings{Secrets: []string{"fuzz-secret-1"}}},
		{"x", providers.Settings{Secrets: []string{"fuzz-secret-1"}}},
		{"xero", providers.Settings{Secrets: []string{"fuzz-secret-1"}}},
		{"zalo", providers.Settings{Secrets: []string{"fuzz-secret-1"}, AppID: "123"}},
	}
	var ps []providers.Provider
	for _, a := range all {
		p, err := providers.New(a.name, a.s)
		if err != nil {
			f.Fatal(err)
		}
		ps = append(ps, p)
	}
	headers := []string{"X-Hub-Signature-256", "X-Gitlab-Token", "X-Gitea-Signature", "X-Hub-Signature", "Stripe-Signature",
		"X-Shopify-Hmac-Sha256", "X-Slack-Signature", "X-Twilio-Signature", "X-Signature-Ed25519", "webhook-signature",
		"Authorization", "X-Grafana-Alerting-Signature", "X-Sig", "X-Hub-Signature-256", "x-zm-signature",
		"Twitch-Eventsub-Message-Signature", "X-Dropbox-Signature", "x-twitter-webhooks-signature", "x-xero-signature", "X-ZEvent-Signature"}
	now := time.Unix(1_700_000_000, 0)
	f.Add(uint8(0), "sha256=00", "1700000000", "id", []byte(`{"a":1}`))
	f.Add(uint8(4), "t=1700000000,v1=abcd,v0=ef", "1700000000", "", []byte(`{}`))
	f.Add(uint8(9), "v1,Zm9v v1,YmFy", "1700000000", "msg_1", []byte(`x`))
	f.Add(uint8(10), "Bearer fuzz", "", "", []byte(nil))
	f.Add(uint8(7), "sig=", "", "", []byte("a=1&b=2"))
	f.Fuzz(func(t *testing.T, which uint8, sig, ts, id string, body []byte) {
		i := int(which) % len(ps)
		h := http.Header{}
		h.Set(headers[i], sig)
		for _, k := range []string{"X-Slack-Request-Timestamp", "X-Signature-Timestamp", "webhook-timestamp", "X-Ts", "x-zm-request-timestamp", "Twitch-Eventsub-Message-Timestamp"} {
			h.Set(k, ts)
		}
		h.Set("webhook-id", id)
		h.Set("Twitch-Eventsub-Message-Id", id)
		form, _ := url.ParseQuery(string(body))
		r := &providers.Request{Method: "POST", URL: &url.URL{Scheme: "https", Host: "h", Path: "/hooks/x", RawQuery: id}, Header: h, Body: body, Form: form, Now: now}
		if _, err := ps[i].Verify(r); err == nil {
			t.Fatalf("%s accepted a request not signed with its secret: %q", all[i].name, sig)
		}
		_ = ps[i].Identify(r, map[string]any{"type": sig, "id": id})
	})
}
