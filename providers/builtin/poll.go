package builtin

import "github.com/hookrunner/hookrunner/providers"

// Poll is the provider of polled sources: they create their own events, so
// the source's webhook URL accepts nothing.
type Poll struct{}

var _ providers.Provider = Poll{}

func init() {
	providers.Register(providers.Info{
		Name: "poll", New: func(providers.Settings) (providers.Provider, error) { return Poll{}, nil },
		Formats: providers.FormatJSON,
		Doc: providers.Doc{
			Verification: "polled by hookrunner (no pushed request is accepted: 401)",
			Handshake:    "—",
			Event:        "`poll.event`",
			DeliveryID:   "`poll.id`",
			ReplayWindow: "—",
		},
	})
}

// Verify implements providers.Provider: a poll source refuses every pushed request.
func (Poll) Verify(*providers.Request) (providers.Coverage, error) {
	return providers.Coverage{}, deny("this source is polled; it accepts no pushed requests")
}

// Identify implements providers.Provider.
func (Poll) Identify(*providers.Request, any) providers.Identity { return providers.Identity{} }
