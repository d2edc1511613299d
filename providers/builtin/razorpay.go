package builtin

import (
	"crypto/sha256"
	"net/http"

	"github.com/hookrunner/hookrunner/providers"
)

// Razorpay sends X-Razorpay-Signature: hex(HMAC-SHA256(webhook secret,
// body)). Event: event ("payment.captured"); delivery: x-razorpay-event-id
// (the same on every retry).
func init() {
	providers.Register(providers.Info{
		Name: "razorpay", New: newBodySig(&bodySigSpec{
			header: "X-Razorpay-Signature", hash: sha256.New,
			identify: func(r *providers.Request, payload any) providers.Identity {
				return providers.Identity{Event: field(payload, "event"), DeliveryID: r.Header.Get("X-Razorpay-Event-Id")}
			},
			sign: func(h http.Header, id providers.Identity) { setIf(h, "X-Razorpay-Event-Id", id.DeliveryID) },
		}),
		Formats: providers.FormatJSON,
		Doc: providers.Doc{
			Verification: "`X-Razorpay-Signature` hex HMAC-SHA256 of the body",
			Handshake:    "—",
			Event:        "body `event`",
			DeliveryID:   "`x-razorpay-event-id`",
			ReplayWindow: "—",
			Link:         "https://razorpay.com/docs/webhooks/validate-test/",
		},
		Samples: samplesOf("razorpay"), DefaultEvent: "payment.captured",
	})
}
