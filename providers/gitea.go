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

// signedBytes is what Gitea signs: the JSON document, which for a form post
// is the payload= field.
func (g *Gitea) signedBytes(r *Request) []byte {
	if r.Form != nil && r.Form.Get("payload") != "" {
		return []byte(r.Form.Get("payload"))
	}
	return r.Body
}

// Verify implements Provider.
func (g *Gitea) Verify(r *Request) error {
	h := g.header("Signature")
	return verifyHexHMAC(r.Header.Get(h), "", g.secrets, g.signedBytes(r), h)
}

// Identify implements Provider.
func (g *Gitea) Identify(r *Request, _ any) Identity {
	return Identity{Event: r.Header.Get(g.header("Event")), DeliveryID: r.Header.Get(g.header("Delivery"))}
}

// Sign implements Signer.
func (g *Gitea) Sign(r *Request) {
	r.Header.Set(g.header("Signature"), hex.EncodeToString(mac(sha256.New, []byte(g.secrets[0]), g.signedBytes(r))))
}
