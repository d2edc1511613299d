package ruleset

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hookrunner/hookrunner/internal/redact"
	"github.com/hookrunner/hookrunner/internal/relay"
	"github.com/hookrunner/hookrunner/providers"
)

// RelayHeader returns the headers of a stored event of this source as
// they are relayed to another receiver (the `forward` action, `hookrunner
// listen`): the stored headers, which keep the provider's signature
// headers as received; each credential header that was redacted before
// storage (a GitLab X-Gitlab-Token, a basic or bearer Authorization) set
// again to the value this source's config makes its sender send (the
// provider's Signer, asked for nothing else); any other value still
// holding redact.Mask dropped; hop-by-hop headers dropped (relay.Clean).
//
// A nil Source (the source is no longer configured) re-attaches nothing.
func (s *Source) RelayHeader(stored map[string]string, body []byte) http.Header {
	h := make(http.Header, len(stored))
	var masked []string
	for k, v := range stored {
		if v == redact.Mask && redact.IsSecretHeader(k) {
			masked = append(masked, k)
			continue
		}
		if strings.Contains(v, redact.Mask) {
			continue // a value with a secret cut out of it is no value
		}
		h.Set(k, v)
	}
	if len(masked) > 0 && s != nil {
		if signer, ok := s.P.(providers.Signer); ok {
			signed := s.sign(signer, body)
			for _, k := range masked {
				if v := signed.Values(k); len(v) > 0 {
					h[http.CanonicalHeaderKey(k)] = v
				}
			}
		}
	}
	return relay.Clean(h)
}

// sign has the source's provider sign a request of body as its sender
// would, and returns the headers it set.
func (s *Source) sign(signer providers.Signer, body []byte) http.Header {
	u := s.PublicURL
	if u == nil {
		u = &url.URL{Scheme: "http", Host: "localhost", Path: "/hooks/" + url.PathEscape(s.Name)}
	}
	r := &providers.Request{Method: relay.Method, URL: u, Header: http.Header{}, Body: body, Now: time.Now()}
	if form, err := url.ParseQuery(string(body)); err == nil {
		r.Form = form
	}
	signer.Sign(r, providers.Identity{})
	return r.Header
}
