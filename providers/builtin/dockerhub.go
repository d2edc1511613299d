package builtin

import (
	"github.com/hookrunner/hookrunner/providers"
)

// Docker Hub signs nothing and sends no secret of its own: a repository
// webhook is a POST of the push to the URL you give it. The only secret it
// can carry is one you put in that URL: with secret: set, the query
// parameter named by query_param ("token" unless set) must equal it
// (constant time); the token authenticates the sender but the body is not
// signed, and the token sits in Docker Hub's settings and any log of the
// URL. Without a secret nothing is verified (the load warns unless
// allow_ips is set). Event: "push"; delivery: repository.repo_name + ":" +
// push_data.tag + "@" + push_data.pushed_at. The callback_url Docker Hub
// offers for validation is not called.
type DockerHub struct {
	secrets []string
	param   string
}

// DockerHubOpen is a dockerhub source without a URL token.
type DockerHubOpen struct{}

var (
	_ providers.Provider = (*DockerHub)(nil)
	_ providers.Signer   = (*DockerHub)(nil)
	_ providers.Provider = (*DockerHubOpen)(nil)
	_ providers.Signer   = (*DockerHubOpen)(nil)
	_ providers.Unsigned = (*DockerHubOpen)(nil)
)

func init() {
	providers.Register(providers.Info{
		Name: "dockerhub", New: newDockerHub,
		Formats: providers.FormatJSON,
		Doc: providers.Doc{
			Verification: "nothing is signed: with `secret:`, the URL's `?token=` (or `query_param`) must equal it; without, nothing is checked (the load warns without `allow_ips`)",
			Handshake:    "—",
			Event:        "`push`",
			DeliveryID:   "`repository.repo_name:push_data.tag@push_data.pushed_at`",
			ReplayWindow: "—",
			Link:         "https://docs.docker.com/docker-hub/repos/manage/webhooks/",
		},
		Samples: samplesOf("dockerhub"), DefaultEvent: "push",
	})
}

func newDockerHub(s providers.Settings) (providers.Provider, error) {
	if len(s.Secrets) == 0 {
		return &DockerHubOpen{}, nil
	}
	if err := requireSecret(s); err != nil {
		return nil, err
	}
	param := s.QueryParam
	if param == "" {
		param = "token"
	}
	return &DockerHub{secrets: s.Secrets, param: param}, nil
}

// Verify implements providers.Provider: the token in the URL proves the
// sender (the query is covered, the body vouched for as sent by it).
func (p *DockerHub) Verify(r *providers.Request) (providers.Coverage, error) {
	var got string
	if r.URL != nil {
		got = r.URL.Query().Get(p.param)
	}
	if got == "" {
		return vouch(coversBody, deny("missing ?%s= in the URL", p.param))
	}
	ok := false
	for _, s := range p.secrets {
		ok = ok || equalString(got, s)
	}
	if !ok {
		return vouch(coversBody, deny("?%s= does not match", p.param))
	}
	return providers.Coverage{Scope: providers.ScopeBody, Query: true}, nil
}

// Identify implements providers.Provider.
func (p *DockerHub) Identify(r *providers.Request, payload any) providers.Identity {
	return dockerHubIdentity(payload)
}

// Sign implements providers.Signer: the token goes in the URL.
func (p *DockerHub) Sign(r *providers.Request, _ providers.Identity) {
	q := r.URL.Query()
	q.Set(p.param, p.secrets[0])
	r.URL.RawQuery = q.Encode()
}

// Verify implements providers.Provider: nothing to check.
func (DockerHubOpen) Verify(*providers.Request) (providers.Coverage, error) {
	return coversNothing, nil
}

// Identify implements providers.Provider.
func (DockerHubOpen) Identify(_ *providers.Request, payload any) providers.Identity {
	return dockerHubIdentity(payload)
}

// Sign implements providers.Signer: Docker Hub adds nothing.
func (DockerHubOpen) Sign(*providers.Request, providers.Identity) {}

// UnsignedReason implements providers.Unsigned.
func (DockerHubOpen) UnsignedReason() string {
	return "Docker Hub signs nothing and this source has no secret: anyone can post; put a random token in the webhook URL (?token=…) and set it as secret, or set allow_ips"
}

func dockerHubIdentity(payload any) providers.Identity {
	repo, tag, at := field(payload, "repository", "repo_name"), field(payload, "push_data", "tag"), field(payload, "push_data", "pushed_at")
	id := ""
	if repo != "" {
		id = repo + ":" + tag + "@" + at
	}
	return providers.Identity{Event: "push", DeliveryID: id}
}
