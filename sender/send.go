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

	"github.com/hookrunner/hookrunner/providers"
	"github.com/hookrunner/hookrunner/ruleset"
	"github.com/hookrunner/hookrunner/store"
)

// BuildSignedRequest builds the request a real sender would send for the
// source to target: content type, then the provider's Signer sets the event
// type and delivery id headers and the signature. The URL the provider signs
// (Twilio signs it) is the source's public_url, else target (nil:
// http://127.0.0.1/hooks/<source>); the request is posted to target with
// the query of r.URL. For a source with decrypt: the body is encrypted with
// the source's key first and the signature covers the ciphertext; send
// r.Body, not body.
func BuildSignedRequest(src *ruleset.Source, event string, body []byte, target *url.URL, now time.Time) (*providers.Request, error) {
	s, ok := src.P.(providers.Signer)
	if !ok {
		return nil, fmt.Errorf("provider %s cannot sign requests", src.Provider)
	}
	r := &providers.Request{Method: http.MethodPost, Header: http.Header{}, Body: body, Now: now, URL: signedURL(src, target)}
	ct := "application/json"
	if t := strings.TrimSpace(string(body)); strings.HasPrefix(t, "<") {
		ct = "text/xml; charset=utf-8"
	} else if t != "" && t[0] != '{' && t[0] != '[' {
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
	s.Sign(r, providers.Identity{Event: event, DeliveryID: store.NewID()})
	return r, nil
}

// signedURL is the URL a sender signs: the source's public_url, else
// target, else http://127.0.0.1/hooks/<source>.
func signedURL(src *ruleset.Source, target *url.URL) *url.URL {
	var u url.URL
	switch {
	case src.PublicURL != nil:
		u = *src.PublicURL
	case target != nil:
		u = *target
	default:
		u = url.URL{Scheme: "http", Host: "127.0.0.1", Path: "/hooks/" + src.Name}
	}
	return &u
}

// BuildHandshakeRequest builds the handshake the source's sender makes when
// the endpoint is registered (Meta's GET hub.challenge, Zoom's
// endpoint.url_validation, Twitch's webhook_callback_verification, …):
// method, query, headers and body, signed where the sender signs it. The
// request goes to target with the query of r.URL.
func BuildHandshakeRequest(src *ruleset.Source, target *url.URL, now time.Time) (*providers.Request, error) {
	s, ok := src.P.(providers.HandshakeSigner)
	if !ok {
		return nil, fmt.Errorf("provider %s has no handshake to send", src.Provider)
	}
	r := &providers.Request{Method: http.MethodPost, Header: http.Header{}, Now: now, URL: signedURL(src, target)}
	r.Header.Set("User-Agent", "hookrunner-send")
	s.SignHandshake(r)
	return r, nil
}
