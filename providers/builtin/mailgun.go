package builtin

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"

	"github.com/hookrunner/hookrunner/providers"
)

// Mailgun puts its signature inside the body: {"signature": {"timestamp",
// "token", "signature"}, "event-data": {…}} (legacy webhooks: form fields
// timestamp, token, signature), signature = hex(HMAC-SHA256(the HTTP
// webhook signing key, timestamp + token)), timestamp within the tolerance.
// Mailgun signs only timestamp + token, not event-data: the signature
// proves the sender knew the key, and Mailgun's advice against replays is
// to refuse a token seen before, which the delivery id does here (the
// token is the delivery id, so a replayed token is a duplicate, stored
// once). Event: event-data.event ("delivered"; legacy: event).
type Mailgun struct {
	secrets []string
	s       providers.Settings
}

var (
	_ providers.Provider = (*Mailgun)(nil)
	_ providers.Signer   = (*Mailgun)(nil)
)

func init() {
	providers.Register(providers.Info{
		Name: "mailgun", New: newMailgun,
		Formats: providers.FormatJSON | providers.FormatForm,
		Doc: providers.Doc{
			Verification: "body `signature.signature`: hex HMAC-SHA256 of `timestamp` + `token` with the webhook signing key (legacy: form fields); event-data itself is not signed",
			Handshake:    "—",
			Event:        "body `event-data.event` (legacy: `event`)",
			DeliveryID:   "body `signature.token` (a replayed token is a duplicate)",
			ReplayWindow: "`tolerance` (5m)",
			Link:         "https://documentation.mailgun.com/docs/mailgun/user-manual/webhooks/securing-webhooks",
		},
		Samples: samplesOf("mailgun"), DefaultEvent: "delivered",
	})
}

func newMailgun(s providers.Settings) (providers.Provider, error) {
	if err := requireSecret(s); err != nil {
		return nil, err
	}
	return &Mailgun{secrets: s.Secrets, s: s}, nil
}

// mailgunFields reads timestamp, token and signature from a JSON body's
// signature object (decoded as the payload is) or, for legacy webhooks,
// from the form.
func mailgunFields(r *providers.Request) (ts, token, sig string) {
	if r.Form != nil {
		return r.Form.Get("timestamp"), r.Form.Get("token"), r.Form.Get("signature")
	}
	v, err := decodeBody(r.Body)
	if err != nil {
		return "", "", ""
	}
	// Mailgun sends the timestamp as a string; a number is read as sent.
	return field(v, "signature", "timestamp"), field(v, "signature", "token"), field(v, "signature", "signature")
}

// MailgunSignature is the signature of a timestamp and token.
func MailgunSignature(key, timestamp, token string) string {
	return hex.EncodeToString(mac(sha256.New, []byte(key), []byte(timestamp+token)))
}

// Verify implements providers.Provider.
func (p *Mailgun) Verify(r *providers.Request) (providers.Coverage, error) {
	return vouch(coversBody, p.verify(r))
}

func (p *Mailgun) verify(r *providers.Request) error {
	ts, token, sig := mailgunFields(r)
	if sig == "" || token == "" {
		return deny("no signature.token and signature.signature in the body")
	}
	if _, err := checkTimestamp(ts, r.Now, p.s.Tolerance); err != nil {
		return err
	}
	got, err := hex.DecodeString(sig)
	if err != nil {
		return deny("signature is not hex")
	}
	for _, s := range p.secrets {
		if equal(got, mac(sha256.New, []byte(s), []byte(ts+token))) {
			return nil
		}
	}
	return deny("signature does not match timestamp + token")
}

// Identify implements providers.Provider.
func (p *Mailgun) Identify(r *providers.Request, payload any) providers.Identity {
	if r != nil && r.Form != nil {
		return providers.Identity{Event: r.Form.Get("event"), DeliveryID: r.Form.Get("token")}
	}
	return providers.Identity{Event: field(payload, "event-data", "event"), DeliveryID: field(payload, "signature", "token")}
}

// Sign implements providers.Signer: the signature lives in the body, so the
// body's signature object (or legacy form fields) is rewritten with a
// fresh timestamp and token; the rest of the body is kept as sent.
func (p *Mailgun) Sign(r *providers.Request, _ providers.Identity) {
	ts := strconv.FormatInt(r.Now.Unix(), 10)
	raw := make([]byte, 25)
	_, _ = rand.Read(raw)            // never fails (crypto/rand)
	token := hex.EncodeToString(raw) // 50 characters, as Mailgun's
	sig := MailgunSignature(p.secrets[0], ts, token)
	if r.Form != nil {
		r.Form.Set("timestamp", ts)
		r.Form.Set("token", token)
		r.Form.Set("signature", sig)
		r.Body = []byte(r.Form.Encode())
		return
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(r.Body, &m) != nil {
		return
	}
	m["signature"], _ = json.Marshal(map[string]string{"timestamp": ts, "token": token, "signature": sig})
	if b, err := json.Marshal(m); err == nil {
		r.Body = b
	}
}
