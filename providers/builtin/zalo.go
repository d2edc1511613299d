package builtin

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/hookrunner/hookrunner/providers"
)

// Zalo verifies Zalo Official Account webhooks: X-ZEvent-Signature =
// "mac=" + hex(SHA-256(app id + body + timestamp + OA secret key)), where
// the timestamp (milliseconds) is the body's own timestamp field and the
// key is the OA secret key (not the app secret). The signed timestamp must
// be within the tolerance (Zalo publishes no window: 5 minutes).
type Zalo struct {
	secrets []string
	appID   string
	s       providers.Settings
}

var (
	_ providers.Provider = (*Zalo)(nil)
	_ providers.Signer   = (*Zalo)(nil)
)

func init() {
	providers.Register(providers.Info{
		Name: "zalo", New: newZalo,
		Formats: providers.FormatJSON,
		Doc: providers.Doc{
			Verification: "`X-ZEvent-Signature` `mac=` SHA-256 of `app_id` + body + body `timestamp` + OA secret key",
			Handshake:    "—",
			Event:        "body `event_name`",
			DeliveryID:   "`message.msg_id`, else SHA-256 of the body",
			ReplayWindow: "`tolerance` (5m) on the body's `timestamp`",
			Link:         "https://developers.zalo.me/docs/official-account/webhook/tong-quan",
		},
		Samples: samplesOf("zalo"), DefaultEvent: "user_send_text",
	})
}

func newZalo(s providers.Settings) (providers.Provider, error) {
	if err := requireSecret(s); err != nil {
		return nil, err
	}
	if s.AppID == "" {
		return nil, fieldErr("app_id", "required: the Zalo application id (it is part of the signature)")
	}
	return &Zalo{secrets: s.Secrets, appID: s.AppID, s: s}, nil
}

// ZaloMAC is the X-ZEvent-Signature of body with timestamp ts.
func ZaloMAC(appID string, body []byte, ts, secret string) string {
	h := sha256.New()
	h.Write([]byte(appID))
	h.Write(body)
	h.Write([]byte(ts))
	h.Write([]byte(secret))
	return "mac=" + hex.EncodeToString(h.Sum(nil))
}

// zaloTimestamp is the body's timestamp field as sent (string or number).
func zaloTimestamp(body []byte) string {
	v, err := decodeBody(body) // by exact key, as rules read it
	if err != nil {
		return ""
	}
	return field(v, "timestamp")
}

// Verify implements providers.Provider.
func (p *Zalo) Verify(r *providers.Request) (providers.Coverage, error) {
	return vouch(coversBody, p.verify(r))
}

func (p *Zalo) verify(r *providers.Request) error {
	got := r.Header.Get("X-ZEvent-Signature")
	if !strings.HasPrefix(got, "mac=") {
		return deny("missing or malformed X-ZEvent-Signature")
	}
	ts := zaloTimestamp(r.Body)
	ms, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return deny("body has no numeric timestamp")
	}
	if d := r.Now.Sub(time.UnixMilli(ms)); d > p.s.Tolerance || d < -p.s.Tolerance {
		return deny("timestamp %s is outside the %s tolerance", time.UnixMilli(ms).UTC().Format(time.RFC3339), p.s.Tolerance)
	}
	for _, s := range p.secrets {
		if equalString(got, ZaloMAC(p.appID, r.Body, ts, s)) {
			return nil
		}
	}
	return deny("X-ZEvent-Signature does not match the body")
}

// Identify implements providers.Provider.
func (p *Zalo) Identify(r *providers.Request, payload any) providers.Identity {
	id := field(payload, "message", "msg_id")
	if id == "" {
		id = bodyID(r.Body)
	}
	return providers.Identity{Event: field(payload, "event_name"), DeliveryID: id}
}

// Sign implements providers.Signer: Zalo stamps the body with the send time
// (timestamp, milliseconds, a string) and its app id, then signs it.
func (p *Zalo) Sign(r *providers.Request, _ providers.Identity) {
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.UseNumber()
	if dec.Decode(&doc) == nil {
		doc["timestamp"] = strconv.FormatInt(r.Now.UnixMilli(), 10)
		doc["app_id"] = p.appID
		if b, err := json.Marshal(doc); err == nil {
			r.Body = b
		}
	}
	r.Header.Set("X-ZEvent-Signature", ZaloMAC(p.appID, r.Body, zaloTimestamp(r.Body), p.secrets[0]))
}
