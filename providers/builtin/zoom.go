package builtin

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/hookrunner/hookrunner/providers"
)

// Zoom verifies x-zm-signature: "v0=" + hex(HMAC-SHA256(secret token,
// "v0:" + x-zm-request-timestamp + ":" + body)), the timestamp within the
// tolerance (Zoom publishes no window: 5 minutes). The endpoint.url_validation
// event (signed like any other) is answered with {"plainToken",
// "encryptedToken": hex(HMAC-SHA256(secret token, plainToken))}.
type Zoom struct {
	secrets []string
	s       providers.Settings
}

var (
	_ providers.Provider        = (*Zoom)(nil)
	_ providers.Signer          = (*Zoom)(nil)
	_ providers.Handshaker      = (*Zoom)(nil)
	_ providers.HandshakeSigner = (*Zoom)(nil)
)

func init() {
	providers.Register(providers.Info{
		Name: "zoom", New: newZoom,
		Formats: providers.FormatJSON,
		Doc: providers.Doc{
			Verification: "`x-zm-signature` `v0=` HMAC-SHA256 over `v0:ts:body` with the secret token",
			Handshake:    "answers `endpoint.url_validation` with `plainToken` and `encryptedToken`",
			Event:        "body `event`",
			DeliveryID:   "SHA-256 of the body (Zoom sends none; a retry repeats the body)",
			ReplayWindow: "`tolerance` (5m)",
			Link:         "https://developers.zoom.us/docs/api/webhooks/",
		},
		Samples: samplesOf("zoom"), DefaultEvent: "meeting.started",
	})
}

func newZoom(s providers.Settings) (providers.Provider, error) {
	if err := requireSecret(s); err != nil {
		return nil, err
	}
	return &Zoom{secrets: s.Secrets, s: s}, nil
}

// zoomSignature is the x-zm-signature of body at timestamp ts.
func zoomSignature(secret, ts string, body []byte) string {
	return "v0=" + hex.EncodeToString(mac(sha256.New, []byte(secret), []byte("v0:"+ts+":"), body))
}

// Verify implements providers.Provider.
func (p *Zoom) Verify(r *providers.Request) (providers.Coverage, error) {
	_, err := p.secret(r)
	return vouch(coversBody, err)
}

// secret is the secret token r is signed with.
func (p *Zoom) secret(r *providers.Request) (string, error) {
	ts := r.Header.Get("x-zm-request-timestamp")
	if _, err := checkTimestamp(ts, r.Now, p.s.Tolerance); err != nil {
		return "", err
	}
	got := r.Header.Get("x-zm-signature")
	if !strings.HasPrefix(got, "v0=") {
		return "", deny("missing or malformed x-zm-signature")
	}
	for _, s := range p.secrets {
		if equalString(got, zoomSignature(s, ts, r.Body)) {
			return s, nil
		}
	}
	return "", deny("x-zm-signature does not match the body")
}

// Identify implements providers.Provider.
func (p *Zoom) Identify(r *providers.Request, payload any) providers.Identity {
	return providers.Identity{Event: field(payload, "event"), DeliveryID: bodyID(r.Body)}
}

// Handshake answers endpoint.url_validation with the token hashed by the
// secret token the request was signed with.
func (p *Zoom) Handshake(r *providers.Request, payload any) (int, string, []byte, bool) {
	if field(payload, "event") != "endpoint.url_validation" {
		return 0, "", nil, false
	}
	secret, err := p.secret(r)
	plain := field(payload, "payload", "plainToken")
	if err != nil || plain == "" {
		return http.StatusBadRequest, "application/json", []byte(`{"error":"no plainToken"}`), true
	}
	b, _ := json.Marshal(struct {
		PlainToken     string `json:"plainToken"`
		EncryptedToken string `json:"encryptedToken"`
	}{plain, hex.EncodeToString(mac(sha256.New, []byte(secret), []byte(plain)))})
	return http.StatusOK, "application/json", b, true
}

// Sign implements providers.Signer; the event type travels in the body.
func (p *Zoom) Sign(r *providers.Request, _ providers.Identity) {
	ts := strconv.FormatInt(r.Now.Unix(), 10)
	r.Header.Set("x-zm-request-timestamp", ts)
	r.Header.Set("x-zm-signature", zoomSignature(p.secrets[0], ts, r.Body))
}

// SignHandshake implements providers.HandshakeSigner: endpoint.url_validation.
func (p *Zoom) SignHandshake(r *providers.Request) {
	r.Method = http.MethodPost
	r.Header.Set("Content-Type", "application/json; charset=utf-8")
	r.Body = []byte(`{"payload":{"plainToken":"` + challengeToken(r.Now) + `"},"event_ts":` + strconv.FormatInt(r.Now.UnixMilli(), 10) + `,"event":"endpoint.url_validation"}`)
	p.Sign(r, providers.Identity{})
}
