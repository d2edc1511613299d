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
// source to target (see Build), for event ("": the provider's
// DefaultEvent).
func BuildSignedRequest(src *ruleset.Source, event string, body []byte, target *url.URL, now time.Time) (*providers.Request, error) {
	return Build(src, body, Options{Event: event, Target: target, Now: now})
}

// Options are the choices of a signed request.
type Options struct {
	// Event is the event type the provider's headers carry ("": the
	// provider's DefaultEvent, its most common event).
	Event string
	// SigningKey is the private key of a provider that signs with one the
	// config does not hold (providers.KeySigner: Discord).
	SigningKey []byte
	// Target is the URL posted to (nil: http://127.0.0.1/hooks/<source>).
	Target *url.URL
	Now    time.Time
}

// Build builds the request a real sender would send for the source:
// content type, then the provider's Signer sets the event type and
// delivery id headers and the signature. The URL the provider signs
// (Twilio signs it) is the source's public_url, else o.Target; the request
// is posted to o.Target with the query of r.URL. For a source with
// decrypt: the body is encrypted with the source's key first and the
// signature covers the ciphertext; send r.Body, not body.
func Build(src *ruleset.Source, body []byte, o Options) (*providers.Request, error) {
	s, err := signer(src, o.SigningKey)
	if err != nil {
		return nil, err
	}
	event := o.Event
	if event == "" {
		if info, ok := providers.Lookup(src.Provider); ok {
			event = info.DefaultEvent
		}
	}
	r := &providers.Request{Method: http.MethodPost, Header: http.Header{}, Body: body, Now: o.Now, URL: signedURL(src, o.Target)}
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

// signer is the source's Signer, given key when it signs with a private
// key the config does not hold; without that key it is an error that
// says what to give.
func signer(src *ruleset.Source, key []byte) (providers.Signer, error) {
	s, ok := src.P.(providers.Signer)
	if !ok {
		return nil, fmt.Errorf("provider %s cannot sign requests", src.Provider)
	}
	ks, ok := s.(providers.KeySigner)
	switch {
	case !ok && key != nil:
		return nil, fmt.Errorf("provider %s signs with the source's secret: it takes no signing key", src.Provider)
	case !ok:
		return s, nil
	case key != nil:
		ws, err := ks.WithSigningKey(key)
		if err != nil {
			return nil, fmt.Errorf("source %s (provider %s): %w", src.Name, src.Provider, err)
		}
		return ws, nil
	case ks.SigningKey() != "":
		return nil, fmt.Errorf("source %s (provider %s) is verified with a public key; signing needs the private key, which the config does not hold: put %s in a file and give --signing-key FILE",
			src.Name, src.Provider, ks.SigningKey())
	}
	return s, nil
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
		u = url.URL{Scheme: "http", Host: "127.0.0.1", Path: "/hooks/" + src.Path}
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
