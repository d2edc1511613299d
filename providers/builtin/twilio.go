package builtin

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"sort"
	"strings"

	"github.com/hookrunner/hookrunner/providers"
)

// Twilio verifies X-Twilio-Signature: base64(HMAC-SHA1(auth token, the full
// URL Twilio called + every POST parameter as key+value, keys sorted, the
// values of a repeated key sorted and de-duplicated)), as twilio-python and
// twilio-node compute it. For JSON bodies the URL carries
// bodySHA256=hex(sha256(body)) and the signature covers the URL alone. Like
// the SDKs, the URL is tried without its port and with it (the given port,
// or the scheme's default added), since Twilio's own signing is
// inconsistent about ports; and, like twilio-node, with an apostrophe in
// the query both percent-encoded and not. Set public_url when a proxy
// changes the URL and does not say so in Forwarded / X-Forwarded-*.
type Twilio struct{ secrets []string }

var (
	_ providers.Provider = (*Twilio)(nil)
	_ providers.Signer   = (*Twilio)(nil)
)

func init() {
	providers.Register(providers.Info{
		Name: "twilio", New: newTwilio,
		Formats: providers.FormatForm | providers.FormatJSON,
		Doc: providers.Doc{
			Verification: "`X-Twilio-Signature` HMAC-SHA1 of URL + params sorted by key (a repeated key's values sorted, de-duplicated); URL tried with and without its port, as the SDKs do; `bodySHA256` for JSON; URL from `public_url:` or the proxy headers",
			Handshake:    "—",
			Event:        "`message`, `message.status`, `call`",
			DeliveryID:   "`I-Twilio-Idempotency-Token`",
			ReplayWindow: "—",
			Link:         "https://www.twilio.com/docs/usage/webhooks/webhooks-security",
		},
		Samples: samplesOf("twilio"), DefaultEvent: "message",
	})
}

func newTwilio(s providers.Settings) (providers.Provider, error) {
	if err := requireSecret(s); err != nil {
		return nil, err
	}
	return &Twilio{secrets: s.Secrets}, nil
}

// TwilioSignature computes the signature of a URL and its POST parameters.
func TwilioSignature(token, fullURL string, params url.Values) string {
	var b strings.Builder
	b.WriteString(fullURL)
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		vals := append([]string(nil), params[k]...)
		sort.Strings(vals)
		for i, v := range vals {
			if i > 0 && v == vals[i-1] {
				continue // twilio-python sorted(set(values)), twilio-node new Set
			}
			b.WriteString(k)
			b.WriteString(v)
		}
	}
	return base64.StdEncoding.EncodeToString(mac(sha1.New, []byte(token), []byte(b.String())))
}

// urlVariants lists the URLs the SDKs accept a signature for: without the
// port and with it (as given, or the default port of the scheme added),
// each with the query as received, with an apostrophe percent-encoded (as
// a WHATWG URL serializes it) and with %27 decoded (twilio-node's legacy
// querystring form).
func urlVariants(u *url.URL) []string {
	var out []string
	seen := map[string]bool{}
	add := func(c url.URL) {
		for _, q := range []string{c.RawQuery, strings.ReplaceAll(c.RawQuery, "'", "%27"), decodeApostrophe(c.RawQuery)} {
			c.RawQuery = q
			if s := c.String(); !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	host, port := u.Hostname(), u.Port()
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	without := *u
	without.Host = host
	add(without)
	with := *u
	if port == "" {
		def := map[string]string{"https": "443", "http": "80"}[strings.ToLower(u.Scheme)]
		if def == "" {
			def = "80"
		}
		with.Host = host + ":" + def
	}
	add(with)
	return out
}

func decodeApostrophe(q string) string { return strings.ReplaceAll(q, "%27", "'") }

// Verify implements providers.Provider: the signature covers the full URL, query
// included, and every form parameter with every value (or, with
// bodySHA256, every byte of the body).
func (p *Twilio) Verify(r *providers.Request) (providers.Coverage, error) {
	return vouch(providers.Coverage{Scope: providers.ScopeBody, Query: true}, p.verify(r))
}

func (p *Twilio) verify(r *providers.Request) error {
	got := r.Header.Get("X-Twilio-Signature")
	if got == "" {
		return deny("missing X-Twilio-Signature header")
	}
	if r.URL == nil {
		return deny("request URL unknown (set public_url)")
	}
	params := r.Form
	if bodyHash := r.URL.Query().Get("bodySHA256"); bodyHash != "" {
		sum := sha256.Sum256(r.Body)
		if !equalString(strings.ToLower(bodyHash), hex.EncodeToString(sum[:])) {
			return deny("bodySHA256 does not match the body")
		}
		params = nil
	} else if params == nil && len(r.Body) > 0 {
		return deny("a JSON body needs bodySHA256 in the URL")
	}
	for _, u := range urlVariants(r.URL) {
		for _, s := range p.secrets {
			if equalString(got, TwilioSignature(s, u, params)) {
				return nil
			}
		}
	}
	return deny("X-Twilio-Signature does not match (if a proxy rewrites the URL, set public_url)")
}

// Identify implements providers.Provider.
func (p *Twilio) Identify(r *providers.Request, payload any) providers.Identity {
	id := r.Header.Get("I-Twilio-Idempotency-Token")
	f := r.Form
	if f == nil {
		f = url.Values{}
	}
	switch {
	case f.Get("MessageStatus") != "" || f.Get("SmsStatus") != "" && f.Get("Body") == "":
		return providers.Identity{Event: "message.status", DeliveryID: id}
	case f.Get("MessageSid") != "" || f.Get("SmsSid") != "":
		return providers.Identity{Event: "message", DeliveryID: id}
	case f.Get("CallSid") != "":
		return providers.Identity{Event: "call", DeliveryID: id}
	}
	return providers.Identity{Event: "request", DeliveryID: id}
}

// Sign implements providers.Signer: form posts are signed over their parameters, other
// bodies get bodySHA256 in the URL. The URL signed is r.URL: the source's
// public_url, else the URL the request is sent to. The event type comes
// from the form; the delivery id is the idempotency token.
func (p *Twilio) Sign(r *providers.Request, id providers.Identity) {
	setIf(r.Header, "I-Twilio-Idempotency-Token", id.DeliveryID)
	if r.Form == nil && len(r.Body) > 0 {
		sum := sha256.Sum256(r.Body)
		q := r.URL.Query()
		q.Set("bodySHA256", hex.EncodeToString(sum[:]))
		r.URL.RawQuery = q.Encode()
	}
	params := r.Form
	if r.URL.Query().Get("bodySHA256") != "" {
		params = nil
	}
	r.Header.Set("X-Twilio-Signature", TwilioSignature(p.secrets[0], r.URL.String(), params))
}
