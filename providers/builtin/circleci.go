package builtin

import (
	"crypto/sha256"

	"github.com/hookrunner/hookrunner/providers"
)

// CircleCI sends circleci-signature: comma-separated "<version>=<hex>"
// entries; "v1" is hex(HMAC-SHA256(secret, body)), other versions are
// ignored. Event: type ("workflow-completed", "job-completed"); delivery:
// id.
func init() {
	providers.Register(providers.Info{
		Name: "circleci", New: newBodySig(&bodySigSpec{
			header: "circleci-signature", prefix: "v1=", hash: sha256.New, sep: ",",
			identify: bodyIdentity("type", "id"),
			sign:     headerSigner("circleci-event-type", ""),
		}),
		Formats: providers.FormatJSON,
		Doc: providers.Doc{
			Verification: "`circleci-signature` `v1=` hex HMAC-SHA256 of the body (other versions ignored)",
			Handshake:    "—",
			Event:        "body `type`",
			DeliveryID:   "body `id`",
			ReplayWindow: "—",
			Link:         "https://circleci.com/docs/webhooks/",
		},
		Samples: samplesOf("circleci"), DefaultEvent: "workflow-completed",
	})
}
