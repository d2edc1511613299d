package builtin

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/hookrunner/hookrunner/providers"
)

// Bitbucket (Cloud and Data Center) sends "sha256=" + hex(HMAC-SHA256) in
// X-Hub-Signature — GitHub's old SHA-1 header name carrying SHA-256. Event:
// X-Event-Key ("repo:push"); delivery: X-Request-UUID (Cloud) or
// X-Request-Id (Data Center).
// bitbucket-server is the same scheme under Data Center's name, signing
// with X-Request-Id.
type Bitbucket struct {
	secrets  []string
	idHeader string
}

var (
	_ providers.Provider = (*Bitbucket)(nil)
	_ providers.Signer   = (*Bitbucket)(nil)
)

func init() {
	providers.Register(providers.Info{
		Name: "bitbucket", New: newBitbucket,
		Formats: providers.FormatJSON,
		Doc: providers.Doc{
			Verification: "`X-Hub-Signature` `sha256=` HMAC",
			Handshake:    "—",
			Event:        "`X-Event-Key`",
			DeliveryID:   "`X-Request-UUID` (Data Center: `X-Request-Id`)",
			ReplayWindow: "—",
			Link:         "https://support.atlassian.com/bitbucket-cloud/docs/manage-webhooks/",
		},
		Samples: samplesOf("bitbucket"), DefaultEvent: "repo:push",
	})
	providers.Register(providers.Info{
		Name: "bitbucket-server", New: newBitbucketServer,
		Formats: providers.FormatJSON,
		Doc: providers.Doc{
			Verification: "`X-Hub-Signature` `sha256=` HMAC (Bitbucket Server / Data Center)",
			Handshake:    "—",
			Event:        "`X-Event-Key` (`diagnostics:ping` for the test button)",
			DeliveryID:   "`X-Request-Id`",
			ReplayWindow: "—",
			Link:         "https://confluence.atlassian.com/bitbucketserver/manage-webhooks-938025878.html",
		},
		Samples: samplesOf("bitbucket-server"), DefaultEvent: "repo:refs_changed",
	})
}

func newBitbucketServer(s providers.Settings) (providers.Provider, error) {
	if err := requireSecret(s); err != nil {
		return nil, err
	}
	return &Bitbucket{secrets: s.Secrets, idHeader: "X-Request-Id"}, nil
}

func newBitbucket(s providers.Settings) (providers.Provider, error) {
	if err := requireSecret(s); err != nil {
		return nil, err
	}
	return &Bitbucket{secrets: s.Secrets, idHeader: "X-Request-UUID"}, nil
}

// Verify implements providers.Provider.
func (b *Bitbucket) Verify(r *providers.Request) (providers.Coverage, error) {
	return vouch(coversBody, verifyHexHMAC(r.Header.Get("X-Hub-Signature"), "sha256=", b.secrets, r.Body, "X-Hub-Signature"))
}

// Identify implements providers.Provider.
func (b *Bitbucket) Identify(r *providers.Request, _ any) providers.Identity {
	id := r.Header.Get("X-Request-UUID")
	if id == "" {
		id = r.Header.Get("X-Request-Id")
	}
	return providers.Identity{Event: r.Header.Get("X-Event-Key"), DeliveryID: id}
}

// Sign implements providers.Signer.
func (b *Bitbucket) Sign(r *providers.Request, id providers.Identity) {
	setIf(r.Header, "X-Event-Key", id.Event)
	setIf(r.Header, b.idHeader, id.DeliveryID)
	r.Header.Set("X-Hub-Signature", "sha256="+hex.EncodeToString(mac(sha256.New, []byte(b.secrets[0]), r.Body)))
}
