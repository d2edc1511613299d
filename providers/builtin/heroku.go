package builtin

import (
	"crypto/sha256"
	"net/http"

	"github.com/hookrunner/hookrunner/providers"
)

// Heroku app webhooks send Heroku-Webhook-Hmac-SHA256: base64(HMAC-SHA256(
// secret, body)). Event: webhook_metadata.event.include ("api:release");
// the action is the body's "action". Delivery: Heroku-Webhook-Id.
func init() {
	providers.Register(providers.Info{
		Name: "heroku", New: newBodySig(&bodySigSpec{
			header: "Heroku-Webhook-Hmac-SHA256", hash: sha256.New, b64: true,
			identify: func(r *providers.Request, payload any) providers.Identity {
				return providers.Identity{Event: field(payload, "webhook_metadata", "event", "include"), DeliveryID: r.Header.Get("Heroku-Webhook-Id")}
			},
			sign: func(h http.Header, id providers.Identity) { setIf(h, "Heroku-Webhook-Id", id.DeliveryID) },
		}),
		Doc: providers.Doc{
			Verification: "`Heroku-Webhook-Hmac-SHA256` base64 HMAC-SHA256 of the body",
			Handshake:    "—",
			Event:        "body `webhook_metadata.event.include` (`api:release`)",
			DeliveryID:   "`Heroku-Webhook-Id`",
			ReplayWindow: "—",
			Link:         "https://devcenter.heroku.com/articles/app-webhooks",
		},
		Samples: samplesOf("heroku"), DefaultEvent: "api-release",
	})
}
