package builtin

import (
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/hookrunner/hookrunner/providers"
)

// GitLab compares X-Gitlab-Token with the secret token in constant time.
// With a signing_token it also (or instead) checks GitLab's HMAC signature:
// webhook-signature "v1,<base64 HMAC-SHA256(token, id.timestamp.body)>" with
// webhook-id and webhook-timestamp (Standard Webhooks style), timestamp
// within the tolerance. Event: X-Gitlab-Event ("Push Hook"); delivery:
// X-Gitlab-Event-UUID.
type GitLab struct {
	secrets []string
	signing []byte
	s       providers.Settings
}

var (
	_ providers.Provider = (*GitLab)(nil)
	_ providers.Signer   = (*GitLab)(nil)
)

func init() {
	providers.Register(providers.Info{
		Name: "gitlab", New: newGitLab,
		Formats: providers.FormatJSON,
		Doc: providers.Doc{
			Verification: "`X-Gitlab-Token` (constant-time); with `signing_token`, also `webhook-signature` `v1,` HMAC-SHA256 over id.timestamp.body",
			Handshake:    "—",
			Event:        "`X-Gitlab-Event` (`Push Hook`)",
			DeliveryID:   "`X-Gitlab-Event-UUID`",
			ReplayWindow: "`tolerance` (5m) with `signing_token`",
			Link:         "https://docs.gitlab.com/user/project/integrations/webhooks/",
		},
		Samples: samplesOf("gitlab"), DefaultEvent: "Push Hook",
	})
}

func newGitLab(s providers.Settings) (providers.Provider, error) {
	g := &GitLab{secrets: s.Secrets, s: s}
	if s.SigningToken != "" {
		k, err := StandardWebhooksKey(s.SigningToken)
		if err != nil {
			return nil, fieldErr("signing_token", "%v", err)
		}
		g.signing = k
	}
	if g.signing == nil {
		if err := requireSecret(s); err != nil {
			return nil, fieldErr("secret", "required: set secret (the X-Gitlab-Token), signing_token, or both")
		}
	}
	return g, nil
}

// Verify implements providers.Provider.
func (g *GitLab) Verify(r *providers.Request) (providers.Coverage, error) {
	return vouch(coversBody, g.verify(r))
}

func (g *GitLab) verify(r *providers.Request) error {
	if len(g.secrets) > 0 {
		tok := r.Header.Get("X-Gitlab-Token")
		if tok == "" {
			return deny("missing X-Gitlab-Token header")
		}
		ok := false
		for _, s := range g.secrets {
			if equalString(tok, s) {
				ok = true
			}
		}
		if !ok {
			return deny("X-Gitlab-Token does not match")
		}
	}
	if g.signing != nil {
		id, ts := r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp")
		if id == "" {
			return deny("missing webhook-id header")
		}
		if _, err := checkTimestamp(ts, r.Now, g.s.Tolerance); err != nil {
			return err
		}
		want := mac(sha256.New, g.signing, []byte(id+"."+ts+"."), r.Body)
		for _, item := range strings.Fields(r.Header.Get("webhook-signature")) {
			if v, sig, ok := strings.Cut(item, ","); ok && v == "v1" {
				if b, err := base64.StdEncoding.DecodeString(sig); err == nil && equal(b, want) {
					return nil
				}
			}
		}
		return deny("webhook-signature does not match")
	}
	return nil
}

// Identify implements providers.Provider.
func (g *GitLab) Identify(r *providers.Request, _ any) providers.Identity {
	id := r.Header.Get("X-Gitlab-Event-UUID")
	if id == "" {
		id = r.Header.Get("X-Gitlab-Webhook-UUID")
	}
	if id == "" {
		id = r.Header.Get("webhook-id")
	}
	return providers.Identity{Event: r.Header.Get("X-Gitlab-Event"), DeliveryID: id}
}

// Sign implements providers.Signer.
func (g *GitLab) Sign(r *providers.Request, ident providers.Identity) {
	setIf(r.Header, "X-Gitlab-Event", ident.Event)
	setIf(r.Header, "X-Gitlab-Event-UUID", ident.DeliveryID)
	if len(g.secrets) > 0 {
		r.Header.Set("X-Gitlab-Token", g.secrets[0])
	}
	if g.signing != nil {
		id := r.Header.Get("webhook-id")
		if id == "" {
			id = "gl-" + strconv.FormatInt(r.Now.UnixNano(), 36)
			r.Header.Set("webhook-id", id)
		}
		ts := strconv.FormatInt(r.Now.Unix(), 10)
		r.Header.Set("webhook-timestamp", ts)
		r.Header.Set("webhook-signature", "v1,"+base64.StdEncoding.EncodeToString(mac(sha256.New, g.signing, []byte(id+"."+ts+"."), r.Body)))
	}
}
