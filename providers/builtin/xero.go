package builtin

import (
	"net/http"
	"strconv"

	"github.com/hookrunner/hookrunner/providers"
)

// Xero verifies x-xero-signature: base64(HMAC-SHA256(webhook key, body)).
// Its intent-to-receive check sends signed payloads without events and
// expects 200 with an empty body for a good signature and 401 for a bad
// one; every delivery is acknowledged the same way (200, empty body),
// once stored.
type Xero struct{ secrets []string }

var (
	_ providers.Provider        = (*Xero)(nil)
	_ providers.Signer          = (*Xero)(nil)
	_ providers.Handshaker      = (*Xero)(nil)
	_ providers.HandshakeSigner = (*Xero)(nil)
	_ providers.Acknowledger    = (*Xero)(nil)
)

func init() {
	providers.Register(providers.Info{
		Name: "xero", New: newXero,
		Formats: providers.FormatJSON,
		Doc: providers.Doc{
			Verification: "`x-xero-signature` base64 HMAC-SHA256 with the webhook key",
			Handshake:    "intent to receive: 200 (empty) for a good signature, 401 for a bad one; deliveries answered 200 (empty) once stored",
			Event:        "first event's `eventCategory` + `.` + `eventType` (`INVOICE.UPDATE`)",
			DeliveryID:   "SHA-256 of the body (Xero sends none)",
			ReplayWindow: "—",
			Link:         "https://developer.xero.com/documentation/guides/webhooks/configuring-your-server/",
		},
		Samples: samplesOf("xero"), DefaultEvent: "INVOICE.UPDATE",
	})
}

func newXero(s providers.Settings) (providers.Provider, error) {
	if err := requireSecret(s); err != nil {
		return nil, err
	}
	return &Xero{secrets: s.Secrets}, nil
}

// Verify implements providers.Provider.
func (p *Xero) Verify(r *providers.Request) (providers.Coverage, error) {
	got := r.Header.Get("x-xero-signature")
	if got == "" {
		return providers.Coverage{}, deny("missing x-xero-signature")
	}
	for _, s := range p.secrets {
		if equalString(got, b64HMAC256(s, r.Body)) {
			return coversBody, nil
		}
	}
	return providers.Coverage{}, deny("x-xero-signature does not match the body")
}

func xeroEvents(payload any) ([]any, bool) {
	m, _ := payload.(map[string]any)
	evs, ok := m["events"].([]any)
	return evs, ok
}

// Identify implements providers.Provider.
func (p *Xero) Identify(r *providers.Request, payload any) providers.Identity {
	ev := "events"
	if evs, _ := xeroEvents(payload); len(evs) > 0 {
		ev = field(evs[0], "eventCategory") + "." + field(evs[0], "eventType")
	}
	return providers.Identity{Event: ev, DeliveryID: bodyID(r.Body)}
}

// Handshake answers intent to receive (a verified payload without events).
func (p *Xero) Handshake(_ *providers.Request, payload any) (int, string, []byte, bool) {
	if evs, ok := xeroEvents(payload); ok && len(evs) == 0 {
		return http.StatusOK, "", nil, true
	}
	return 0, "", nil, false
}

// Ack implements providers.Acknowledger: Xero wants 200 and no body.
func (p *Xero) Ack(*providers.Request) (int, string, []byte) {
	return http.StatusOK, "text/plain; charset=utf-8", nil
}

// Sign implements providers.Signer.
func (p *Xero) Sign(r *providers.Request, _ providers.Identity) {
	r.Header.Set("x-xero-signature", b64HMAC256(p.secrets[0], r.Body))
}

// SignHandshake implements providers.HandshakeSigner: an intent-to-receive
// payload.
func (p *Xero) SignHandshake(r *providers.Request) {
	r.Method = http.MethodPost
	r.Header.Set("Content-Type", "application/json; charset=utf-8")
	r.Body = []byte(`{"events":[],"firstEventSequence":0,"lastEventSequence":0,"entropy":"` + strconv.FormatInt(r.Now.UnixNano(), 36) + `"}`)
	p.Sign(r, providers.Identity{})
}
