package builtin

import (
	"crypto/sha256"
	"encoding/base64"
	"time"

	"github.com/hookrunner/hookrunner/providers"
)

// Zendesk sends X-Zendesk-Webhook-Signature: base64(HMAC-SHA256(the
// webhook's signing secret, X-Zendesk-Webhook-Signature-Timestamp + body)),
// the timestamp an RFC 3339 time checked against the tolerance. Event: the
// body's type for event-subscribed webhooks ("zen:event-type:ticket.created"),
// "trigger" for trigger/automation webhooks whose body is the user's
// template. Delivery: the body's id, else X-Zendesk-Webhook-Invocation-Id.
type Zendesk struct {
	secrets []string
	s       providers.Settings
}

var (
	_ providers.Provider = (*Zendesk)(nil)
	_ providers.Signer   = (*Zendesk)(nil)
)

func init() {
	providers.Register(providers.Info{
		Name: "zendesk", New: newZendesk,
		Formats: providers.FormatJSON | providers.FormatXML | providers.FormatForm,
		Doc: providers.Doc{
			Verification: "`X-Zendesk-Webhook-Signature` base64 HMAC-SHA256 of timestamp + body",
			Handshake:    "—",
			Event:        "body `type` (`trigger` for trigger webhooks)",
			DeliveryID:   "body `id`, else `X-Zendesk-Webhook-Invocation-Id`",
			ReplayWindow: "`tolerance` (5m)",
			Link:         "https://developer.zendesk.com/documentation/webhooks/verifying/",
		},
		Samples: samplesOf("zendesk"), DefaultEvent: "ticket.created",
	})
}

func newZendesk(s providers.Settings) (providers.Provider, error) {
	if err := requireSecret(s); err != nil {
		return nil, err
	}
	return &Zendesk{secrets: s.Secrets, s: s}, nil
}

// Verify implements providers.Provider.
func (p *Zendesk) Verify(r *providers.Request) (providers.Coverage, error) {
	return vouch(coversBody, p.verify(r))
}

func (p *Zendesk) verify(r *providers.Request) error {
	sig, err := base64.StdEncoding.DecodeString(r.Header.Get("X-Zendesk-Webhook-Signature"))
	if err != nil || len(sig) == 0 {
		return deny("missing or malformed X-Zendesk-Webhook-Signature header")
	}
	ts := r.Header.Get("X-Zendesk-Webhook-Signature-Timestamp")
	t, err := time.Parse(time.RFC3339, ts)
	if err != nil {
		return deny("missing or malformed X-Zendesk-Webhook-Signature-Timestamp")
	}
	if d := r.Now.Sub(t); d > p.s.Tolerance || d < -p.s.Tolerance {
		return deny("timestamp %s is outside the %s tolerance", ts, p.s.Tolerance)
	}
	for _, s := range p.secrets {
		if equal(sig, mac(sha256.New, []byte(s), []byte(ts), r.Body)) {
			return nil
		}
	}
	return deny("X-Zendesk-Webhook-Signature does not match")
}

// Identify implements providers.Provider.
func (p *Zendesk) Identify(r *providers.Request, payload any) providers.Identity {
	ev := field(payload, "type")
	if ev == "" {
		ev = "trigger"
	}
	id := field(payload, "id")
	if id == "" {
		id = r.Header.Get("X-Zendesk-Webhook-Invocation-Id")
	}
	return providers.Identity{Event: ev, DeliveryID: id}
}

// Sign implements providers.Signer.
func (p *Zendesk) Sign(r *providers.Request, id providers.Identity) {
	setIf(r.Header, "X-Zendesk-Webhook-Invocation-Id", id.DeliveryID)
	ts := r.Now.UTC().Format(time.RFC3339)
	r.Header.Set("X-Zendesk-Webhook-Signature-Timestamp", ts)
	r.Header.Set("X-Zendesk-Webhook-Signature", base64.StdEncoding.EncodeToString(mac(sha256.New, []byte(p.secrets[0]), []byte(ts), r.Body)))
}
