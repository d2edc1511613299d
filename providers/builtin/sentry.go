package builtin

import (
	"crypto/sha256"

	"github.com/hookrunner/hookrunner/providers"
)

// Sentry (integration platform) sends Sentry-Hook-Signature: hex(HMAC-SHA256(
// the integration's client secret, body)). Sentry-Hook-Timestamp is not
// signed, so it bounds nothing. Event: Sentry-Hook-Resource ("issue",
// "event_alert", "installation"…; the action is the body's "action");
// delivery: Request-ID.
func init() {
	providers.Register(providers.Info{
		Name: "sentry", New: newBodySig(&bodySigSpec{
			header: "Sentry-Hook-Signature", hash: sha256.New,
			identify: headerIdentity("Sentry-Hook-Resource", "Request-ID"),
			sign:     headerSigner("Sentry-Hook-Resource", "Request-ID"),
		}),
		Formats: providers.FormatJSON,
		Doc: providers.Doc{
			Verification: "`Sentry-Hook-Signature` hex HMAC-SHA256 of the body with the client secret (`Sentry-Hook-Timestamp` is not signed: no replay window)",
			Handshake:    "—",
			Event:        "`Sentry-Hook-Resource` (action in body `action`)",
			DeliveryID:   "`Request-ID`",
			ReplayWindow: "—",
			Link:         "https://docs.sentry.io/organization/integrations/integration-platform/webhooks/",
		},
		Samples: samplesOf("sentry"), DefaultEvent: "issue",
	})
}
