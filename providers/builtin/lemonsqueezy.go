package builtin

import (
	"crypto/sha256"
	"net/http"

	"github.com/hookrunner/hookrunner/providers"
)

// Lemon Squeezy sends X-Signature: hex(HMAC-SHA256(signing secret, body)).
// Event: X-Event-Name, else meta.event_name ("order_created"). It sends no
// delivery id: the delivery id is event/data.type/data.id/updated_at, so a
// retry is a duplicate and a later change of the same object is not.
func init() {
	providers.Register(providers.Info{
		Name: "lemonsqueezy", New: newBodySig(&bodySigSpec{
			header: "X-Signature", hash: sha256.New,
			identify: func(r *providers.Request, payload any) providers.Identity {
				ev := r.Header.Get("X-Event-Name")
				if ev == "" {
					ev = field(payload, "meta", "event_name")
				}
				id := field(payload, "data", "id")
				if id != "" {
					id = ev + "/" + field(payload, "data", "type") + "/" + id + "/" + field(payload, "data", "attributes", "updated_at")
				}
				return providers.Identity{Event: ev, DeliveryID: id}
			},
			sign: func(h http.Header, id providers.Identity) { setIf(h, "X-Event-Name", id.Event) },
		}),
		Formats: providers.FormatJSON,
		Doc: providers.Doc{
			Verification: "`X-Signature` hex HMAC-SHA256 of the body",
			Handshake:    "—",
			Event:        "`X-Event-Name` (body `meta.event_name`)",
			DeliveryID:   "event + `data.type` + `data.id` + `data.attributes.updated_at` (none is sent)",
			ReplayWindow: "—",
			Link:         "https://docs.lemonsqueezy.com/help/webhooks/signing-requests",
		},
		Samples: samplesOf("lemonsqueezy"), DefaultEvent: "order_created",
	})
}
