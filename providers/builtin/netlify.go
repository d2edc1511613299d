package builtin

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/hookrunner/hookrunner/providers"
)

// Netlify (deploy notifications with a JWS secret) sends X-Webhook-Signature:
// a compact JWS, HS256 with the secret, whose claims are {"iss":"netlify",
// "sha256":hex(SHA-256(body))}. The JWS is parsed and checked with go-jose
// (HS256 only), then iss and the body's hash. Netlify signs no time. Event:
// the deploy's state ("building", "ready", "error"); delivery: id + "/" +
// state (a deploy notifies once per state). The secret must be at least 32
// bytes (an HS256 key, RFC 7518; go-jose enforces it).
type Netlify struct{ secrets []string }

var (
	_ providers.Provider = (*Netlify)(nil)
	_ providers.Signer   = (*Netlify)(nil)
)

func init() {
	providers.Register(providers.Info{
		Name: "netlify", New: newNetlify,
		Formats: providers.FormatJSON,
		Doc: providers.Doc{
			Verification: "`X-Webhook-Signature` JWS (HS256, go-jose; secret ≥ 32 bytes) with claims `iss: netlify` and `sha256` of the body",
			Handshake:    "—",
			Event:        "body `state` (deploy state)",
			DeliveryID:   "body `id` + `/` + `state`",
			ReplayWindow: "—",
			Link:         "https://docs.netlify.com/site-deploys/notifications/#payload-signature",
		},
		Samples: samplesOf("netlify"), DefaultEvent: "ready",
	})
}

func newNetlify(s providers.Settings) (providers.Provider, error) {
	if err := requireSecret(s); err != nil {
		return nil, err
	}
	for _, k := range s.Secrets {
		if len(k) < 32 {
			// RFC 7518 3.2: an HS256 key is at least 256 bits; go-jose
			// refuses shorter ones, and a short one is guessable offline
			// from any captured notification.
			return nil, fieldErr("secret", "the JWS secret must be at least 32 bytes (HS256, RFC 7518): set a longer secret token in Netlify")
		}
	}
	return &Netlify{secrets: s.Secrets}, nil
}

type netlifyClaims struct {
	Iss    string `json:"iss"`
	SHA256 string `json:"sha256"`
}

// Verify implements providers.Provider.
func (p *Netlify) Verify(r *providers.Request) (providers.Coverage, error) {
	return vouch(coversBody, p.verify(r))
}

func (p *Netlify) verify(r *providers.Request) error {
	h := r.Header.Get("X-Webhook-Signature")
	if h == "" {
		return deny("missing X-Webhook-Signature header")
	}
	jws, err := jose.ParseSigned(h, []jose.SignatureAlgorithm{jose.HS256})
	if err != nil {
		return deny("X-Webhook-Signature is not an HS256 JWS: %v", err)
	}
	var claims []byte
	for _, s := range p.secrets {
		if b, err := jws.Verify([]byte(s)); err == nil {
			claims = b
			break
		}
	}
	if claims == nil {
		return deny("X-Webhook-Signature is not signed with the secret")
	}
	var c netlifyClaims
	if err := json.Unmarshal(claims, &c); err != nil {
		return deny("X-Webhook-Signature claims are not JSON")
	}
	if c.Iss != "netlify" {
		return deny("X-Webhook-Signature issuer is %q, not netlify", c.Iss)
	}
	sum := sha256.Sum256(r.Body)
	got, err := hex.DecodeString(c.SHA256)
	if err != nil || !equal(got, sum[:]) {
		return deny("the sha256 claim does not match the body")
	}
	return nil
}

// Identify implements providers.Provider.
func (p *Netlify) Identify(_ *providers.Request, payload any) providers.Identity {
	st, id := field(payload, "state"), field(payload, "id")
	if id != "" {
		id += "/" + st
	}
	return providers.Identity{Event: st, DeliveryID: id}
}

// Sign implements providers.Signer with go-jose.
func (p *Netlify) Sign(r *providers.Request, _ providers.Identity) {
	sum := sha256.Sum256(r.Body)
	claims, _ := json.Marshal(netlifyClaims{Iss: "netlify", SHA256: hex.EncodeToString(sum[:])})
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: []byte(p.secrets[0])}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return
	}
	obj, err := signer.Sign(claims)
	if err != nil {
		return
	}
	if s, err := obj.CompactSerialize(); err == nil {
		r.Header.Set("X-Webhook-Signature", s)
	}
}
