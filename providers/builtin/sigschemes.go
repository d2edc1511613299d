package builtin

import (
	"encoding/base64"
	"encoding/hex"
	"hash"
	"net/http"
	"strconv"
	"strings"

	"github.com/hookrunner/hookrunner/internal/exactjson"
	"github.com/hookrunner/hookrunner/providers"
)

// This file holds the two shapes most signature-scheme providers share, so
// each provider's own file is its registration, its Doc and what is
// particular to its sender:
//
//   - bodySig: an HMAC of the raw body alone, encoded in one header
//     (PagerDuty, Typeform, Intercom, Sentry, Vercel, Heroku, CircleCI,
//     LINE, Paystack, Razorpay, Lemon Squeezy, WooCommerce, Coinbase, Jira);
//   - timedSig: a header of key=value pairs carrying a unix timestamp and
//     one or more HMACs of timestamp + joiner + body (Paddle, Calendly,
//     Mux).

// bodySigSpec describes a body-HMAC scheme.
type bodySigSpec struct {
	// header carries the signature; prefix comes before each one
	// ("sha256=", "v1=").
	header, prefix string
	hash           func() hash.Hash
	// b64: standard base64, else hex (compared case-insensitively).
	b64 bool
	// sep separates several signatures in the header ("," for PagerDuty and
	// CircleCI); "" means one signature.
	sep string
	// identify reads the event type and delivery id; sign sets the headers
	// that carry them (nil: they travel in the body).
	identify func(r *providers.Request, payload any) providers.Identity
	sign     func(h http.Header, id providers.Identity)
}

// bodySig verifies a bodySigSpec with the source's secrets (any matches:
// rotation).
type bodySig struct {
	secrets []string
	spec    *bodySigSpec
}

var (
	_ providers.Provider = (*bodySig)(nil)
	_ providers.Signer   = (*bodySig)(nil)
)

// newBodySig is the factory of a bodySigSpec provider.
func newBodySig(spec *bodySigSpec) providers.Factory {
	return func(s providers.Settings) (providers.Provider, error) {
		if err := requireSecret(s); err != nil {
			return nil, err
		}
		return &bodySig{secrets: s.Secrets, spec: spec}, nil
	}
}

func (p *bodySig) decode(s string) ([]byte, error) {
	if p.spec.b64 {
		return base64.StdEncoding.DecodeString(s)
	}
	return hex.DecodeString(s)
}

func (p *bodySig) encode(b []byte) string {
	if p.spec.b64 {
		return base64.StdEncoding.EncodeToString(b)
	}
	return hex.EncodeToString(b)
}

// Verify implements providers.Provider.
func (p *bodySig) Verify(r *providers.Request) (providers.Coverage, error) {
	return vouch(coversBody, p.verify(r))
}

func (p *bodySig) verify(r *providers.Request) error {
	h := p.spec.header
	got := strings.TrimSpace(r.Header.Get(h))
	if got == "" {
		return deny("missing %s header", h)
	}
	items := []string{got}
	if p.spec.sep != "" {
		items = strings.Split(got, p.spec.sep)
	}
	var sigs [][]byte
	for _, it := range items {
		it = strings.TrimSpace(it)
		v, ok := strings.CutPrefix(it, p.spec.prefix)
		if !ok {
			continue // another version (CircleCI, PagerDuty may add some)
		}
		if b, err := p.decode(v); err == nil && len(b) > 0 {
			sigs = append(sigs, b)
		}
	}
	if len(sigs) == 0 {
		return deny("%s has no %s signature", h, strings.TrimSuffix(p.spec.prefix, "="))
	}
	for _, s := range p.secrets {
		want := mac(p.spec.hash, []byte(s), r.Body)
		for _, sig := range sigs {
			if equal(sig, want) {
				return nil
			}
		}
	}
	return deny("%s does not match the body", h)
}

// Identify implements providers.Provider.
func (p *bodySig) Identify(r *providers.Request, payload any) providers.Identity {
	return p.spec.identify(r, payload)
}

// Sign implements providers.Signer with the first secret.
func (p *bodySig) Sign(r *providers.Request, id providers.Identity) {
	if p.spec.sign != nil {
		p.spec.sign(r.Header, id)
	}
	r.Header.Set(p.spec.header, p.spec.prefix+p.encode(mac(p.spec.hash, []byte(p.secrets[0]), r.Body)))
}

// headerIdentity reads the event type and delivery id from two headers.
func headerIdentity(event, id string) func(*providers.Request, any) providers.Identity {
	return func(r *providers.Request, _ any) providers.Identity {
		return providers.Identity{Event: r.Header.Get(event), DeliveryID: r.Header.Get(id)}
	}
}

// headerSigner sets the event type and delivery id headers when given.
func headerSigner(event, id string) func(http.Header, providers.Identity) {
	return func(h http.Header, ident providers.Identity) {
		setIf(h, event, ident.Event)
		setIf(h, id, ident.DeliveryID)
	}
}

// bodyIdentity reads the event type and delivery id from two body paths
// (dotted: "event.id").
func bodyIdentity(event, id string) func(*providers.Request, any) providers.Identity {
	return func(_ *providers.Request, payload any) providers.Identity {
		return providers.Identity{Event: field(payload, strings.Split(event, ".")...), DeliveryID: field(payload, strings.Split(id, ".")...)}
	}
}

