package builtin

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"

	"github.com/hookrunner/hookrunner/providers"
)

// X receives the X (Twitter) Account Activity API. Its CRC, a GET with
// crc_token, is answered with {"response_token": "sha256=" +
// base64(HMAC-SHA256(consumer secret, crc_token))}: the answer proves the
// receiver knows the secret, the request itself is not signed. Deliveries
// carry x-twitter-webhooks-signature: "sha256=" + base64(HMAC-SHA256(consumer
// secret, body)). The event is the body's *_events key.
type X struct{ secrets []string }

var (
	_ providers.Provider        = (*X)(nil)
	_ providers.Signer          = (*X)(nil)
	_ providers.Challenger      = (*X)(nil)
	_ providers.HandshakeSigner = (*X)(nil)
)

func init() {
	providers.Register(providers.Info{
		Name: "x", New: newX,
		Formats: providers.FormatJSON,
		Doc: providers.Doc{
			Verification: "`x-twitter-webhooks-signature` `sha256=` base64 HMAC-SHA256 with the consumer secret over a JSON object body (no CRC answer can sign one)",
			Handshake:    "GET `crc_token` answered with `response_token` (the CRC)",
			Event:        "the body's `…_events` key (`tweet_create_events`)",
			DeliveryID:   "SHA-256 of the body (X sends none)",
			ReplayWindow: "—",
			Link:         "https://docs.x.com/x-api/webhooks/introduction",
		},
		Samples: samplesOf("x"), DefaultEvent: "tweet_create_events",
	})
}

func newX(s providers.Settings) (providers.Provider, error) {
	if err := requireSecret(s); err != nil {
		return nil, err
	}
	return &X{secrets: s.Secrets}, nil
}

// XResponseToken is the CRC answer for crc_token.
func XResponseToken(secret, crcToken string) string {
	return "sha256=" + b64HMAC256(secret, []byte(crcToken))
}

// Challenge implements providers.Challenger: the CRC.
func (p *X) Challenge(r *providers.Request) (*providers.Answer, error) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return nil, nil
	}
	tok := r.URL.Query().Get("crc_token")
	if tok == "" {
		return nil, nil
	}
	if !crcToken.MatchString(tok) {
		return nil, deny("crc_token is not a token (letters, digits, -._~+/=)")
	}
	b, _ := json.Marshal(map[string]string{"response_token": XResponseToken(p.secrets[0], tok)})
	return &providers.Answer{Status: http.StatusOK, ContentType: "application/json", Body: b}, nil
}

// crcToken is what a crc_token may be. The CRC answers HMAC(consumer
// secret, crc_token) to anyone, and deliveries are signed with the same
// HMAC over the body: so a token must never be a body Verify accepts.
// Tokens have no '{', and Verify takes JSON objects only.
var crcToken = regexp.MustCompile(`^[A-Za-z0-9._~+/=-]{1,256}$`)

// Verify implements providers.Provider: X posts JSON objects, and only a
// body that starts with '{' is checked (see crcToken).
func (p *X) Verify(r *providers.Request) (providers.Coverage, error) {
	if len(r.Body) == 0 || r.Body[0] != '{' {
		return providers.Coverage{}, deny("not a JSON object (X posts one; anything else could be a CRC answer replayed as a signature)")
	}
	got := r.Header.Get("x-twitter-webhooks-signature")
	if !strings.HasPrefix(got, "sha256=") {
		return providers.Coverage{}, deny("missing or malformed x-twitter-webhooks-signature")
	}
	for _, s := range p.secrets {
		if equalString(got, "sha256="+b64HMAC256(s, r.Body)) {
			return coversBody, nil
		}
	}
	return providers.Coverage{}, deny("x-twitter-webhooks-signature does not match the body")
}

// Identify implements providers.Provider.
func (p *X) Identify(r *providers.Request, payload any) providers.Identity {
	m, _ := payload.(map[string]any)
	var keys []string
	for k := range m {
		if strings.HasSuffix(k, "_events") {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	ev := "activity"
	if len(keys) > 0 {
		ev = keys[0]
	}
	return providers.Identity{Event: ev, DeliveryID: bodyID(r.Body)}
}

// Sign implements providers.Signer.
func (p *X) Sign(r *providers.Request, _ providers.Identity) {
	r.Header.Set("x-twitter-webhooks-signature", "sha256="+b64HMAC256(p.secrets[0], r.Body))
}

// SignHandshake implements providers.HandshakeSigner: the CRC request.
func (p *X) SignHandshake(r *providers.Request) {
	challengeRequest(r, url.Values{"crc_token": {challengeToken(r.Now)}, "nonce": {challengeToken(r.Now)}})
}
