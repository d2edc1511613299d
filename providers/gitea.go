package providers

import (
	"crypto/sha256"
	"encoding/hex"
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
	_ Provider = (*Gitea)(nil)
	_ Signer   = (*Gitea)(nil)
)

func init() {
	Register("gitea", func(s Settings) (Provider, error) { return newGitea(s, "Gitea") })
	Register("gogs", func(s Settings) (Provider, error) { return newGitea(s, "Gogs") })
}

func newGitea(s Settings, prefix string) (Provider, error) {
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
func (g *Gitea) signed(r *Request) ([]byte, Coverage) {
	if r.Form != nil && r.Form.Get("payload") != "" {
		return []byte(r.Form.Get("payload")), Coverage{Scope: ScopeFormField, Field: "payload"}
	}
	return r.Body, coversBody
}

// Verify implements Provider. For a form post only the payload= field is
// covered: the ingress refuses a form carrying any other field, or the
// payload field twice, since an attacker replaying a delivery could add them.
func (g *Gitea) Verify(r *Request) (Coverage, error) {
	h := g.header("Signature")
	b, c := g.signed(r)
	return vouch(c, verifyHexHMAC(r.Header.Get(h), "", g.secrets, b, h))
}

// Identify implements Provider.
func (g *Gitea) Identify(r *Request, _ any) Identity {
	return Identity{Event: r.Header.Get(g.header("Event")), DeliveryID: r.Header.Get(g.header("Delivery"))}
}

// Sign implements Signer.
func (g *Gitea) Sign(r *Request) {
	b, _ := g.signed(r)
	r.Header.Set(g.header("Signature"), hex.EncodeToString(mac(sha256.New, []byte(g.secrets[0]), b)))
}
