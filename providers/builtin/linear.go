package builtin

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"time"

	"github.com/hookrunner/hookrunner/providers"
)

// Linear sends Linear-Signature: hex(HMAC-SHA256(the webhook's signing
// secret, body)). The body's webhookTimestamp (unix milliseconds, signed
// with the body) must be within the tolerance (Linear's SDK allows one
// minute; hookrunner uses the source's tolerance, 5 minutes unless set).
// Event: Linear-Event ("Issue"), else the body's type; the action is the
// body's "action". Delivery: Linear-Delivery.
type Linear struct {
	secrets []string
	s       providers.Settings
}

var (
	_ providers.Provider = (*Linear)(nil)
	_ providers.Signer   = (*Linear)(nil)
)

func init() {
	providers.Register(providers.Info{
		Name: "linear", New: newLinear,
		Formats: providers.FormatJSON,
		Doc: providers.Doc{
			Verification: "`Linear-Signature` hex HMAC-SHA256 of the body; body `webhookTimestamp` (ms) checked",
			Handshake:    "—",
			Event:        "`Linear-Event` (body `type`; action in `action`)",
			DeliveryID:   "`Linear-Delivery`",
			ReplayWindow: "`tolerance` (5m; Linear's SDK uses 1m)",
			Link:         "https://linear.app/developers/webhooks",
		},
		Samples: samplesOf("linear"), DefaultEvent: "Issue",
	})
}

func newLinear(s providers.Settings) (providers.Provider, error) {
	if err := requireSecret(s); err != nil {
		return nil, err
	}
	return &Linear{secrets: s.Secrets, s: s}, nil
}

// Verify implements providers.Provider.
func (p *Linear) Verify(r *providers.Request) (providers.Coverage, error) {
	return vouch(coversBody, p.verify(r))
}

func (p *Linear) verify(r *providers.Request) error {
	sig, err := hex.DecodeString(r.Header.Get("Linear-Signature"))
	if err != nil || len(sig) == 0 {
		return deny("missing or malformed Linear-Signature header")
	}
	ok := false
	for _, s := range p.secrets {
		ok = ok || equal(sig, mac(sha256.New, []byte(s), r.Body))
	}
	if !ok {
		return deny("Linear-Signature does not match the body")
	}
	// The timestamp is read from the verified body, as the payload has it.
	v, err := decodeBody(r.Body)
	if err != nil {
		return deny("body is not JSON")
	}
	ms, err := strconv.ParseInt(field(v, "webhookTimestamp"), 10, 64)
	if err != nil {
		return deny("missing or malformed webhookTimestamp")
	}
	if dt := r.Now.Sub(time.UnixMilli(ms)); dt > p.s.Tolerance || dt < -p.s.Tolerance {
		return deny("webhookTimestamp %s is outside the %s tolerance", time.UnixMilli(ms).UTC().Format(time.RFC3339), p.s.Tolerance)
	}
	return nil
}

// Identify implements providers.Provider.
func (p *Linear) Identify(r *providers.Request, payload any) providers.Identity {
	ev := r.Header.Get("Linear-Event")
	if ev == "" {
		ev = field(payload, "type")
	}
	return providers.Identity{Event: ev, DeliveryID: r.Header.Get("Linear-Delivery")}
}

// Sign implements providers.Signer: like Linear, it stamps the body's
// webhookTimestamp with the send time (the body is re-encoded), then signs.
func (p *Linear) Sign(r *providers.Request, id providers.Identity) {
	var m map[string]json.RawMessage
	d := json.NewDecoder(bytes.NewReader(r.Body))
	d.UseNumber()
	if d.Decode(&m) == nil {
		m["webhookTimestamp"] = json.RawMessage(strconv.FormatInt(r.Now.UnixMilli(), 10))
		if b, err := json.Marshal(m); err == nil {
			r.Body = b
		}
	}
	setIf(r.Header, "Linear-Event", id.Event)
	setIf(r.Header, "Linear-Delivery", id.DeliveryID)
	r.Header.Set("Linear-Signature", hex.EncodeToString(mac(sha256.New, []byte(p.secrets[0]), r.Body)))
}
