package builtin

import (
	"encoding/base64"
	"encoding/hex"
	"hash"
	"strings"

	"github.com/hookrunner/hookrunner/providers"
)

// Generic covers any other sender. verify: hmac (header, algorithm sha1 |
// sha256 | sha512, encoding hex | base64, optional prefix such as
// "sha256=", prefix_optional for adnanh/webhook's reading of the header), token (secret compared with a header or a query parameter),
// basic (username/password), or none — which must be written out; there is
// no default. event_header and id_header name the event type and delivery id
// headers.
type Generic struct {
	s       providers.Settings
	newHash func() hash.Hash
	auth    *httpAuth
}

var (
	_ providers.Provider = (*Generic)(nil)
	_ providers.Signer   = (*Generic)(nil)
)

func init() {
	providers.Register(providers.Info{
		Name: "generic", New: newGeneric,
		Formats: providers.AnyFormat,
		Doc: providers.Doc{
			Verification: "`verify: hmac` (header, algorithm, encoding, prefix), `token` (header or `query_param`), `basic`, `none`",
			Handshake:    "—",
			Event:        "`event_header`",
			DeliveryID:   "`id_header`",
			ReplayWindow: "—",
		},
		Samples: samplesOf("generic"), DefaultEvent: "event",
	})
}

func newGeneric(s providers.Settings) (providers.Provider, error) {
	g := &Generic{s: s}
	if s.PrefixOptional && s.Verify != "hmac" {
		return nil, fieldErr("prefix_optional", "only with verify: hmac")
	}
	switch s.Verify {
	case "":
		return nil, fieldErr("verify", "required for the generic provider: hmac, token, basic or none")
	case "hmac":
		if err := requireSecret(s); err != nil {
			return nil, err
		}
		if s.Header == "" {
			return nil, fieldErr("header", "required with verify: hmac (the header carrying the signature)")
		}
		h, err := newHash(s.Algorithm)
		if err != nil {
			return nil, fieldErr("algorithm", "%v", err)
		}
		g.newHash = h
		switch s.Encoding {
		case "", "hex", "base64":
		default:
			return nil, fieldErr("encoding", "must be hex or base64, got %q", s.Encoding)
		}
	case "token":
		if err := requireSecret(s); err != nil {
			return nil, err
		}
		if (s.Header == "") == (s.QueryParam == "") {
			return nil, fieldErr("header", "verify: token needs exactly one of header or query_param")
		}
	case "basic":
		a, err := newHTTPAuth(s)
		if err != nil {
			return nil, err
		}
		if a.username == "" {
			return nil, fieldErr("username", "required with verify: basic")
		}
		g.auth = a
	case "none":
		if len(s.Secrets) > 0 {
			return nil, fieldErr("verify", "none conflicts with a configured secret")
		}
	default:
		return nil, fieldErr("verify", "unknown method %q (use hmac, token, basic or none)", s.Verify)
	}
	return g, nil
}

func (g *Generic) encode(b []byte) string {
	if g.s.Encoding == "base64" {
		return base64.StdEncoding.EncodeToString(b)
	}
	return hex.EncodeToString(b)
}

func (g *Generic) decode(s string) ([]byte, error) {
	if g.s.Encoding == "base64" {
		return base64.StdEncoding.DecodeString(s)
	}
	return hex.DecodeString(strings.ToLower(s))
}

// Verify implements providers.Provider: hmac covers the body; a token, basic
// credentials or a bearer prove the sender, so the whole body is its (and
// the query too when the token travels in it); none covers nothing.
func (g *Generic) Verify(r *providers.Request) (providers.Coverage, error) {
	switch g.s.Verify {
	case "none":
		return coversNothing, nil
	case "token":
		return vouch(providers.Coverage{Scope: providers.ScopeBody, Query: g.s.QueryParam != ""}, g.verify(r))
	}
	return vouch(coversBody, g.verify(r))
}

func (g *Generic) verify(r *providers.Request) error {
	switch g.s.Verify {
	case "hmac":
		got := r.Header.Get(g.s.Header)
		if got == "" {
			return deny("missing %s header", g.s.Header)
		}
		if g.s.PrefixOptional {
			return g.verifyAny(got, r.Body)
		}
		if !strings.HasPrefix(got, g.s.Prefix) {
			return deny("%s does not start with %q", g.s.Header, g.s.Prefix)
		}
		sig, err := g.decode(strings.TrimPrefix(got, g.s.Prefix))
		if err != nil {
			return deny("%s is not valid %s", g.s.Header, g.s.Encoding)
		}
		for _, s := range g.s.Secrets {
			if equal(sig, mac(g.newHash, []byte(s), r.Body)) {
				return nil
			}
		}
		return deny("%s does not match the body", g.s.Header)
	case "token":
		var got string
		if g.s.Header != "" {
			got = r.Header.Get(g.s.Header)
			if scheme, rest, ok := strings.Cut(got, " "); ok && strings.EqualFold(scheme, "Bearer") && strings.EqualFold(g.s.Header, "Authorization") {
				got = rest
			}
		} else if r.URL != nil {
			got = r.URL.Query().Get(g.s.QueryParam)
		}
		if got == "" {
			return deny("missing token")
		}
		for _, s := range g.s.Secrets {
			if equalString(got, s) {
				return nil
			}
		}
		return deny("token does not match")
	case "basic":
		return g.auth.verify(r)
	}
	return deny("unknown verify method %q", g.s.Verify)
}

// verifyAny checks a header read as adnanh/webhook reads it (prefix_optional):
// with a comma, each comma-separated part that starts with the prefix is a
// signature; without one, the header is one signature, its prefix optional.
// Any one matching for any secret verifies.
func (g *Generic) verifyAny(got string, body []byte) error {
	sigs := []string{strings.TrimPrefix(got, g.s.Prefix)}
	if strings.Contains(got, ",") {
		sigs = sigs[:0]
		for _, part := range strings.Split(got, ",") {
			if strings.HasPrefix(part, g.s.Prefix) {
				sigs = append(sigs, strings.TrimPrefix(part, g.s.Prefix))
			}
		}
	}
	for _, s := range g.s.Secrets {
		want := mac(g.newHash, []byte(s), body)
		for _, sig := range sigs {
			if b, err := g.decode(sig); err == nil && equal(b, want) {
				return nil
			}
		}
	}
	return deny("%s does not match the body", g.s.Header)
}

// Identify implements providers.Provider.
func (g *Generic) Identify(r *providers.Request, _ any) providers.Identity {
	var id providers.Identity
	if g.s.EventHeader != "" {
		id.Event = r.Header.Get(g.s.EventHeader)
	}
	if g.s.IDHeader != "" {
		id.DeliveryID = r.Header.Get(g.s.IDHeader)
	}
	return id
}

// Sign implements providers.Signer.
func (g *Generic) Sign(r *providers.Request, id providers.Identity) {
	setIf(r.Header, g.s.EventHeader, id.Event)
	setIf(r.Header, g.s.IDHeader, id.DeliveryID)
	switch g.s.Verify {
	case "hmac":
		r.Header.Set(g.s.Header, g.s.Prefix+g.encode(mac(g.newHash, []byte(g.s.Secrets[0]), r.Body)))
	case "token":
		if g.s.Header != "" {
			r.Header.Set(g.s.Header, g.s.Secrets[0])
		} else if r.URL != nil {
			q := r.URL.Query()
			q.Set(g.s.QueryParam, g.s.Secrets[0])
			r.URL.RawQuery = q.Encode()
		}
	case "basic":
		g.auth.sign(r)
	}
}
