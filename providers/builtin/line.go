package builtin

import (
	"crypto/sha256"
	"sort"
	"strings"

	"github.com/hookrunner/hookrunner/providers"
)

// LINE (Messaging API) sends x-line-signature: base64(HMAC-SHA256(channel
// secret, body)). A body carries a list of events: the event type is the
// first one's type ("none" for the empty list LINE sends when the webhook
// URL is verified from the console); the delivery id is the sorted
// webhookEventIds (the same on a redelivery).
func init() {
	providers.Register(providers.Info{
		Name: "line", New: newBodySig(&bodySigSpec{
			header: "x-line-signature", hash: sha256.New, b64: true,
			identify: lineIdentity,
		}),
		Formats: providers.FormatJSON,
		Doc: providers.Doc{
			Verification: "`x-line-signature` base64 HMAC-SHA256 of the body with the channel secret",
			Handshake:    "—",
			Event:        "first `events[].type` (`none` for the console's verification)",
			DeliveryID:   "the sorted `events[].webhookEventId`",
			ReplayWindow: "—",
			Link:         "https://developers.line.biz/en/reference/messaging-api/#signature-validation",
		},
		Samples: samplesOf("line"), DefaultEvent: "message",
	})
}

func lineIdentity(_ *providers.Request, payload any) providers.Identity {
	m, _ := payload.(map[string]any)
	evs, _ := m["events"].([]any)
	if len(evs) == 0 {
		return providers.Identity{Event: "none"}
	}
	var ids []string
	for _, e := range evs {
		if id := field(e, "webhookEventId"); id != "" {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return providers.Identity{Event: field(evs[0], "type"), DeliveryID: strings.Join(ids, ",")}
}
