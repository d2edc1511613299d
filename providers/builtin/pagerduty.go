package builtin

import (
	"crypto/sha256"

	"github.com/hookrunner/hookrunner/providers"
)

// PagerDuty (v3 webhooks) sends X-PagerDuty-Signature: one or more
// "v1=" + hex(HMAC-SHA256(secret, body)), comma-separated (one per secret
// while it is rotated); any match is enough. Event: event.event_type;
// delivery: event.id. The subscription's test ping is a signed
// "pagey.ping" event.
func init() {
	providers.Register(providers.Info{
		Name: "pagerduty", New: newBodySig(&bodySigSpec{
			header: "X-PagerDuty-Signature", prefix: "v1=", hash: sha256.New, sep: ",",
			identify: bodyIdentity("event.event_type", "event.id"),
		}),
		Formats: providers.FormatJSON,
		Doc: providers.Doc{
			Verification: "`X-PagerDuty-Signature` comma-separated `v1=` hex HMAC-SHA256 of the body (any matches)",
			Handshake:    "—",
			Event:        "body `event.event_type`",
			DeliveryID:   "body `event.id`",
			ReplayWindow: "—",
			Link:         "https://developer.pagerduty.com/docs/webhooks/v3-overview/",
		},
		Samples: samplesOf("pagerduty"), DefaultEvent: "incident.triggered",
	})
}
