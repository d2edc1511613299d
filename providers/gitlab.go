package providers

// GitLab compares X-Gitlab-Token with the secret token in constant time.
// Event: X-Gitlab-Event ("Push Hook"); delivery: X-Gitlab-Event-UUID.
type GitLab struct{ secrets []string }

var (
	_ Provider = (*GitLab)(nil)
	_ Signer   = (*GitLab)(nil)
)

func init() { Register("gitlab", newGitLab) }

func newGitLab(s Settings) (Provider, error) {
	if err := requireSecret(s); err != nil {
		return nil, err
	}
	return &GitLab{secrets: s.Secrets}, nil
}

// Verify implements Provider.
func (g *GitLab) Verify(r *Request) error {
	tok := r.Header.Get("X-Gitlab-Token")
	if tok == "" {
		return deny("missing X-Gitlab-Token header")
	}
	for _, s := range g.secrets {
		if equalString(tok, s) {
			return nil
		}
	}
	return deny("X-Gitlab-Token does not match")
}

// Identify implements Provider.
func (g *GitLab) Identify(r *Request, _ any) Identity {
	id := r.Header.Get("X-Gitlab-Event-UUID")
	if id == "" {
		id = r.Header.Get("X-Gitlab-Webhook-UUID")
	}
	return Identity{Event: r.Header.Get("X-Gitlab-Event"), DeliveryID: id}
}

// Sign implements Signer.
func (g *GitLab) Sign(r *Request) { r.Header.Set("X-Gitlab-Token", g.secrets[0]) }
