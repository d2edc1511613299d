package builtin

import (
	"crypto/sha1"

	"github.com/hookrunner/hookrunner/providers"
)

// Vercel sends x-vercel-signature: hex(HMAC-SHA1(secret, body)), the
// secret being the webhook's (account webhooks) or the integration's
// client secret. Event: type ("deployment.created"); delivery: id.
func init() {
	providers.Register(providers.Info{
		Name: "vercel", New: newBodySig(&bodySigSpec{
			header: "x-vercel-signature", hash: sha1.New,
			identify: bodyIdentity("type", "id"),
		}),
		Formats: providers.FormatJSON,
		Doc: providers.Doc{
			Verification: "`x-vercel-signature` hex HMAC-SHA1 of the body",
			Handshake:    "—",
			Event:        "body `type`",
			DeliveryID:   "body `id`",
			ReplayWindow: "—",
			Link:         "https://vercel.com/docs/webhooks/webhooks-api",
		},
		Samples: samplesOf("vercel"), DefaultEvent: "deployment.created",
	})
}
