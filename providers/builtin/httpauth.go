package builtin

import (
	"encoding/base64"
	"strings"

	"github.com/hookrunner/hookrunner/providers"
)

// httpAuth checks an Authorization header: bearer token(s) or basic
// credentials, whichever the source configures.
type httpAuth struct {
	bearers  []string
	username string
	password string
}

func newHTTPAuth(s providers.Settings) (*httpAuth, error) {
	a := &httpAuth{username: s.Username, password: s.Password}
	if s.Bearer != "" {
		a.bearers = append(a.bearers, s.Bearer)
	}
	if (a.username == "") != (a.password == "") {
		return nil, fieldErr("password", "basic auth needs both username and password")
	}
	return a, nil
}

func (a *httpAuth) configured() bool { return len(a.bearers) > 0 || a.username != "" }

func (a *httpAuth) verify(r *providers.Request) error {
	h := r.Header.Get("Authorization")
	if h == "" {
		return deny("missing Authorization header")
	}
	scheme, cred, _ := strings.Cut(h, " ")
	switch {
	case strings.EqualFold(scheme, "Bearer") && len(a.bearers) > 0:
		for _, b := range a.bearers {
			if equalString(strings.TrimSpace(cred), b) {
				return nil
			}
		}
		return deny("bearer token does not match")
	case strings.EqualFold(scheme, "Basic") && a.username != "":
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
		if err != nil {
			return deny("malformed basic credentials")
		}
		u, p, _ := strings.Cut(string(raw), ":")
		// Evaluate both comparisons so timing does not reveal which failed.
		okU := equalString(u, a.username)
		okP := equalString(p, a.password)
		if okU && okP {
			return nil
		}
		return deny("basic credentials do not match")
	}
	return deny("unsupported Authorization scheme %q", scheme)
}

func (a *httpAuth) sign(r *providers.Request) {
	switch {
	case len(a.bearers) > 0:
		r.Header.Set("Authorization", "Bearer "+a.bearers[0])
	case a.username != "":
		r.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(a.username+":"+a.password)))
	}
}
