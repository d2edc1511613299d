package builtin

import (
	"crypto/sha256"

	"github.com/hookrunner/hookrunner/providers"
)

// Coinbase Commerce sends X-CC-Webhook-Signature: hex(HMAC-SHA256(shared
// secret, body)). Event: event.type ("charge:confirmed"); delivery:
// event.id.
func init() {
	providers.Register(providers.Info{
		Name: "coinbase", New: newBodySig(&bodySigSpec{
			header: "X-CC-Webhook-Signature", hash: sha256.New,
			identify: bodyIdentity("event.type", "event.id"),
		}),
		Formats: providers.FormatJSON,
		Doc: providers.Doc{
			Verification: "`X-CC-Webhook-Signature` hex HMAC-SHA256 of the body (Coinbase Commerce)",
			Handshake:    "—",
			Event:        "body `event.type`",
			DeliveryID:   "body `event.id`",
			ReplayWindow: "—",
			Link:         "https://docs.cdp.coinbase.com/commerce-onchain/docs/webhooks-security",
		},
		Samples: samplesOf("coinbase"), DefaultEvent: "charge:confirmed",
	})
}
