// Package sender builds the request a real sender would send to a source,
// signed as its provider signs: the body of `hookrunner send` and of the
// tests that post signed webhooks.
package sender

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hookrunner/hookrunner/engine"
	"github.com/hookrunner/hookrunner/providers"
	"github.com/hookrunner/hookrunner/store"
)

// eventHeaders names the header each provider reads the event type from
// and the one it reads the delivery id from.
var eventHeaders = map[string][2]string{
	"github":    {"X-GitHub-Event", "X-GitHub-Delivery"},
	"gitlab":    {"X-Gitlab-Event", "X-Gitlab-Event-UUID"},
	"gitea":     {"X-Gitea-Event", "X-Gitea-Delivery"},
	"gogs":      {"X-Gogs-Event", "X-Gogs-Delivery"},
	"bitbucket": {"X-Event-Key", "X-Request-UUID"},
	"shopify":   {"X-Shopify-Topic", "X-Shopify-Event-Id"},
	"twilio":    {"", "I-Twilio-Idempotency-Token"},
}

// BuildSignedRequest builds the request a real sender would send for the
// source: content type, event and delivery headers, and the signature. For
// a source with decrypt: the body is encrypted with the source's key first
// and the signature covers the ciphertext; send r.Body, not body.
func BuildSignedRequest(src *engine.Source, event string, body []byte, now time.Time) (*providers.Request, error) {
	s, ok := src.P.(providers.Signer)
	if !ok {
		return nil, fmt.Errorf("provider %s cannot sign requests", src.Provider)
	}
	r := &providers.Request{Method: http.MethodPost, Header: http.Header{}, Body: body, Now: now}
	r.URL = &url.URL{Scheme: "http", Host: "127.0.0.1", Path: "/hooks/" + src.Name}
	if src.PublicURL != nil {
		u := *src.PublicURL
		r.URL = &u
	}
	ct := "application/json"
	if t := strings.TrimSpace(string(body)); t != "" && t[0] != '{' && t[0] != '[' {
		ct = "application/x-www-form-urlencoded"
		if f, err := url.ParseQuery(t); err == nil {
			r.Form = f
		}
	}
	if src.Decrypt != nil {
		// An encrypting sender encrypts the payload and signs the ciphertext.
		sealed, sct, err := src.Decrypt.Seal(body)
		if err != nil {
			return nil, fmt.Errorf("encrypt the payload (decrypt: %s): %w", src.Decrypt.Algorithm(), err)
		}
		r.Body, r.Form, ct = sealed, nil, sct
	}
	r.Header.Set("Content-Type", ct)
	r.Header.Set("User-Agent", "hookrunner-send")
	h := eventHeaders[src.Provider]
	if src.Provider == "generic" {
		ev, id := src.IdentityHeaders()
		h = [2]string{ev, id}
	}
	if h[0] != "" && event != "" {
		r.Header.Set(h[0], event)
	}
	if h[1] != "" {
		r.Header.Set(h[1], store.NewID())
	}
	s.Sign(r)
	return r, nil
}
