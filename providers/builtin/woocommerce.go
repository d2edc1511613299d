package builtin

import (
	"crypto/sha256"
	"net/http"

	"github.com/hookrunner/hookrunner/providers"
)

// WooCommerce sends X-WC-Webhook-Signature: base64(HMAC-SHA256(secret,
// body)). Event: X-WC-Webhook-Topic ("order.created"); delivery:
// X-WC-Webhook-Delivery-ID. When a webhook is activated WooCommerce first
// posts an unsigned ping, the form body webhook_id=<N> and no signature,
// and wants exactly 200 (else it shows an error and pings again at the
// next save): that one shape is answered 200 as a handshake, before any
// rule, and nothing is stored. Anything else unsigned is refused.
type WooCommerce struct{ *bodySig }

var (
	_ providers.Provider        = (*WooCommerce)(nil)
	_ providers.Signer          = (*WooCommerce)(nil)
	_ providers.Handshaker      = (*WooCommerce)(nil)
	_ providers.HandshakeSigner = (*WooCommerce)(nil)
)

var wooSpec = &bodySigSpec{
	header: "X-WC-Webhook-Signature", hash: sha256.New, b64: true,
	identify: headerIdentity("X-WC-Webhook-Topic", "X-WC-Webhook-Delivery-ID"),
	sign:     headerSigner("X-WC-Webhook-Topic", "X-WC-Webhook-Delivery-ID"),
}

func init() {
	providers.Register(providers.Info{
		Name: "woocommerce", New: newWooCommerce,
		Formats: providers.FormatJSON,
		Doc: providers.Doc{
			Verification: "`X-WC-Webhook-Signature` base64 HMAC-SHA256 of the body",
			Handshake:    "answers the unsigned activation ping (form `webhook_id=N`, no signature) 200, nothing stored",
			Event:        "`X-WC-Webhook-Topic`",
			DeliveryID:   "`X-WC-Webhook-Delivery-ID`",
			ReplayWindow: "—",
			Link:         "https://woocommerce.github.io/woocommerce-rest-api-docs/#webhooks",
		},
		Samples: samplesOf("woocommerce"), DefaultEvent: "order.created",
	})
}

func newWooCommerce(s providers.Settings) (providers.Provider, error) {
	p, err := newBodySig(wooSpec)(s)
	if err != nil {
		return nil, err
	}
	return &WooCommerce{p.(*bodySig)}, nil
}

// wooPing is WooCommerce's activation ping: no signature header and a form
// body of exactly one field, webhook_id, a number.
func wooPing(r *providers.Request) bool {
	if r.Header.Get(wooSpec.header) != "" || r.Form == nil || len(r.Form) != 1 {
		return false
	}
	v := r.Form["webhook_id"]
	if len(v) != 1 || v[0] == "" || len(v[0]) > 20 {
		return false
	}
	for _, c := range v[0] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Verify implements providers.Provider: the ping vouches for nothing (and
// is answered by Handshake); everything else must be signed.
func (p *WooCommerce) Verify(r *providers.Request) (providers.Coverage, error) {
	if wooPing(r) {
		return coversNothing, nil
	}
	return p.bodySig.Verify(r)
}

// Handshake implements providers.Handshaker: 200 to the activation ping.
func (p *WooCommerce) Handshake(r *providers.Request, _ any) (int, string, []byte, bool) {
	if wooPing(r) {
		return 200, "", nil, true
	}
	return 0, "", nil, false
}

// SignHandshake implements providers.HandshakeSigner: the activation ping,
// unsigned as WooCommerce sends it.
func (p *WooCommerce) SignHandshake(r *providers.Request) {
	r.Method = http.MethodPost
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Body = []byte("webhook_id=1")
}
