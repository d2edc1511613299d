package builtin

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/hookrunner/hookrunner/providers"
)

// Gitea (and Gogs) sign the body with HMAC-SHA256, bare hex, in
// X-Gitea-Signature (X-Gogs-Signature). For form-encoded posts the signature
// covers the JSON in the payload= field. Event: X-Gitea-Event; delivery:
// X-Gitea-Delivery.
type Gitea struct {
	secrets []string
	prefix  string // "Gitea" or "Gogs"
}

var (
	_ providers.Provider = (*Gitea)(nil)
	_ providers.Signer   = (*Gitea)(nil)
)

func init() {
	providers.Register(providers.Info{
		Name: "gitea", New: func(s providers.Settings) (providers.Provider, error) { return newGitea(s, "Gitea") },
		Formats: providers.FormatJSON | providers.FormatFormPayload,
		Doc: providers.Doc{
			Verification: "`X-Gitea-Signature` hex HMAC-SHA256 (form posts: of `payload=`, so any other form field is refused with 400)",
			Handshake:    "—",
			Event:        "`X-Gitea-Event`",
			DeliveryID:   "`X-Gitea-Delivery`",
			ReplayWindow: "—",
			Link:         "https://docs.gitea.com/usage/webhooks",
		},
		Samples: samplesOf("gitea"), DefaultEvent: "push",
	})
	providers.Register(providers.Info{
		Name: "gogs", New: func(s providers.Settings) (providers.Provider, error) { return newGitea(s, "Gogs") },
		Formats: providers.FormatJSON | providers.FormatFormPayload,
		Doc: providers.Doc{
			Verification: "`X-Gogs-Signature` hex HMAC-SHA256 (form posts: of `payload=`, so any other form field is refused with 400)",
			Handshake:    "—",
			Event:        "`X-Gogs-Event`",
			DeliveryID:   "`X-Gogs-Delivery`",
			ReplayWindow: "—",
			Link:         "https://gogs.io/docs/features/webhook",
		},
		Samples: samplesOf("gogs"), DefaultEvent: "push",
	})
}

func newGitea(s providers.Settings, prefix string) (providers.Provider, error) {
	if err := requireSecret(s); err != nil {
		return nil, err
	}
	return &Gitea{secrets: s.Secrets, prefix: prefix}, nil
}

func (g *Gitea) header(name string) string {
	return "X-" + g.prefix + "-" + name
}

// signed is what Gitea signs and what that covers: for a form post, the
// JSON in the payload= field and nothing around it; otherwise the body.
func (g *Gitea) signed(r *providers.Request) ([]byte, providers.Coverage) {
	if r.Form != nil && r.Form.Get("payload") != "" {
		return []byte(r.Form.Get("payload")), providers.Coverage{Scope: providers.ScopeFormField, Field: "payload"}
	}
	return r.Body, coversBody
}

// Verify implements providers.Provider. For a form post only the payload= field is
// covered: the ingress refuses a form carrying any other field, or the
// payload field twice, since an attacker replaying a delivery could add them.
func (g *Gitea) Verify(r *providers.Request) (providers.Coverage, error) {
	h := g.header("Signature")
	b, c := g.signed(r)
	return vouch(c, verifyHexHMAC(r.Header.Get(h), "", g.secrets, b, h))
}

// Identify implements providers.Provider.
func (g *Gitea) Identify(r *providers.Request, _ any) providers.Identity {
	return providers.Identity{Event: r.Header.Get(g.header("Event")), DeliveryID: r.Header.Get(g.header("Delivery"))}
}

// Sign implements providers.Signer.
func (g *Gitea) Sign(r *providers.Request, id providers.Identity) {
	setIf(r.Header, g.header("Event"), id.Event)
	setIf(r.Header, g.header("Delivery"), id.DeliveryID)
	b, _ := g.signed(r)
	r.Header.Set(g.header("Signature"), hex.EncodeToString(mac(sha256.New, []byte(g.secrets[0]), b)))
}
