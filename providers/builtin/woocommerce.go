package builtin

import (
	"crypto/sha256"

	"github.com/hookrunner/hookrunner/providers"
)

// WooCommerce sends X-WC-Webhook-Signature: base64(HMAC-SHA256(secret,
// body)). Event: X-WC-Webhook-Topic ("order.created"); delivery:
// X-WC-Webhook-Delivery-ID. The unsigned ping WooCommerce posts when a
// webhook is saved (form body webhook_id=N, no signature) is refused 401:
// WooCommerce saves the webhook all the same and shows the error.
func init() {
	providers.Register(providers.Info{
		Name: "woocommerce", New: newBodySig(&bodySigSpec{
			header: "X-WC-Webhook-Signature", hash: sha256.New, b64: true,
			identify: headerIdentity("X-WC-Webhook-Topic", "X-WC-Webhook-Delivery-ID"),
			sign:     headerSigner("X-WC-Webhook-Topic", "X-WC-Webhook-Delivery-ID"),
		}),
		Doc: providers.Doc{
			Verification: "`X-WC-Webhook-Signature` base64 HMAC-SHA256 of the body (the unsigned creation ping is refused)",
			Handshake:    "—",
			Event:        "`X-WC-Webhook-Topic`",
			DeliveryID:   "`X-WC-Webhook-Delivery-ID`",
			ReplayWindow: "—",
			Link:         "https://woocommerce.github.io/woocommerce-rest-api-docs/#webhooks",
		},
		Samples: samplesOf("woocommerce"), DefaultEvent: "order.created",
	})
}
