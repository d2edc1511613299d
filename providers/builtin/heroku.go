package builtin

import (
	"crypto/sha256"

	"github.com/hookrunner/hookrunner/providers"
)

// Heroku app webhooks send Heroku-Webhook-Hmac-SHA256: base64(HMAC-SHA256(
// secret, body)). Event: webhook_metadata.event.include ("api:release");
// the action is the body's "action". Delivery: webhook_metadata.delivery.id
// (signed with the body, the same on every attempt; attempt.id changes).
func init() {
	providers.Register(providers.Info{
		Name: "heroku", New: newBodySig(&bodySigSpec{
			header: "Heroku-Webhook-Hmac-SHA256", hash: sha256.New, b64: true,
			identify: bodyIdentity("webhook_metadata.event.include", "webhook_metadata.delivery.id"),
		}),
		Formats: providers.FormatJSON,
		Doc: providers.Doc{
			Verification: "`Heroku-Webhook-Hmac-SHA256` base64 HMAC-SHA256 of the body",
			Handshake:    "—",
			Event:        "body `webhook_metadata.event.include` (`api:release`)",
			DeliveryID:   "body `webhook_metadata.delivery.id`",
			ReplayWindow: "—",
			Link:         "https://devcenter.heroku.com/articles/app-webhooks",
		},
		Samples: samplesOf("heroku"), DefaultEvent: "api:release",
	})
}
