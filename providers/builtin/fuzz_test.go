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
		// The signature-scheme providers (sigschemes.go and beside it).
		{"paddle", providers.Settings{Secrets: []string{"fuzz-secret-1"}}},
		{"square", providers.Settings{Secrets: []string{"fuzz-secret-1"}}},
		{"hubspot", providers.Settings{Secrets: []string{"fuzz-secret-1"}}},
		{"linear", providers.Settings{Secrets: []string{"fuzz-secret-1"}}},
		{"calendly", providers.Settings{Secrets: []string{"fuzz-secret-1"}}},
		{"mux", providers.Settings{Secrets: []string{"fuzz-secret-1"}}},
		{"pagerduty", providers.Settings{Secrets: []string{"fuzz-secret-1"}}},
		{"typeform", providers.Settings{Secrets: []string{"fuzz-secret-1"}}},
		{"intercom", providers.Settings{Secrets: []string{"fuzz-secret-1"}}},
		{"zendesk", providers.Settings{Secrets: []string{"fuzz-secret-1"}}},
		{"sentry", providers.Settings{Secrets: []string{"fuzz-secret-1"}}},
		{"vercel", providers.Settings{Secrets: []string{"fuzz-secret-1"}}},
		{"heroku", providers.Settings{Secrets: []string{"fuzz-secret-1"}}},
		{"circleci", providers.Settings{Secrets: []string{"fuzz-secret-1"}}},
		{"telegram", providers.Settings{Secrets: []string{"fuzz-secret-1"}}},
		{"line", providers.Settings{Secrets: []string{"fuzz-secret-1"}}},
		{"mailgun", providers.Settings{Secrets: []string{"fuzz-secret-1"}}},
		{"sendgrid", providers.Settings{Secrets: []string{"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA=="}}},
		{"postmark", providers.Settings{Secrets: []string{"fuzz:secret-1"}}},
		{"paystack", providers.Settings{Secrets: []string{"fuzz-secret-1"}}},
		{"flutterwave", providers.Settings{Secrets: []string{"fuzz-secret-1"}}},
		{"razorpay", providers.Settings{Secrets: []string{"fuzz-secret-1"}}},
		{"lemonsqueezy", providers.Settings{Secrets: []string{"fuzz-secret-1"}}},
		{"woocommerce", providers.Settings{Secrets: []string{"fuzz-secret-1"}}},
		{"coinbase", providers.Settings{Secrets: []string{"fuzz-secret-1"}}},
		{"adyen", providers.Settings{Secrets: []string{"0F0F"}, Username: "fuzz", Password: "secret-1"}},
		{"netlify", providers.Settings{Secrets: []string{"fuzz-secret-1-fuzz-secret-1-fuzz-secret-1"}}},
		{"dockerhub", providers.Settings{Secrets: []string{"fuzz-secret-1"}}},
		{"bitbucket-server", providers.Settings{Secrets: []string{"fuzz-secret-1"}}},
		{"azure-devops", providers.Settings{Secrets: []string{"fuzz:secret-1"}}},
		{"jira", providers.Settings{Secrets: []string{"fuzz-secret-1"}}},
		{"svix", providers.Settings{Secrets: []string{"whsec_ZnV6ei1rZXk="}}},
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
		"Authorization", "X-Grafana-Alerting-Signature", "X-Sig",
		"Paddle-Signature", "x-square-hmacsha256-signature", "X-HubSpot-Signature-v3", "Linear-Signature",
		"Calendly-Webhook-Signature", "Mux-Signature", "X-PagerDuty-Signature", "Typeform-Signature", "X-Hub-Signature",
		"X-Zendesk-Webhook-Signature", "Sentry-Hook-Signature", "x-vercel-signature", "Heroku-Webhook-Hmac-SHA256",
		"circleci-signature", "X-Telegram-Bot-Api-Secret-Token", "x-line-signature", "X-Mailgun-None",
		"X-Twilio-Email-Event-Webhook-Signature", "Authorization", "x-paystack-signature", "flutterwave-signature",
		"X-Razorpay-Signature", "X-Signature", "X-WC-Webhook-Signature", "X-CC-Webhook-Signature", "Authorization",
		"X-Webhook-Signature", "X-Docker-None", "X-Hub-Signature", "Authorization", "X-Hub-Signature", "svix-signature",
		"X-Hub-Signature-256", "x-zm-signature",
		"Twitch-Eventsub-Message-Signature", "X-Dropbox-Signature", "x-twitter-webhooks-signature", "x-xero-signature", "X-ZEvent-Signature"}
	now := time.Unix(1_700_000_000, 0)
	f.Add(uint8(0), "sha256=00", "1700000000", "id", []byte(`{"a":1}`))
	f.Add(uint8(4), "t=1700000000,v1=abcd,v0=ef", "1700000000", "", []byte(`{}`))
	f.Add(uint8(9), "v1,Zm9v v1,YmFy", "1700000000", "msg_1", []byte(`x`))
	f.Add(uint8(10), "Bearer fuzz", "", "", []byte(nil))
	f.Add(uint8(7), "sig=", "", "", []byte("a=1&b=2"))
	f.Add(uint8(13), "ts=1700000000;h1=00", "", "", []byte(`{"data":1}`))
	f.Add(uint8(15), "N5WHpbZgA1js3++zE/WCMztSvxfbTBW/bpaJOyy8g7U=", "1700000000000", "a=b%3Ac", []byte(`[]`))
	f.Add(uint8(29), "", "1700000000", "", []byte(`{"signature":{"timestamp":"1700000000","token":"t","signature":"00"}}`))
	f.Add(uint8(38), "Basic ZnV6ejpzZWNyZXQtMQ==", "", "", []byte(`{"notificationItems":[{"NotificationRequestItem":{"additionalData":{"hmacSignature":"AA=="}}}]}`))
	f.Add(uint8(39), "eyJhbGciOiJub25lIn0.e30.", "", "", []byte(`{}`))
	f.Add(uint8(36), "", "", "", []byte("webhook_id=7"))
	f.Fuzz(func(t *testing.T, which uint8, sig, ts, id string, body []byte) {
		i := int(which) % len(ps)
		h := http.Header{}
		h.Set(headers[i], sig)
		for _, k := range []string{"X-Slack-Request-Timestamp", "X-Signature-Timestamp", "webhook-timestamp", "X-Ts",
			"X-HubSpot-Request-Timestamp", "X-Zendesk-Webhook-Signature-Timestamp", "X-Twilio-Email-Event-Webhook-Timestamp", "svix-timestamp",
			"x-zm-request-timestamp", "Twitch-Eventsub-Message-Timestamp"} {
			h.Set(k, ts)
		}
		h.Set("webhook-id", id)
		h.Set("svix-id", id)
		h.Set("Twitch-Eventsub-Message-Id", id)
		form, _ := url.ParseQuery(string(body))
		r := &providers.Request{Method: "POST", URL: &url.URL{Scheme: "https", Host: "h", Path: "/hooks/x", RawQuery: id}, Header: h, Body: body, Form: form, Now: now}
		// Vouching for nothing is no acceptance: it is how WooCommerce's
		// unsigned activation ping reaches its handshake (answered, not
		// stored).
		if c, err := ps[i].Verify(r); err == nil && c.Scope != providers.ScopeNone {
			t.Fatalf("%s accepted a request not signed with its secret: %q", all[i].name, sig)
		}
		_ = ps[i].Identify(r, map[string]any{"type": sig, "id": id})
	})
}
