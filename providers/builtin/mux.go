package builtin

import (
	"crypto/sha256"

	"github.com/hookrunner/hookrunner/providers"
)

// Mux sends Mux-Signature: "t=<unix>,v1=<hex>", v1 = hex(HMAC-SHA256(the
// webhook signing secret, t + "." + body)), t within the tolerance (the
// Mux SDKs default to 5 minutes). Event: type ("video.asset.ready");
// delivery: id.
func init() {
	providers.Register(providers.Info{
		Name: "mux", New: newTimedSig(&timedSigSpec{
			header: "Mux-Signature", itemSep: ",", tsKey: "t", sigKey: "v1", joiner: ".", hash: sha256.New,
			identify: bodyIdentity("type", "id"),
		}),
		Formats: providers.FormatJSON,
		Doc: providers.Doc{
			Verification: "`Mux-Signature` `t=…,v1=…`: hex HMAC-SHA256 of `t.body`",
			Handshake:    "—",
			Event:        "body `type`",
			DeliveryID:   "body `id`",
			ReplayWindow: "`tolerance` (5m)",
			Link:         "https://docs.mux.com/guides/verify-webhook-signatures",
		},
		Samples: samplesOf("mux"), DefaultEvent: "video.asset.ready",
	})
}
