package builtin

import (
	"encoding/json"
	"net/http"

	"github.com/hookrunner/hookrunner/providers"
)

// Okta receives Okta event hooks. Okta sends the authentication header
// configured with the hook (Authorization by default, another name with
// header:) with the secret value, on the one-time verification GET and on
// every delivery; it signs no body. The verification request carries
// X-Okta-Verification-Challenge, answered {"verification": <value>}.
type Okta struct {
	secrets []string
	header  string
}

var (
	_ providers.Provider        = (*Okta)(nil)
	_ providers.Signer          = (*Okta)(nil)
	_ providers.Challenger      = (*Okta)(nil)
	_ providers.HandshakeSigner = (*Okta)(nil)
)

func init() {
	providers.Register(providers.Info{
		Name: "okta", New: newOkta,
		Formats: providers.FormatJSON,
		Doc: providers.Doc{
			Verification: "the hook's authentication header (`Authorization`, or `header:`) equal to `secret`",
			Handshake:    "GET `X-Okta-Verification-Challenge` answered `{\"verification\":…}` (authenticated)",
			Event:        "`data.events[0].eventType`",
			DeliveryID:   "body `eventId`",
			ReplayWindow: "—",
			Link:         "https://developer.okta.com/docs/concepts/event-hooks/",
		},
		Samples: samplesOf("okta"), DefaultEvent: "user.lifecycle.create",
	})
}

func newOkta(s providers.Settings) (providers.Provider, error) {
	if err := requireSecret(s); err != nil {
		return nil, err
	}
	h := s.Header
	if h == "" {
		h = "Authorization"
	}
	return &Okta{secrets: s.Secrets, header: h}, nil
}

func (p *Okta) auth(r *providers.Request) error {
	got := r.Header.Get(p.header)
	if got == "" {
		return deny("missing %s header", p.header)
	}
	for _, s := range p.secrets {
		if equalString(got, s) {
			return nil
		}
	}
	return deny("%s does not match", p.header)
}

// Challenge implements providers.Challenger: the one-time verification.
func (p *Okta) Challenge(r *providers.Request) (*providers.Answer, error) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return nil, nil
	}
	ch := r.Header.Get("X-Okta-Verification-Challenge")
	if ch == "" {
		return nil, nil
	}
	if err := p.auth(r); err != nil {
		return nil, err
	}
	if !echoable(ch) {
		return nil, deny("X-Okta-Verification-Challenge is not printable ASCII")
	}
	b, _ := json.Marshal(map[string]string{"verification": ch})
	return &providers.Answer{Status: http.StatusOK, ContentType: "application/json", Body: b}, nil
}

// Verify implements providers.Provider: the header proves the sender.
func (p *Okta) Verify(r *providers.Request) (providers.Coverage, error) {
	return vouch(coversBody, p.auth(r))
}

// Identify implements providers.Provider.
func (p *Okta) Identify(_ *providers.Request, payload any) providers.Identity {
	ev := ""
	if m, ok := payload.(map[string]any); ok {
		if data, ok := m["data"].(map[string]any); ok {
			if evs, ok := data["events"].([]any); ok && len(evs) > 0 {
				ev = field(evs[0], "eventType")
			}
		}
	}
	return providers.Identity{Event: ev, DeliveryID: field(payload, "eventId")}
}

// Sign implements providers.Signer.
func (p *Okta) Sign(r *providers.Request, _ providers.Identity) {
	r.Header.Set(p.header, p.secrets[0])
}

// SignHandshake implements providers.HandshakeSigner.
func (p *Okta) SignHandshake(r *providers.Request) {
	r.Method, r.Body = http.MethodGet, nil
	r.Header.Set("X-Okta-Verification-Challenge", challengeToken(r.Now))
	p.Sign(r, providers.Identity{})
}
