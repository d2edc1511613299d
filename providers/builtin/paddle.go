package builtin

import (
	"crypto/sha256"

	"github.com/hookrunner/hookrunner/providers"
)

// Paddle (Billing) sends Paddle-Signature: "ts=<unix>;h1=<hex>[;h1=…]",
// h1 = hex(HMAC-SHA256(the notification destination's secret key, ts +
// ":" + body)); any h1 matches (several are sent while a secret is
// rotated). Paddle's SDKs allow 5 seconds of clock difference; hookrunner
// uses the source's tolerance (5 minutes unless set). Event: event_type;
// delivery: notification_id (the same on a retry), else event_id.
func init() {
	providers.Register(providers.Info{
		Name: "paddle", New: newTimedSig(&timedSigSpec{
			header: "Paddle-Signature", itemSep: ";", tsKey: "ts", sigKey: "h1", joiner: ":", hash: sha256.New,
			identify: func(_ *providers.Request, payload any) providers.Identity {
				id := field(payload, "notification_id")
				if id == "" {
					id = field(payload, "event_id")
				}
				return providers.Identity{Event: field(payload, "event_type"), DeliveryID: id}
			},
		}),
		Formats: providers.FormatJSON,
		Doc: providers.Doc{
			Verification: "`Paddle-Signature` `ts=…;h1=…`: hex HMAC-SHA256 of `ts:body` (any h1)",
			Handshake:    "—",
			Event:        "body `event_type`",
			DeliveryID:   "body `notification_id` (else `event_id`)",
			ReplayWindow: "`tolerance` (5m; Paddle's SDKs use 5s)",
			Link:         "https://developer.paddle.com/webhooks/signature-verification",
		},
		Samples: samplesOf("paddle"), DefaultEvent: "transaction.completed",
	})
}
