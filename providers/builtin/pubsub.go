package builtin

import (
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/hookrunner/hookrunner/internal/exactjson"
	"github.com/hookrunner/hookrunner/providers"
)

// PubSub receives Google Cloud Pub/Sub push deliveries with authentication
// on: the Authorization bearer is an OIDC token Google signs (RS256),
// verified with go-jose against Google's published keys (fetched over
// https from www.googleapis.com only, cached an hour), its iss Google's,
// its aud the source's audience:, its email the service_account: and
// verified, exp/iat within a minute's leeway. The token proves the sender,
// not the body. Rules see message.data base64-decoded as payload.data (the
// JSON it holds, or the text).
type PubSub struct {
	audience, account string
	fetch             *fetcher
	key               *rsa.PrivateKey // signer only (send, tests)
}

var (
	_ providers.Provider = (*PubSub)(nil)
	_ providers.Signer   = (*PubSub)(nil)
)

// googleCerts are Google's OAuth2 signing keys (JWKS).
const googleCerts = "https://www.googleapis.com/oauth2/v3/certs"

// pubsubKeyID is the key id `hookrunner send` signs with.
const pubsubKeyID = "hookrunner-send"

func init() {
	providers.Register(providers.Info{
		Name: "pubsub", New: newPubSub,
		Formats: providers.FormatJSON,
		Doc: providers.Doc{
			Verification: "OIDC bearer JWT (RS256) checked against Google's keys (go-jose; fetched from `www.googleapis.com`, cached): `iss` Google, `aud` = `audience`, `email` = `service_account`, verified",
			Handshake:    "—",
			Event:        "`message.attributes.eventType`, else `message`",
			DeliveryID:   "`message.messageId`",
			ReplayWindow: "token `exp` (Google's: 1h)",
			Link:         "https://cloud.google.com/pubsub/docs/authenticate-push-subscriptions",
		},
		Samples: samplesOf("pubsub"), DefaultEvent: "message",
	})
	providers.RegisterShaper("pubsub", pubsubShape)
}

// pubsubShape adds payload.data: message.data decoded (JSON, numbers exact,
// else text).
// It reads message.data only, so applying it again changes nothing.
func pubsubShape(p any) any {
	m, ok := p.(map[string]any)
	if !ok {
		return p
	}
	enc := field(m, "message", "data")
	raw, err := base64.StdEncoding.DecodeString(enc)
	if enc == "" || err != nil {
		return p
	}
	out := make(map[string]any, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	// With the payload decoder: numbers exact, as in any payload. The
	// ingress holds the shaped payload to server.max_json_depth.
	if v, err := exactjson.Decode(raw, exactjson.MaxDepth); err == nil {
		out["data"] = v
	} else {
		out["data"] = string(raw)
	}
	return out
}

func newPubSub(s providers.Settings) (providers.Provider, error) {
	if s.Audience == "" {
		return nil, fieldErr("audience", "required: the audience set on the push subscription (often the endpoint URL)")
	}
	if s.ServiceAccount == "" || !strings.Contains(s.ServiceAccount, "@") {
		return nil, fieldErr("service_account", "required: the email of the service account the push subscription authenticates as")
	}
	p := &PubSub{audience: s.Audience, account: s.ServiceAccount, fetch: netFetch}
	if len(s.Secrets) > 0 {
		blk, _ := pem.Decode([]byte(s.Secrets[0]))
		if blk == nil {
			return nil, fieldErr("secret", "pubsub needs no secret; one given must be a PEM RSA private key (used by `hookrunner send` only)")
		}
		k, err := parseRSAKey(blk.Bytes)
		if err != nil {
			return nil, fieldErr("secret", "%v", err)
		}
		p.key = k
	}
	return p, nil
}

type googleClaims struct {
	jwt.Claims
	Email         string `json:"email"`
	EmailVerified bool   `json:"email_verified"`
}

// Verify implements providers.Provider.
func (p *PubSub) Verify(r *providers.Request) (providers.Coverage, error) {
	return vouch(coversBody, p.verify(r))
}

func (p *PubSub) verify(r *providers.Request) error {
	scheme, raw, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || raw == "" {
		return deny("missing bearer token")
	}
	tok, err := jwt.ParseSigned(strings.TrimSpace(raw), []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return deny("malformed token: %v", err)
	}
	if len(tok.Headers) != 1 || tok.Headers[0].KeyID == "" {
		return deny("token names no key")
	}
	key, err := p.googleKey(r, tok.Headers[0].KeyID)
	if err != nil {
		return deny("%v", err)
	}
	var c googleClaims
	if err := tok.Claims(key, &c); err != nil {
		return deny("token signature: %v", err)
	}
	if c.Issuer != "accounts.google.com" && c.Issuer != "https://accounts.google.com" {
		return deny("token issuer %q is not Google", c.Issuer)
	}
	if err := c.Claims.ValidateWithLeeway(jwt.Expected{AnyAudience: jwt.Audience{p.audience}, Time: r.Now}, time.Minute); err != nil {
		return deny("token: %v", err)
	}
	if c.Expiry == nil {
		return deny("token has no exp")
	}
	if !equalString(c.Email, p.account) || !c.EmailVerified {
		return deny("token email %q is not the service_account (or not verified)", c.Email)
	}
	return nil
}

// googleKey is the public key kid of Google's key set.
func (p *PubSub) googleKey(r *providers.Request, kid string) (any, error) {
	b, err := p.fetch.get(r.Ctx(), googleCerts, googleKeysHost, true)
	if err != nil {
		return nil, fmt.Errorf("Google's keys: %w", err)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(b, &set); err != nil {
		return nil, fmt.Errorf("Google's keys: %w", err)
	}
	for _, k := range set.Key(kid) {
		if k.Valid() && k.IsPublic() {
			return k.Key, nil
		}
	}
	return nil, fmt.Errorf("no Google key %q", kid)
}

// Identify implements providers.Provider.
func (p *PubSub) Identify(_ *providers.Request, payload any) providers.Identity {
	ev := field(payload, "message", "attributes", "eventType")
	if ev == "" {
		ev = "message"
	}
	id := field(payload, "message", "messageId")
	if id == "" {
		id = field(payload, "message", "message_id")
	}
	return providers.Identity{Event: ev, DeliveryID: id}
}

// Sign implements providers.Signer: an OIDC token as Google would issue
// it for the push subscription, signed with the secret's key (key id
// hookrunner-send, issued at r.Now, valid an hour).
func (p *PubSub) Sign(r *providers.Request, _ providers.Identity) {
	if p.key == nil {
		return
	}
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: p.key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", pubsubKeyID))
	if err != nil {
		return
	}
	c := googleClaims{Claims: jwt.Claims{Issuer: "https://accounts.google.com", Subject: "113774264463038321964",
		Audience: jwt.Audience{p.audience}, IssuedAt: jwt.NewNumericDate(r.Now), Expiry: jwt.NewNumericDate(r.Now.Add(time.Hour))},
		Email: p.account, EmailVerified: true}
	tok, err := jwt.Signed(sig).Claims(c).Serialize()
	if err != nil {
		return
	}
	r.Header.Set("Authorization", "Bearer "+tok)
}

// PubSubKeySet is the JWKS that verifies what a source signing with key
// (secret:) sends: tests serve it as Google's keys.
func PubSubKeySet(key *rsa.PublicKey) []byte {
	b, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: key, KeyID: pubsubKeyID, Algorithm: "RS256", Use: "sig"}}})
	return b
}