// timedSigSpec describes a "t=<unix>,v1=<hex>" style header: items split
// by itemSep, the timestamp under tsKey, signatures under sigKey, each
// hex(HMAC-SHA256(secret, ts + joiner + body)).
type timedSigSpec struct {
	header, itemSep, tsKey, sigKey, joiner string
	hash                                   func() hash.Hash
	identify                               func(r *providers.Request, payload any) providers.Identity
}

// timedSig verifies a timedSigSpec; the timestamp must be within the
// source's tolerance.
type timedSig struct {
	secrets []string
	s       providers.Settings
	spec    *timedSigSpec
}

var (
	_ providers.Provider = (*timedSig)(nil)
	_ providers.Signer   = (*timedSig)(nil)
)

func newTimedSig(spec *timedSigSpec) providers.Factory {
	return func(s providers.Settings) (providers.Provider, error) {
		if err := requireSecret(s); err != nil {
			return nil, err
		}
		return &timedSig{secrets: s.Secrets, s: s, spec: spec}, nil
	}
}

// Verify implements providers.Provider.
func (p *timedSig) Verify(r *providers.Request) (providers.Coverage, error) {
	return vouch(coversBody, p.verify(r))
}

func (p *timedSig) verify(r *providers.Request) error {
	h := r.Header.Get(p.spec.header)
	if h == "" {
		return deny("missing %s header", p.spec.header)
	}
	var ts string
	var sigs [][]byte
	for _, item := range strings.Split(h, p.spec.itemSep) {
		k, v, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok {
			continue
		}
		switch k {
		case p.spec.tsKey:
			ts = v
		case p.spec.sigKey:
			if b, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, b)
			}
		}
	}
	if ts == "" || len(sigs) == 0 {
		return deny("%s has no %s= or no %s= entry", p.spec.header, p.spec.tsKey, p.spec.sigKey)
	}
	if _, err := checkTimestamp(ts, r.Now, p.s.Tolerance); err != nil {
		return err
	}
	for _, secret := range p.secrets {
		want := mac(p.spec.hash, []byte(secret), []byte(ts+p.spec.joiner), r.Body)
		for _, sig := range sigs {
			if equal(sig, want) {
				return nil
			}
		}
	}
	return deny("no %s signature in %s matches the body", p.spec.sigKey, p.spec.header)
}

// Identify implements providers.Provider.
func (p *timedSig) Identify(r *providers.Request, payload any) providers.Identity {
	return p.spec.identify(r, payload)
}

// Sign implements providers.Signer; event type and id travel in the body.
func (p *timedSig) Sign(r *providers.Request, _ providers.Identity) {
	ts := strconv.FormatInt(r.Now.Unix(), 10)
	sig := mac(p.spec.hash, []byte(p.secrets[0]), []byte(ts+p.spec.joiner), r.Body)
	r.Header.Set(p.spec.header, p.spec.tsKey+"="+ts+p.spec.itemSep+p.spec.sigKey+"="+hex.EncodeToString(sig))
}

// basicCreds parses secrets of the form "user:password" (basic-auth
// senders: Postmark, Azure DevOps), or takes username/password when set.
func basicCreds(s providers.Settings) ([][2]string, error) {
	var out [][2]string
	if s.Username != "" || s.Password != "" {
		if s.Username == "" || s.Password == "" {
			return nil, fieldErr("password", "basic auth needs both username and password")
		}
		out = append(out, [2]string{s.Username, s.Password})
	}
	for _, sec := range s.Secrets {
		u, pw, ok := strings.Cut(sec, ":")
		if !ok || u == "" || pw == "" {
			return nil, fieldErr("secret", "must be user:password (the credentials put in the webhook URL)")
		}
		out = append(out, [2]string{u, pw})
	}
	if len(out) == 0 {
		return nil, fieldErr("secret", "required: user:password (or username and password)")
	}
	return out, nil
}

// checkBasic checks the Authorization header against every credential,
// comparing both halves in constant time.
func checkBasic(r *providers.Request, creds [][2]string) error {
	h := r.Header.Get("Authorization")
	if h == "" {
		return deny("missing Authorization header")
	}
	scheme, cred, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Basic") {
		return deny("unsupported Authorization scheme %q (want Basic)", scheme)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
	if err != nil {
		return deny("malformed basic credentials")
	}
	u, pw, _ := strings.Cut(string(raw), ":")
	ok := false
	for _, c := range creds {
		okU := equalString(u, c[0])
		okP := equalString(pw, c[1])
		ok = ok || okU && okP
	}
	if !ok {
		return deny("basic credentials do not match")
	}
	return nil
}

func basicHeader(c [2]string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(c[0]+":"+c[1]))
}

// decodeBody decodes a JSON body with the payload decoder (numbers exact,
// a repeated key's last value winning whole), so a verifier
// that reads fields from the body reads exactly what rules, templates and
// Identify will see. (Decoding into a struct would merge a repeated
// object key's fields instead: a signature split across two copies of
// "signature" could verify while the payload holds another token.)
func decodeBody(body []byte) (any, error) {
	return exactjson.Decode(body, exactjson.MaxDepth)
}
