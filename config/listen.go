package config

import (
	"fmt"
	"regexp"
)

// Listen turns on the stream of stored events that `hookrunner listen`
// reads (GET /listen/stream on the public listener): each token may read
// the events of the sources it lists. Without tokens the endpoint does not
// exist (404).
type Listen struct {
	Tokens []ListenToken `koanf:"tokens" json:"tokens,omitempty"`
}

// ListenToken is one holder's access to the stream.
type ListenToken struct {
	// Name identifies the holder in logs ("laptop"); never the token.
	Name      string `koanf:"name" json:"name"`
	Token     Secret `koanf:"token" json:"token"`
	TokenFile string `koanf:"token_file" json:"token_file,omitempty" path:"file"`
	// Sources are the sources whose events the token reads. Their
	// credential headers redacted before storage (a GitLab token, basic
	// auth) are re-attached for the holder, so list only sources whose
	// credentials the holder may know.
	Sources []string `koanf:"sources" json:"sources"`
}

// MinListenToken is the shortest listen token accepted: it guards stored
// webhooks from the public listener.
const MinListenToken = 16

var tokenName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

func (c *Config) resolveListenSecrets(resolve func(path string, s *Secret, file, key string)) {
	for i := range c.Listen.Tokens {
		t := &c.Listen.Tokens[i]
		resolve(fmt.Sprintf("listen.tokens[%d].token", i), &t.Token, t.TokenFile, "token")
	}
}

func (c *Config) validateListen(errs *Errors) {
	names := map[string]int{}
	values := map[Secret]int{}
	for i, t := range c.Listen.Tokens {
		p := fmt.Sprintf("listen.tokens[%d]", i)
		switch j, dup := names[t.Name]; {
		case !tokenName.MatchString(t.Name):
			errs.Add(p+".name", "required: letters, digits, '.', '_' and '-' (up to 64), e.g. laptop")
		case dup:
			errs.Add(p+".name", "duplicate token name %q (first at listen.tokens[%d])", t.Name, j)
		default:
			names[t.Name] = i
		}
		switch j, dup := values[t.Token]; {
		case t.Token == "":
			errs.Add(p+".token", "required (token or token_file); e.g. token: ${LISTEN_TOKEN}")
		case len(t.Token) < MinListenToken:
			errs.Add(p+".token", "too short: at least %d characters (e.g. openssl rand -hex 32)", MinListenToken)
		case dup:
			errs.Add(p+".token", "the same token as listen.tokens[%d]: give each holder its own", j)
		default:
			values[t.Token] = i
		}
		if len(t.Sources) == 0 {
			errs.Add(p+".sources", "list the sources this token may read, e.g. [github]")
		}
		for k, s := range t.Sources {
			if _, ok := c.Sources[s]; !ok {
				errs.Add(fmt.Sprintf("%s.sources[%d]", p, k), "unknown source %q%s", s, Suggest(s, c.SourceNames()))
			}
		}
	}
}
