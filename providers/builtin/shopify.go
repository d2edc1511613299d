package builtin

import (
	"crypto/sha256"
	"encoding/base64"

	"github.com/hookrunner/hookrunner/providers"
)

// Shopify verifies X-Shopify-Hmac-Sha256: base64(HMAC-SHA256(secret, body)).
// Event: X-Shopify-Topic ("orders/create"); delivery: X-Shopify-Event-Id
// (the same for every retry of an event), else X-Shopify-Webhook-Id.
type Shopify struct{ secrets []string }

var (
	_ providers.Provider = (*Shopify)(nil)
	_ providers.Signer   = (*Shopify)(nil)
)

func init() {
	providers.Register(providers.Info{
		Name: "shopify", New: newShopify,
		Formats: providers.FormatJSON | providers.FormatXML,
		Doc: providers.Doc{
			Verification: "`X-Shopify-Hmac-Sha256` base64 HMAC",
			Handshake:    "—",
			Event:        "`X-Shopify-Topic`",
			DeliveryID:   "`X-Shopify-Event-Id` (else `X-Shopify-Webhook-Id`)",
			ReplayWindow: "—",
			Link:         "https://shopify.dev/docs/apps/build/webhooks",
		},
		Samples: samplesOf("shopify"), DefaultEvent: "orders/create",
	})
}

func newShopify(s providers.Settings) (providers.Provider, error) {
	if err := requireSecret(s); err != nil {
		return nil, err
	}
	return &Shopify{secrets: s.Secrets}, nil
}

// Verify implements providers.Provider.
func (p *Shopify) Verify(r *providers.Request) (providers.Coverage, error) {
	return vouch(coversBody, p.verify(r))
}

func (p *Shopify) verify(r *providers.Request) error {
	h := r.Header.Get("X-Shopify-Hmac-Sha256")
	if h == "" {
		return deny("missing X-Shopify-Hmac-Sha256 header")
	}
	sig, err := base64.StdEncoding.DecodeString(h)
	if err != nil {
		return deny("X-Shopify-Hmac-Sha256 is not base64")
	}
	for _, s := range p.secrets {
		if equal(sig, mac(sha256.New, []byte(s), r.Body)) {
			return nil
		}
	}
	return deny("X-Shopify-Hmac-Sha256 does not match the body")
}

// Identify implements providers.Provider.
func (p *Shopify) Identify(r *providers.Request, _ any) providers.Identity {
	id := r.Header.Get("X-Shopify-Event-Id")
	if id == "" {
		id = r.Header.Get("X-Shopify-Webhook-Id")
	}
	return providers.Identity{Event: r.Header.Get("X-Shopify-Topic"), DeliveryID: id}
}

// Sign implements providers.Signer.
func (p *Shopify) Sign(r *providers.Request, id providers.Identity) {
	setIf(r.Header, "X-Shopify-Topic", id.Event)
	setIf(r.Header, "X-Shopify-Event-Id", id.DeliveryID)
	r.Header.Set("X-Shopify-Hmac-Sha256", base64.StdEncoding.EncodeToString(mac(sha256.New, []byte(p.secrets[0]), r.Body)))
}
