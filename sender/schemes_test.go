package sender_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	_ "github.com/hookrunner/hookrunner/actions/shell"
	"github.com/hookrunner/hookrunner/app"
	"github.com/hookrunner/hookrunner/providers"
	_ "github.com/hookrunner/hookrunner/providers/builtin"
	"github.com/hookrunner/hookrunner/ruleset"
	"github.com/hookrunner/hookrunner/sender"
	"github.com/hookrunner/hookrunner/store"
	"github.com/hookrunner/hookrunner/store/sqlite"
)

// The signature-scheme providers end to end, through a running server and
// a real SQLite store: each provider's sample, signed by BuildSignedRequest
// as `hookrunner send` signs it, is accepted (Adyen answered "[accepted]");
// the same request with one byte changed (where the body is signed) and
// the sample without its signature are answered 401; WooCommerce's
// unsigned activation ping is answered 200; and the store holds exactly
// the one accepted event per source, with its event type.
func TestSignatureSchemesThroughServer(t *testing.T) {
	dir := t.TempDir()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	sources := map[string]string{
		"paddle":           `{ provider: paddle, secret: "pdl_ntfset_01" }`,
		"square":           `{ provider: square, secret: "sq-sig-key" }`,
		"hubspot":          `{ provider: hubspot, secret: "hs-client-secret" }`,
		"linear":           `{ provider: linear, secret: "lin_wh_1" }`,
		"calendly":         `{ provider: calendly, secret: "cal-key" }`,
		"mux":              `{ provider: mux, secret: "mux-key" }`,
		"pagerduty":        `{ provider: pagerduty, secret: "pd-key" }`,
		"typeform":         `{ provider: typeform, secret: "tf-key" }`,
		"intercom":         `{ provider: intercom, secret: "ic-key" }`,
		"zendesk":          `{ provider: zendesk, secret: "zd-key" }`,
		"sentry":           `{ provider: sentry, secret: "sn-key" }`,
		"vercel":           `{ provider: vercel, secret: "vc-key" }`,
		"heroku":           `{ provider: heroku, secret: "hk-key" }`,
		"circleci":         `{ provider: circleci, secret: "ci-key" }`,
		"telegram":         `{ provider: telegram, secret: "tg_token-1" }`,
		"line":             `{ provider: line, secret: "line-key" }`,
		"mailgun":          `{ provider: mailgun, secret: "mg-key" }`,
		"sendgrid":         `{ provider: sendgrid, secret: "` + base64.StdEncoding.EncodeToString(der) + `" }`,
		"postmark":         `{ provider: postmark, secret: "pm:pass" }`,
		"paystack":         `{ provider: paystack, secret: "sk_test_1" }`,
		"flutterwave":      `{ provider: flutterwave, secret: "flw-hash" }`,
		"razorpay":         `{ provider: razorpay, secret: "rz-key" }`,
		"lemonsqueezy":     `{ provider: lemonsqueezy, secret: "ls-key" }`,
		"woocommerce":      `{ provider: woocommerce, secret: "wc-key" }`,
		"coinbase":         `{ provider: coinbase, secret: "cb-key" }`,
		"adyen":            `{ provider: adyen, secret: "0A1B2C3D", username: "adyen", password: "basic-pass" }`,
		"netlify":          `{ provider: netlify, secret: "netlify-jws-secret-0123456789abcdef" }`,
		"dockerhub":        `{ provider: dockerhub, secret: "dh-token" }`,
		"bitbucket-server": `{ provider: bitbucket-server, secret: "bbs-key" }`,
		"azure-devops":     `{ provider: azure-devops, secret: "ado:pass" }`,
		"jira":             `{ provider: jira, secret: "jira-key" }`,
		"svix":             `{ provider: svix, secret: "whsec_c2VjcmV0LWtleQ==" }`,
	}
	// A token or credentials prove the sender but do not bind the body.
	bodyUnsigned := map[string]bool{"telegram": true, "postmark": true, "azure-devops": true, "dockerhub": true, "mailgun": true}

	names := make([]string, 0, len(sources))
	for n := range sources {
		names = append(names, n)
	}
	sort.Strings(names)
	db := filepath.Join(dir, "hr.db")
	var b strings.Builder
	fmt.Fprintf(&b, "server: { listen: \"127.0.0.1:0\" }\nadmin: { listen: \"127.0.0.1:0\" }\nstore: { dsn: %q }\nsources:\n", db)
	for _, n := range names {
		fmt.Fprintf(&b, "  %s: %s\n", n, sources[n])
	}
	b.WriteString("rules:\n  - name: any\n    source: paddle\n    actions: [ { shell: { command: [\"/bin/true\"] } } ]\n")
	cfg := filepath.Join(dir, "hooks.yaml")
	if err := os.WriteFile(cfg, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}

	ready := make(chan string, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- app.Run(ctx, app.Options{ConfigPath: cfg, LogOutput: io.Discard, Ready: func(p, _ string) { ready <- p }})
	}()
	var pub string
	select {
	case pub = <-ready:
	case err := <-done:
		t.Fatal(err)
	case <-time.After(20 * time.Second):
		t.Fatal("server did not start")
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			<-done
		}
	}
	defer stop()

	snap, err := ruleset.Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	post := func(t *testing.T, target *url.URL, h http.Header, body []byte) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, target.String(), bytes.NewReader(body))
		req.Header = h.Clone()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		got, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(got)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			info, _ := providers.Lookup(name)
			sample, err := providers.Sample(name, "")
			if err != nil {
				t.Fatal(err)
			}
			target, _ := url.Parse("http://" + pub + "/hooks/" + name)
			r, err := sender.BuildSignedRequest(snap.Sources[name], info.DefaultEvent, sample, target, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			signedURL := *target
			signedURL.RawQuery = r.URL.RawQuery
			status, answer := post(t, &signedURL, r.Header, r.Body)
			if status != 200 && status != 202 {
				t.Fatalf("signed sample: %d %s", status, answer)
			}
			if name == "adyen" && answer != "[accepted]" {
				t.Fatalf("adyen answer %q, want [accepted]", answer)
			}
			if !bodyUnsigned[name] {
				changed := bytes.Replace(r.Body, []byte(`"`), []byte(`'`), 1) // one byte
				if status, answer := post(t, &signedURL, r.Header, changed); status != 401 {
					t.Fatalf("one byte changed: %d %s, want 401", status, answer)
				}
			}
			if name == "woocommerce" {
				// The unsigned activation ping: 200, nothing stored (checked below).
				ping := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
				if status, answer := post(t, target, ping, []byte("webhook_id=42")); status != 200 {
					t.Fatalf("woocommerce ping: %d %s, want 200", status, answer)
				}
			}
			bare := http.Header{"Content-Type": {"application/json"}}
			if status, answer := post(t, target, bare, sample); status != 401 {
				t.Fatalf("no signature: %d %s, want 401", status, answer)
			}
		})
	}
	stop()

	st, err := sqlite.Open(context.Background(), db, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, name := range names {
		evs, err := st.ListEvents(context.Background(), store.EventFilter{Source: name, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 1 {
			t.Errorf("%s: %d events stored, want exactly the accepted one", name, len(evs))
			continue
		}
		if evs[0].Event == "" {
			t.Errorf("%s: stored without an event type", name)
		}
	}
}
