package builtin

import (
	"crypto/sha512"

	"github.com/hookrunner/hookrunner/providers"
)

// Paystack sends x-paystack-signature: hex(HMAC-SHA512(the secret key,
// body)). Event: event ("charge.success"); Paystack sends no delivery id,
// so the delivery id is event + "/" + data.id (a redelivery of the same
// event for the same object is a duplicate).
func init() {
	providers.Register(providers.Info{
		Name: "paystack", New: newBodySig(&bodySigSpec{
			header: "x-paystack-signature", hash: sha512.New,
			identify: func(_ *providers.Request, payload any) providers.Identity {
				ev, id := field(payload, "event"), field(payload, "data", "id")
				if id != "" {
					id = ev + "/" + id
				}
				return providers.Identity{Event: ev, DeliveryID: id}
			},
		}),
		Formats: providers.FormatJSON,
		Doc: providers.Doc{
			Verification: "`x-paystack-signature` hex HMAC-SHA512 of the body with the secret key",
			Handshake:    "—",
			Event:        "body `event`",
			DeliveryID:   "body `event` + `/` + `data.id`",
			ReplayWindow: "—",
			Link:         "https://paystack.com/docs/payments/webhooks/",
		},
		Samples: samplesOf("paystack"), DefaultEvent: "charge.success",
	})
}
