package builtin

import "github.com/hookrunner/hookrunner/providers"

// basicAuthSpec is a sender that proves itself with HTTP basic credentials
// put in the webhook URL (https://user:password@host/…) and signs nothing:
// Postmark, Azure DevOps. secret: is user:password (or username and
// password). The credentials prove the sender; the body is not signed.
type basicAuthSpec struct {
	identify func(r *providers.Request, payload any) providers.Identity
}

type basicAuth struct {
	creds [][2]string
	spec  *basicAuthSpec
}

var (
	_ providers.Provider = (*basicAuth)(nil)
	_ providers.Signer   = (*basicAuth)(nil)
)

func newBasicAuth(spec *basicAuthSpec) providers.Factory {
	return func(s providers.Settings) (providers.Provider, error) {
		creds, err := basicCreds(s)
		if err != nil {
			return nil, err
		}
		return &basicAuth{creds: creds, spec: spec}, nil
	}
}

// Verify implements providers.Provider.
func (p *basicAuth) Verify(r *providers.Request) (providers.Coverage, error) {
	return vouch(coversBody, checkBasic(r, p.creds))
}

// Identify implements providers.Provider.
func (p *basicAuth) Identify(r *providers.Request, payload any) providers.Identity {
	return p.spec.identify(r, payload)
}

// Sign implements providers.Signer with the first credentials.
func (p *basicAuth) Sign(r *providers.Request, _ providers.Identity) {
	r.Header.Set("Authorization", basicHeader(p.creds[0]))
}
