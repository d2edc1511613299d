package builtin_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"net/http"

	"github.com/hookrunner/hookrunner/providers"
	pt "github.com/hookrunner/hookrunner/providers/providertest"
)

// The signature-scheme providers' conformance fixtures: the settings of
// TestSignatureSchemesRoundTrip, each with a wrong twin of another secret.
func init() {
	for _, name := range []string{"paddle", "square", "hubspot", "linear", "calendly", "mux", "pagerduty", "typeform",
		"intercom", "vercel", "heroku", "circleci", "line", "paystack", "razorpay", "lemonsqueezy",
		"coinbase", "bitbucket-server", "jira"} {
		pt.Add(name, simple("conf-secret", "wrong-secret"))
	}
	pt.Add("sentry", pt.Fixture{Source: map[string]any{"secret": "conf-secret"}, Wrong: map[string]any{"secret": "wrong-secret"}})
	pt.Add("zendesk", pt.Fixture{Source: map[string]any{"secret": "conf-secret"}, Wrong: map[string]any{"secret": "wrong-secret"},
		WantEvent: "zen:event-type:ticket.created"})
	pt.Add("svix", simple("whsec_Y29uZm9ybWFuY2U=", "whsec_d3Jvbmc="))
	pt.Add("netlify", simple("netlify-jws-secret-0123456789abcdef", "netlify-jws-secret-0123456789abcdeX"))
	pt.Add("sendgrid", simple(ecPrivate(), ecPrivate()))
	pt.Add("flutterwave", simple("conf-secret", "wrong-secret"))
	pt.Add("telegram", pt.Fixture{Source: map[string]any{"secret": "tok_conf"}, Wrong: map[string]any{"secret": "tok_wrong"},
		Exempt: map[pt.Check]string{pt.Tamper: "X-Telegram-Bot-Api-Secret-Token is a shared token, Telegram signs no body"}})
	pt.Add("dockerhub", pt.Fixture{Source: map[string]any{"secret": "tok-conf"}, Wrong: map[string]any{"secret": "tok-wrong"},
		Exempt: map[pt.Check]string{pt.Tamper: "Docker Hub signs nothing: a URL token proves the sender knows the URL, not the body"}})
	pt.Add("postmark", pt.Fixture{Source: map[string]any{"secret": "user:conf"}, Wrong: map[string]any{"secret": "user:wrong"},
		Exempt: map[pt.Check]string{pt.Tamper: "Postmark signs nothing: basic auth proves the sender, not the body"}})
	pt.Add("azure-devops", pt.Fixture{Source: map[string]any{"secret": "user:conf"}, Wrong: map[string]any{"secret": "user:wrong"},
		Exempt: map[pt.Check]string{pt.Tamper: "Azure DevOps service hooks sign nothing: basic auth proves the sender, not the body"}})
	pt.Add("mailgun", pt.Fixture{Source: map[string]any{"secret": "key-conf"}, Wrong: map[string]any{"secret": "key-wrong"},
		Exempt: map[pt.Check]string{pt.Tamper: "Mailgun signs timestamp + token, not event-data: the body is not bound"}})
	pt.Add("woocommerce", pt.Fixture{Source: map[string]any{"secret": "conf-secret"}, Wrong: map[string]any{"secret": "wrong-secret"},
		Answer: func(*providers.Request) providers.Answer {
			return providers.Answer{Status: http.StatusOK, Body: []byte{}}
		},
		Exempt: map[pt.Check]string{pt.HandshakeAuth: "WooCommerce's activation ping is unsigned (webhook_id=N): it is answered 200 to anyone, nothing stored"}})
	pt.Add("adyen", pt.Fixture{
		Source: map[string]any{"secret": "0A0B0C0D", "username": "adyen", "password": "conf-pass"},
		Wrong:  map[string]any{"secret": "0A0B0C0E", "username": "adyen", "password": "conf-pass"},
		Status: http.StatusOK,
		Exempt: map[pt.Check]string{pt.Handshake: "its [accepted] answers a delivery, checked by the accept check (Status 200)"}})
}

// ecPrivate is a fresh P-256 key as base64 PKCS#8: SendGrid's secret that
// signs for `hookrunner send` (the public one only verifies).
func ecPrivate() string {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		panic(err)
	}
	return base64.StdEncoding.EncodeToString(der)
}
