// Package forward is the `forward` action: relay the event's original
// request (method, headers, body bytes; credential headers that were
// redacted before storage re-attached from the source's config) to another
// URL, so a receiver there verifies the provider's signature itself. The
// URL is literal config: no templates, nothing from the event decides
// where a request carrying the source's credentials goes.
package forward

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hookrunner/hookrunner/actions"
	"github.com/hookrunner/hookrunner/expression"
	"github.com/hookrunner/hookrunner/internal/relay"
)

// Config is the YAML of a forward action.
type Config struct {
	// URL receives the relayed request; written as is (no {{ }}).
	URL string `koanf:"url" json:"url"`
	// Timeout bounds one try (default 30s); the rule's retry policy
	// retries a failed one.
	Timeout time.Duration `koanf:"timeout" json:"timeout,omitempty"`
}

// Forward relays events to one URL.
type Forward struct {
	url    string
	client *http.Client
}

var _ actions.Action = (*Forward)(nil)

func init() {
	actions.Register(actions.Info{Name: "forward", Config: Config{}, New: newForward})
}

func newForward(bc actions.BuildContext) (actions.Action, error) {
	cfg := bc.Config.(Config)
	if err := checkURL(cfg.URL); err != nil {
		return nil, &actions.ConfigError{Path: "url", Msg: err.Error()}
	}
	if cfg.Timeout < 0 {
		return nil, &actions.ConfigError{Path: "timeout", Msg: "must not be negative"}
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	return &Forward{url: cfg.URL, client: relay.NewClient(cfg.Timeout)}, nil
}

// checkURL accepts an absolute http(s) URL written out in full.
func checkURL(raw string) error {
	if raw == "" {
		return errors.New("required, e.g. https://ci.internal/hooks/github")
	}
	if strings.Contains(raw, "{{") {
		return errors.New("is literal: forward takes no templates (the relayed request carries the source's credentials; nothing in the event may choose where it goes)")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("must be an absolute http:// or https:// URL, got %q", actions.SafeURL(raw))
	}
	return nil
}

// Describe implements actions.Action.
func (f *Forward) Describe(*expression.Env) (string, error) {
	return fmt.Sprintf("forward %s %s\n    headers and body: the event's, as received (credential headers re-attached)", relay.Method, actions.SafeURL(f.url)), nil
}

// Run implements actions.Action: a 2xx succeeds; a 5xx, 408, 429 or no
// answer is retried by the rule's retry policy; any other status is
// permanent.
func (f *Forward) Run(ctx context.Context, inv *actions.Invocation) (actions.Result, error) {
	var h http.Header
	if inv.RelayHeader != nil {
		h = inv.RelayHeader()
	}
	res, err := relay.Send(ctx, f.client, relay.Request{Method: relay.Method, URL: f.url, Header: h, Body: inv.Body})
	if err != nil {
		return actions.Result{}, errors.New(actions.SafeURL(err.Error()))
	}
	out := actions.Result{HTTPStatus: res.Status, RetryAfter: res.RetryAfter, Output: actions.Tail(res.Head, inv.OutputLimit),
		Detail: fmt.Sprintf("forwarded to %s: %d", hostOf(f.url), res.Status)}
	switch {
	case res.Status >= 200 && res.Status < 300:
		return out, nil
	case relay.Retryable(res.Status):
		return out, fmt.Errorf("forward to %s: status %d", actions.SafeURL(f.url), res.Status)
	default:
		return out, actions.Permanent(fmt.Errorf("forward to %s: status %d", actions.SafeURL(f.url), res.Status))
	}
}

// Close implements actions.Action.
func (f *Forward) Close() error {
	f.client.CloseIdleConnections()
	return nil
}

func hostOf(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Host
	}
	return ""
}
