package builtin

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/hookrunner/hookrunner/providers"
)

// GitHub verifies X-Hub-Signature-256: "sha256=" + hex(HMAC-SHA256(secret,
// body)). Event: X-GitHub-Event; delivery: X-GitHub-Delivery.
type GitHub struct{ secrets []string }

var (
	_ providers.Provider = (*GitHub)(nil)
	_ providers.Signer   = (*GitHub)(nil)
)

func init() {
	providers.Register(providers.Info{
		Name: "github", New: newGitHub,
		Formats: providers.FormatJSON | providers.FormatFormPayload,
		Doc: providers.Doc{
			Verification: "`X-Hub-Signature-256` HMAC-SHA256",
			Handshake:    "—",
			Event:        "`X-GitHub-Event`",
			DeliveryID:   "`X-GitHub-Delivery`",
			ReplayWindow: "—",
			Link:         "https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries",
		},
		Samples: samplesOf("github"), DefaultEvent: "push",
	})
}

func newGitHub(s providers.Settings) (providers.Provider, error) {
	if err := requireSecret(s); err != nil {
		return nil, err
	}
	return &GitHub{secrets: s.Secrets}, nil
}

// Verify implements providers.Provider.
func (g *GitHub) Verify(r *providers.Request) (providers.Coverage, error) {
	// A form-encoded delivery (content type "form") is signed over the
	// whole form body, so every field is covered.
	return vouch(coversBody, verifyHexHMAC(r.Header.Get("X-Hub-Signature-256"), "sha256=", g.secrets, r.Body, "X-Hub-Signature-256"))
}

// Identify implements providers.Provider.
func (g *GitHub) Identify(r *providers.Request, _ any) providers.Identity {
	return providers.Identity{Event: r.Header.Get("X-GitHub-Event"), DeliveryID: r.Header.Get("X-GitHub-Delivery")}
}

// Sign implements providers.Signer.
func (g *GitHub) Sign(r *providers.Request, id providers.Identity) {
	setIf(r.Header, "X-GitHub-Event", id.Event)
	setIf(r.Header, "X-GitHub-Delivery", id.DeliveryID)
	r.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac(sha256.New, []byte(g.secrets[0]), r.Body)))
}

// verifyHexHMAC checks a "<prefix><hex HMAC-SHA256>" header against every
// secret (rotation).
func verifyHexHMAC(got, prefix string, secrets []string, body []byte, header string) error {
	if got == "" {
		return deny("missing %s header", header)
	}
	if !strings.HasPrefix(got, prefix) {
		return deny("%s does not start with %q", header, prefix)
	}
	sig, err := hex.DecodeString(strings.TrimPrefix(got, prefix))
	if err != nil {
		return deny("%s is not hex", header)
	}
	for _, s := range secrets {
		if equal(sig, mac(sha256.New, []byte(s), body)) {
			return nil
		}
	}
	return deny("%s does not match the body", header)
}
