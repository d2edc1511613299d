package builtin

import (
	"net/http"
	"net/url"

	"github.com/hookrunner/hookrunner/providers"
)

// Dropbox verifies X-Dropbox-Signature: hex(HMAC-SHA256(app secret, body)).
// Dropbox checks a new webhook URI with GET ?challenge=…, answered with the
// challenge as text/plain (nosniff): that request carries no secret, so any
// caller gets its challenge back and nothing else. Notifications name the
// accounts with changes; they carry no id.
type Dropbox struct{ secrets []string }

var (
	_ providers.Provider        = (*Dropbox)(nil)
	_ providers.Signer          = (*Dropbox)(nil)
	_ providers.Challenger      = (*Dropbox)(nil)
	_ providers.HandshakeSigner = (*Dropbox)(nil)
)

func init() {
	providers.Register(providers.Info{
		Name: "dropbox", New: newDropbox,
		Formats: providers.FormatJSON,
		Doc: providers.Doc{
			Verification: "`X-Dropbox-Signature` HMAC-SHA256 (hex) with the app secret",
			Handshake:    "GET `challenge` echoed as `text/plain`",
			Event:        "`list_folder` (the notification's key)",
			DeliveryID:   "SHA-256 of the body (Dropbox sends none)",
			ReplayWindow: "—",
			Link:         "https://www.dropbox.com/developers/reference/webhooks",
		},
		Samples: samplesOf("dropbox"), DefaultEvent: "list_folder",
	})
}

func newDropbox(s providers.Settings) (providers.Provider, error) {
	if err := requireSecret(s); err != nil {
		return nil, err
	}
	return &Dropbox{secrets: s.Secrets}, nil
}

// Challenge implements providers.Challenger.
func (p *Dropbox) Challenge(r *providers.Request) (*providers.Answer, error) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return nil, nil
	}
	ch := r.URL.Query().Get("challenge")
	if ch == "" {
		return nil, nil
	}
	if !echoable(ch) {
		return nil, deny("challenge is not printable ASCII")
	}
	return textAnswer(ch), nil
}

// Verify implements providers.Provider.
func (p *Dropbox) Verify(r *providers.Request) (providers.Coverage, error) {
	return vouch(coversBody, verifyHexHMAC(r.Header.Get("X-Dropbox-Signature"), "", p.secrets, r.Body, "X-Dropbox-Signature"))
}

// Identify implements providers.Provider.
func (p *Dropbox) Identify(r *providers.Request, payload any) providers.Identity {
	ev := "notification"
	if m, ok := payload.(map[string]any); ok && m["list_folder"] != nil {
		ev = "list_folder"
	}
	return providers.Identity{Event: ev, DeliveryID: bodyID(r.Body)}
}

// Sign implements providers.Signer.
func (p *Dropbox) Sign(r *providers.Request, _ providers.Identity) {
	r.Header.Set("X-Dropbox-Signature", hexHMAC256(p.secrets[0], r.Body))
}

// SignHandshake implements providers.HandshakeSigner.
func (p *Dropbox) SignHandshake(r *providers.Request) {
	challengeRequest(r, url.Values{"challenge": {challengeToken(r.Now)}})
}
