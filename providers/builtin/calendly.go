package builtin

import (
	"crypto/sha256"

	"github.com/hookrunner/hookrunner/providers"
)

// Calendly sends Calendly-Webhook-Signature: "t=<unix>,v1=<hex>", v1 =
// hex(HMAC-SHA256(the subscription's signing key, t + "." + body)), t
// within the tolerance. Event: event ("invitee.created"). Calendly sends
// no delivery id: it is event + " " + payload.uri (the invitee), so a
// retry is a duplicate and a cancellation of the same invitee is not.
func init() {
	providers.Register(providers.Info{
		Name: "calendly", New: newTimedSig(&timedSigSpec{
			header: "Calendly-Webhook-Signature", itemSep: ",", tsKey: "t", sigKey: "v1", joiner: ".", hash: sha256.New,
			identify: func(_ *providers.Request, payload any) providers.Identity {
				ev, uri := field(payload, "event"), field(payload, "payload", "uri")
				if uri != "" {
					uri = ev + " " + uri
				}
				return providers.Identity{Event: ev, DeliveryID: uri}
			},
		}),
		Formats: providers.FormatJSON,
		Doc: providers.Doc{
			Verification: "`Calendly-Webhook-Signature` `t=…,v1=…`: hex HMAC-SHA256 of `t.body` with the signing key",
			Handshake:    "—",
			Event:        "body `event`",
			DeliveryID:   "body `event` + `payload.uri` (none is sent)",
			ReplayWindow: "`tolerance` (5m)",
			Link:         "https://developer.calendly.com/api-docs/4c305798a61d3-webhook-signatures",
		},
		Samples: samplesOf("calendly"), DefaultEvent: "invitee.created",
	})
}
