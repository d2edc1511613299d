package builtin

import (
	"net/http"

	"github.com/hookrunner/hookrunner/providers"
)

// Mailchimp receives Mailchimp audience webhooks: form posts, signed by
// nothing. Mailchimp checks the URL with a GET when the webhook is saved,
// answered 200. Without a secret the source takes the body as sent (stored
// as unsigned; the load warns without allow_ips); with secret: the webhook
// URL must carry it as ?token=… (a URL token: it proves the sender knows
// the URL, not what the body says).
type Mailchimp struct{ token []string }

var (
	_ providers.Provider        = (*Mailchimp)(nil)
	_ providers.Signer          = (*Mailchimp)(nil)
	_ providers.Challenger      = (*Mailchimp)(nil)
	_ providers.HandshakeSigner = (*Mailchimp)(nil)
	_ providers.Unsigned        = (*Mailchimp)(nil)
)

func init() {
	providers.Register(providers.Info{
		Name: "mailchimp", New: newMailchimp,
		Formats: providers.FormatForm,
		Doc: providers.Doc{
			Verification: "nothing is signed: `allow_ips`, and `secret` as a URL token `?token=` (no secret needed)",
			Handshake:    "GET validation answered 200",
			Event:        "form `type` (`subscribe`, `unsubscribe`, `profile`, …)",
			DeliveryID:   "SHA-256 of the body (Mailchimp sends none)",
			ReplayWindow: "—",
			Link:         "https://mailchimp.com/developer/marketing/guides/sync-audience-data-webhooks/",
		},
		Samples: samplesOf("mailchimp"), DefaultEvent: "subscribe",
	})
}

func newMailchimp(s providers.Settings) (providers.Provider, error) {
	for _, v := range s.Secrets {
		if v == "" {
			return nil, fieldErr("secret", "empty secret")
		}
	}
	return &Mailchimp{token: s.Secrets}, nil
}

// UnsignedReason implements providers.Unsigned.
func (p *Mailchimp) UnsignedReason() string {
	if len(p.token) > 0 {
		return "mailchimp signs nothing: the URL token proves only that the sender knows the URL; add allow_ips with Mailchimp's addresses"
	}
	return "mailchimp signs nothing: add allow_ips, and a URL token (secret: with ?token= in the webhook URL)"
}

func (p *Mailchimp) checkToken(r *providers.Request) error {
	if len(p.token) == 0 {
		return nil
	}
	got := ""
	if r.URL != nil {
		got = r.URL.Query().Get("token")
	}
	if got == "" {
		return deny("missing ?token= in the URL")
	}
	for _, t := range p.token {
		if equalString(got, t) {
			return nil
		}
	}
	return deny("URL token does not match")
}

// Challenge implements providers.Challenger: the GET Mailchimp sends when
// the webhook is saved.
func (p *Mailchimp) Challenge(r *providers.Request) (*providers.Answer, error) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return nil, nil
	}
	if err := p.checkToken(r); err != nil {
		return nil, err
	}
	return &providers.Answer{Status: http.StatusOK, ContentType: "text/plain; charset=utf-8"}, nil
}

// Verify implements providers.Provider.
func (p *Mailchimp) Verify(r *providers.Request) (providers.Coverage, error) {
	if len(p.token) == 0 {
		return coversNothing, nil
	}
	return vouch(providers.Coverage{Scope: providers.ScopeBody, Query: true}, p.checkToken(r))
}

// Identify implements providers.Provider.
func (p *Mailchimp) Identify(r *providers.Request, _ any) providers.Identity {
	return providers.Identity{Event: r.Form.Get("type"), DeliveryID: bodyID(r.Body)}
}

// Sign implements providers.Signer: the URL token, when configured.
func (p *Mailchimp) Sign(r *providers.Request, _ providers.Identity) {
	if len(p.token) > 0 && r.URL != nil {
		q := r.URL.Query()
		q.Set("token", p.token[0])
		r.URL.RawQuery = q.Encode()
	}
}

// SignHandshake implements providers.HandshakeSigner.
func (p *Mailchimp) SignHandshake(r *providers.Request) {
	r.Method, r.Body = http.MethodGet, nil
	r.Header.Set("User-Agent", "MailChimp.com WebHook Validator")
	p.Sign(r, providers.Identity{})
}
