package builtin

import (
	"crypto/sha256"

	"github.com/hookrunner/hookrunner/providers"
)

// Typeform sends Typeform-Signature: "sha256=" + base64(HMAC-SHA256(secret,
// body)). Event: event_type ("form_response"); delivery: event_id.
func init() {
	providers.Register(providers.Info{
		Name: "typeform", New: newBodySig(&bodySigSpec{
			header: "Typeform-Signature", prefix: "sha256=", hash: sha256.New, b64: true,
			identify: bodyIdentity("event_type", "event_id"),
		}),
		Formats: providers.FormatJSON,
		Doc: providers.Doc{
			Verification: "`Typeform-Signature` `sha256=` base64 HMAC-SHA256 of the body",
			Handshake:    "—",
			Event:        "body `event_type`",
			DeliveryID:   "body `event_id`",
			ReplayWindow: "—",
			Link:         "https://www.typeform.com/developers/webhooks/secure-your-webhooks/",
		},
		Samples: samplesOf("typeform"), DefaultEvent: "form_response",
	})
}
