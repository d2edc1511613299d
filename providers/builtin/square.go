package builtin

import (
	"crypto/sha256"
	"encoding/base64"

	"github.com/hookrunner/hookrunner/providers"
)

// Square sends x-square-hmacsha256-signature: base64(HMAC-SHA256(the
// subscription's signature key, notification URL + body)), the URL being
// the one configured in Square exactly: set public_url when a proxy
// changes it (else it is rebuilt from the request and the trusted proxy
// headers). The legacy SHA-1 x-square-signature is not accepted. Event:
// type ("payment.created"); delivery: event_id.
type Square struct{ secrets []string }

var (
	_ providers.Provider = (*Square)(nil)
	_ providers.Signer   = (*Square)(nil)
)

func init() {
	providers.Register(providers.Info{
		Name: "square", New: newSquare,
		Formats: providers.FormatJSON,
		Doc: providers.Doc{
			Verification: "`x-square-hmacsha256-signature` base64 HMAC-SHA256 of notification URL + body; URL from `public_url:` or the proxy headers",
			Handshake:    "—",
			Event:        "body `type`",
			DeliveryID:   "body `event_id`",
			ReplayWindow: "—",
			Link:         "https://developer.squareup.com/docs/webhooks/step3validate",
		},
		Samples: samplesOf("square"), DefaultEvent: "payment.created",
	})
}

func newSquare(s providers.Settings) (providers.Provider, error) {
	if err := requireSecret(s); err != nil {
		return nil, err
	}
	return &Square{secrets: s.Secrets}, nil
}

// SquareSignature is the signature Square sends for a notification URL and
// body.
func SquareSignature(key, notificationURL string, body []byte) string {
	return base64.StdEncoding.EncodeToString(mac(sha256.New, []byte(key), []byte(notificationURL), body))
}

// Verify implements providers.Provider: the URL, query included, is signed.
func (p *Square) Verify(r *providers.Request) (providers.Coverage, error) {
	return vouch(providers.Coverage{Scope: providers.ScopeBody, Query: true}, p.verify(r))
}

func (p *Square) verify(r *providers.Request) error {
	got, err := base64.StdEncoding.DecodeString(r.Header.Get("x-square-hmacsha256-signature"))
	if err != nil || len(got) == 0 {
		return deny("missing or malformed x-square-hmacsha256-signature header")
	}
	if r.URL == nil {
		return deny("notification URL unknown (set public_url)")
	}
	u := r.URL.String()
	for _, s := range p.secrets {
		if equal(got, mac(sha256.New, []byte(s), []byte(u), r.Body)) {
			return nil
		}
	}
	return deny("x-square-hmacsha256-signature does not match %s + body (set public_url to the notification URL configured in Square)", u)
}

// Identify implements providers.Provider.
func (p *Square) Identify(_ *providers.Request, payload any) providers.Identity {
	return providers.Identity{Event: field(payload, "type"), DeliveryID: field(payload, "event_id")}
}

// Sign implements providers.Signer over r.URL (public_url, else the target).
func (p *Square) Sign(r *providers.Request, _ providers.Identity) {
	r.Header.Set("x-square-hmacsha256-signature", SquareSignature(p.secrets[0], r.URL.String(), r.Body))
}
