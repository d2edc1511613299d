package builtin

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"strconv"

	"github.com/hookrunner/hookrunner/providers"
)

// Meta receives the webhooks of a Meta app (Facebook pages, Instagram,
// Messenger, WhatsApp Cloud API). The endpoint is verified with a GET
// carrying hub.mode=subscribe, hub.verify_token (the source's
// verify_token:) and hub.challenge, answered with the challenge; a wrong
// token is answered 403. Deliveries are POSTs signed with the app secret:
// X-Hub-Signature-256 = "sha256=" + hex(HMAC-SHA256(app secret, body)).
// Meta sends no delivery id and retries a delivery with the same body, so
// the body's hash is its id.
type Meta struct {
	secrets     []string
	verifyToken string
}

var (
	_ providers.Provider        = (*Meta)(nil)
	_ providers.Signer          = (*Meta)(nil)
	_ providers.Challenger      = (*Meta)(nil)
	_ providers.HandshakeSigner = (*Meta)(nil)
)

func init() {
	providers.Register(providers.Info{
		Name: "meta", New: newMeta,
		Formats: providers.FormatJSON,
		Doc: providers.Doc{
			Verification: "`X-Hub-Signature-256` HMAC-SHA256 with the app secret",
			Handshake:    "GET `hub.mode=subscribe` with `verify_token` answered with `hub.challenge` (wrong token: 403)",
			Event:        "body `object` + `.` + the first change's `field` (`messaging` for Messenger)",
			DeliveryID:   "SHA-256 of the body (Meta sends none; a retry repeats the body)",
			ReplayWindow: "—",
			Link:         "https://developers.facebook.com/docs/graph-api/webhooks/getting-started",
		},
		Samples: samplesOf("meta"), DefaultEvent: "whatsapp_business_account.messages",
	})
}

func newMeta(s providers.Settings) (providers.Provider, error) {
	if err := requireSecret(s); err != nil {
		return nil, err
	}
	if s.VerifyToken == "" {
		return nil, fieldErr("verify_token", "required: the Verify Token entered with the callback URL in the Meta app dashboard")
	}
	return &Meta{secrets: s.Secrets, verifyToken: s.VerifyToken}, nil
}

// Challenge implements providers.Challenger: the GET verification request.
func (p *Meta) Challenge(r *providers.Request) (*providers.Answer, error) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return nil, nil
	}
	q := r.URL.Query()
	if q.Get("hub.mode") != "subscribe" {
		return nil, nil
	}
	if !equalString(q.Get("hub.verify_token"), p.verifyToken) {
		return nil, forbid("hub.verify_token does not match verify_token")
	}
	ch := q.Get("hub.challenge")
	if !echoable(ch) {
		return nil, deny("hub.challenge missing or not printable ASCII")
	}
	return textAnswer(ch), nil
}

// Verify implements providers.Provider.
func (p *Meta) Verify(r *providers.Request) (providers.Coverage, error) {
	return vouch(coversBody, verifyHexHMAC(r.Header.Get("X-Hub-Signature-256"), "sha256=", p.secrets, r.Body, "X-Hub-Signature-256"))
}

// Identify implements providers.Provider.
func (p *Meta) Identify(r *providers.Request, payload any) providers.Identity {
	object := field(payload, "object")
	ev := object
	if m, ok := payload.(map[string]any); ok {
		if entries, ok := m["entry"].([]any); ok && len(entries) > 0 {
			if e, ok := entries[0].(map[string]any); ok {
				switch {
				case firstField(e["changes"]) != "":
					ev = object + "." + firstField(e["changes"])
				case e["messaging"] != nil:
					ev = object + ".messaging"
				}
			}
		}
	}
	return providers.Identity{Event: ev, DeliveryID: bodyID(r.Body)}
}

func firstField(changes any) string {
	l, _ := changes.([]any)
	if len(l) == 0 {
		return ""
	}
	return field(l[0], "field")
}

// Sign implements providers.Signer: Meta sends the SHA-256 signature and,
// for old receivers, X-Hub-Signature (SHA-1), which is not checked.
func (p *Meta) Sign(r *providers.Request, _ providers.Identity) {
	key := []byte(p.secrets[0])
	r.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac(sha256.New, key, r.Body)))
	r.Header.Set("X-Hub-Signature", "sha1="+hex.EncodeToString(mac(sha1.New, key, r.Body)))
}

// SignHandshake implements providers.HandshakeSigner.
func (p *Meta) SignHandshake(r *providers.Request) {
	challengeRequest(r, url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {p.verifyToken},
		"hub.challenge": {strconv.FormatInt(r.Now.UnixNano()%2000000000, 10)}})
}
