package providers

// Poll is the provider of polled sources: they create their own events, so
// the source's webhook URL accepts nothing.
type Poll struct{}

var _ Provider = Poll{}

func init() { Register("poll", func(Settings) (Provider, error) { return Poll{}, nil }) }

// Verify implements Provider: a poll source refuses every pushed request.
func (Poll) Verify(*Request) (Coverage, error) {
	return Coverage{}, deny("this source is polled; it accepts no pushed requests")
}

// Identify implements Provider.
func (Poll) Identify(*Request, any) Identity { return Identity{} }
