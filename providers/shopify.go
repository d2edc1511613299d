package providers

import (
	"crypto/sha256"
	"encoding/base64"
)

// Shopify verifies X-Shopify-Hmac-Sha256: base64(HMAC-SHA256(secret, body)).
// Event: X-Shopify-Topic ("orders/create"); delivery: X-Shopify-Event-Id
// (the same for every retry of an event), else X-Shopify-Webhook-Id.
type Shopify struct{ secrets []string }

var (
	_ Provider = (*Shopify)(nil)
	_ Signer   = (*Shopify)(nil)
)

func init() { Register("shopify", newShopify) }

func newShopify(s Settings) (Provider, error) {
	if err := requireSecret(s); err != nil {
		return nil, err
	}
	return &Shopify{secrets: s.Secrets}, nil
}

// Verify implements Provider.
func (p *Shopify) Verify(r *Request) (Coverage, error) {
	return vouch(coversBody, p.verify(r))
}

func (p *Shopify) verify(r *Request) error {
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

// Identify implements Provider.
func (p *Shopify) Identify(r *Request, _ any) Identity {
	id := r.Header.Get("X-Shopify-Event-Id")
	if id == "" {
		id = r.Header.Get("X-Shopify-Webhook-Id")
	}
	return Identity{Event: r.Header.Get("X-Shopify-Topic"), DeliveryID: id}
}

// Sign implements Signer.
func (p *Shopify) Sign(r *Request) {
	r.Header.Set("X-Shopify-Hmac-Sha256", base64.StdEncoding.EncodeToString(mac(sha256.New, []byte(p.secrets[0]), r.Body)))
}
