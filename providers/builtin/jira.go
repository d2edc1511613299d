package builtin

import (
	"crypto/sha256"
	"net/http"

	"github.com/hookrunner/hookrunner/providers"
)

// Jira (Cloud admin webhooks, and Data Center) sends X-Hub-Signature:
// "sha256=" + hex(HMAC-SHA256(the webhook's secret, body)) (WebSub
// method=signature). Webhooks registered by Connect or OAuth apps are
// not signed this way (they carry an app JWT) and are refused. Event:
// webhookEvent ("jira:issue_created"); delivery:
// X-Atlassian-Webhook-Identifier (the same on retries).
func init() {
	providers.Register(providers.Info{
		Name: "jira", New: newBodySig(&bodySigSpec{
			header: "X-Hub-Signature", prefix: "sha256=", hash: sha256.New,
			identify: func(r *providers.Request, payload any) providers.Identity {
				return providers.Identity{Event: field(payload, "webhookEvent"), DeliveryID: r.Header.Get("X-Atlassian-Webhook-Identifier")}
			},
			sign: func(h http.Header, id providers.Identity) { setIf(h, "X-Atlassian-Webhook-Identifier", id.DeliveryID) },
		}),
		Formats: providers.FormatJSON,
		Doc: providers.Doc{
			Verification: "`X-Hub-Signature` `sha256=` hex HMAC-SHA256 of the body (admin webhooks with a secret; app JWTs are not accepted)",
			Handshake:    "—",
			Event:        "body `webhookEvent`",
			DeliveryID:   "`X-Atlassian-Webhook-Identifier`",
			ReplayWindow: "—",
			Link:         "https://developer.atlassian.com/cloud/jira/platform/webhooks/",
		},
		Samples: samplesOf("jira"), DefaultEvent: "jira:issue_created",
	})
}
