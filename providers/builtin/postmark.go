package builtin

import "github.com/hookrunner/hookrunner/providers"

// Postmark signs nothing: a webhook is protected by basic credentials in
// its URL (secret: user:password) and, optionally, Postmark's published IP
// ranges (allow_ips). Event: RecordType ("Delivery", "Bounce", "Open",
// "Click", "SpamComplaint", "SubscriptionChange"; "Inbound" for inbound
// messages, which have none). Delivery id: the bounce's or complaint's ID,
// the MessageID of a delivery or an inbound message; opens and clicks
// have no unique id (none is set, so each is kept).
func init() {
	providers.Register(providers.Info{
		Name: "postmark", New: newBasicAuth(&basicAuthSpec{identify: postmarkIdentity}),
		Formats: providers.FormatJSON,
		Doc: providers.Doc{
			Verification: "basic auth from the webhook URL (`secret: user:password`); the body is not signed",
			Handshake:    "—",
			Event:        "body `RecordType` (`Inbound` for inbound mail)",
			DeliveryID:   "`ID` (bounce, complaint) or `MessageID` (delivery, inbound); none for opens and clicks",
			ReplayWindow: "—",
			Link:         "https://postmarkapp.com/developer/webhooks/webhooks-overview",
		},
		Samples: samplesOf("postmark"), DefaultEvent: "Delivery",
	})
}

func postmarkIdentity(_ *providers.Request, payload any) providers.Identity {
	rt := field(payload, "RecordType")
	switch rt {
	case "Bounce", "SpamComplaint":
		return providers.Identity{Event: rt, DeliveryID: rt + "/" + field(payload, "ID")}
	case "Delivery":
		return providers.Identity{Event: rt, DeliveryID: rt + "/" + field(payload, "MessageID")}
	case "":
		if id := field(payload, "MessageID"); id != "" {
			return providers.Identity{Event: "Inbound", DeliveryID: "Inbound/" + id}
		}
	}
	return providers.Identity{Event: rt}
}
