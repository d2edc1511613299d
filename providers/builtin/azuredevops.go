package builtin

import "github.com/hookrunner/hookrunner/providers"

// Azure DevOps service hooks (Web Hooks consumer) sign nothing: the
// subscription sends basic credentials (secret: user:password) over
// HTTPS. Event: eventType ("git.push"); delivery: id (the event's, the
// same on a retry).
func init() {
	providers.Register(providers.Info{
		Name: "azure-devops", New: newBasicAuth(&basicAuthSpec{identify: bodyIdentity("eventType", "id")}),
		Formats: providers.FormatJSON,
		Doc: providers.Doc{
			Verification: "basic auth set on the subscription (`secret: user:password`); the body is not signed",
			Handshake:    "—",
			Event:        "body `eventType`",
			DeliveryID:   "body `id`",
			ReplayWindow: "—",
			Link:         "https://learn.microsoft.com/en-us/azure/devops/service-hooks/services/webhooks",
		},
		Samples: samplesOf("azure-devops"), DefaultEvent: "git.push",
	})
}
