package providers

import (
	"crypto/sha256"
	"encoding/hex"
)

// Bitbucket (Cloud and Data Center) sends "sha256=" + hex(HMAC-SHA256) in
// X-Hub-Signature — GitHub's old SHA-1 header name carrying SHA-256. Event:
// X-Event-Key ("repo:push"); delivery: X-Request-UUID (Cloud) or
// X-Request-Id (Data Center).
type Bitbucket struct{ secrets []string }

var (
	_ Provider = (*Bitbucket)(nil)
	_ Signer   = (*Bitbucket)(nil)
)

func init() { Register("bitbucket", newBitbucket) }

func newBitbucket(s Settings) (Provider, error) {
	if err := requireSecret(s); err != nil {
		return nil, err
	}
	return &Bitbucket{secrets: s.Secrets}, nil
}

// Verify implements Provider.
func (b *Bitbucket) Verify(r *Request) (Coverage, error) {
	return vouch(coversBody, verifyHexHMAC(r.Header.Get("X-Hub-Signature"), "sha256=", b.secrets, r.Body, "X-Hub-Signature"))
}

// Identify implements Provider.
func (b *Bitbucket) Identify(r *Request, _ any) Identity {
	id := r.Header.Get("X-Request-UUID")
	if id == "" {
		id = r.Header.Get("X-Request-Id")
	}
	return Identity{Event: r.Header.Get("X-Event-Key"), DeliveryID: id}
}

// Sign implements Signer.
func (b *Bitbucket) Sign(r *Request) {
	r.Header.Set("X-Hub-Signature", "sha256="+hex.EncodeToString(mac(sha256.New, []byte(b.secrets[0]), r.Body)))
}
