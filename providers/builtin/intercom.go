package builtin

import (
	"crypto/sha1"

	"github.com/hookrunner/hookrunner/providers"
)

// Intercom sends X-Hub-Signature: "sha1=" + hex(HMAC-SHA1(the app's client
// secret, body)). Event: topic ("conversation.user.created", "ping" for
// the test notification); delivery: the notification id.
func init() {
	providers.Register(providers.Info{
		Name: "intercom", New: newBodySig(&bodySigSpec{
			header: "X-Hub-Signature", prefix: "sha1=", hash: sha1.New,
			identify: bodyIdentity("topic", "id"),
		}),
		Formats: providers.FormatJSON,
		Doc: providers.Doc{
			Verification: "`X-Hub-Signature` `sha1=` hex HMAC-SHA1 of the body with the app's client secret",
			Handshake:    "—",
			Event:        "body `topic`",
			DeliveryID:   "body `id` (`notif_…`)",
			ReplayWindow: "—",
			Link:         "https://developers.intercom.com/docs/references/webhooks/webhook-models",
		},
		Samples: samplesOf("intercom"), DefaultEvent: "conversation.user.created",
	})
}
