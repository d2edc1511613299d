package redact

import (
	"strings"
	"sync"
	"unicode"
)

// The one list of names that carry a credential. Three questions use it:
//
//   - IsSecretName: a config key, a JSON key or an HTTP header name
//     (authorization, cookie, x-gitlab-token, client_secret, X-Api-Key…).
//   - IsSecretQueryParam: a query parameter or form field name; broader
//     (also key, sig, signature, auth, see queryWords).
//   - IsSecretHeader: an HTTP header name; also key and session as a word
//     (X-Functions-Key, Ocp-Apim-Subscription-Key).
//   - IsSignatureHeader: a header that carries an HMAC or public-key
//     signature of the body (or an idempotency token). It is not a secret:
//     it stays stored so replay, listen and forward can pass it on.
//
// A name is split into words (non-alphanumerics and camelCase boundaries)
// and also compared squashed (lower-case, separators removed), so
// "X-Api-Key", "apiKey", "api_key" and "APIKEY" are one name.

// secretSubstrings make a name secret wherever they appear in its squashed
// form ("x-gitlab-token" -> "xgitlabtoken").
var secretSubstrings = []string{
	"secret", "password", "passwd", "passphrase", "token", "bearer", "apikey",
	"credential", "authorization", "cookie", "privatekey", "accesskey",
	"signingkey", "sessionid",
}

// secretWords make a name secret when they are a whole word of it: "auth"
// but not "author", "pass" but not "passenger" or "bypass".
var secretWords = map[string]bool{"auth": true, "pass": true, "pwd": true, "pw": true, "jwt": true}

// queryWords are secret as a query parameter or form field name on top of
// the above: ?key=, ?sig=, ?signature= (a pre-signed URL's signature is a
// bearer credential, e.g. an Azure SAS sig). "code" is deliberately not in
// the list: ?code= is far more often a status or product code than an
// OAuth authorization code, and hookrunner receives webhooks, not OAuth
// callbacks.
var queryWords = map[string]bool{"key": true, "sig": true, "signature": true, "session": true}

// signatureHeaders carry a signature of the body (or an idempotency key),
// never a credential, even when their name holds a word such as "token".
// They are kept as received.
var signatureHeaders = map[string]bool{
	"x-hub-signature":                        true, // GitHub, Bitbucket, Gitea (sha1)
	"x-hub-signature-256":                    true, // GitHub
	"x-gitea-signature":                      true,
	"x-gogs-signature":                       true,
	"stripe-signature":                       true,
	"x-slack-signature":                      true,
	"x-slack-request-timestamp":              true,
	"webhook-signature":                      true, // Standard Webhooks, GitLab signing token
	"webhook-id":                             true,
	"webhook-timestamp":                      true,
	"svix-signature":                         true,
	"x-twilio-signature":                     true,
	"x-twilio-email-event-webhook-signature": true,
	"i-twilio-idempotency-token":             true, // Twilio's delivery id
	"x-shopify-hmac-sha256":                  true,
	"x-signature-ed25519":                    true, // Discord
	"x-signature-timestamp":                  true,
	"x-grafana-alerting-signature":           true,
	"x-hook-signature":                       true, // Asana (X-Hook-Secret stays a secret)
	"x-line-signature":                       true,
	"x-square-hmacsha256-signature":          true,
	"typeform-signature":                     true,
	"x-zm-signature":                         true,
	"x-pagerduty-signature":                  true,
	"linear-signature":                       true,
	"x-hubspot-signature":                    true,
	"x-hubspot-signature-v3":                 true,
	"x-signature":                            true,
	"idempotency-key":                        true,
}

// IsSignatureHeader reports whether a header carries a signature of the
// body (kept stored and shown) rather than a credential.
func IsSignatureHeader(name string) bool {
	return signatureHeaders[strings.ToLower(strings.TrimSpace(name))]
}

// nameCache memoizes a pure function of a name: every request asks about
// the same few header and field names, and the answer costs a lower-case
// copy, a squash and a split. Bounded: past max names (a sender inventing
// new header names on every request) the answer is computed and not kept.
type nameCache struct {
	mu  sync.RWMutex
	m   map[string]bool
	max int
	fn  func(string) bool
}

func (c *nameCache) get(name string) bool {
	c.mu.RLock()
	v, ok := c.m[name]
	c.mu.RUnlock()
	if ok {
		return v
	}
	v = c.fn(name)
	c.mu.Lock()
	if c.m == nil {
		c.m = make(map[string]bool)
	}
	if len(c.m) < c.max {
		c.m[strings.Clone(name)] = v
	}
	c.mu.Unlock()
	return v
}

var (
	secretNames = &nameCache{max: 4096, fn: isSecretName}
	queryNames  = &nameCache{max: 4096, fn: isSecretQueryParam}
	headerNames = &nameCache{max: 4096, fn: isSecretHeader}
)

// IsSecretName reports whether a config key, JSON key or header name
// carries a credential. Names ending in _file hold a path, not a secret.
func IsSecretName(name string) bool { return secretNames.get(name) }

func isSecretName(name string) bool {
	lower := strings.ToLower(strings.TrimSpace(name))
	if lower == "" || signatureHeaders[lower] {
		return false
	}
	if strings.HasSuffix(lower, "_file") || strings.HasSuffix(lower, "-file") {
		return false
	}
	sq := squash(lower)
	for _, s := range secretSubstrings {
		if strings.Contains(sq, s) {
			return true
		}
	}
	for _, w := range words(name) {
		if secretWords[w] {
			return true
		}
	}
	return false
}

// headerWords are secret as a word of a header name on top of the
// secret names: X-Functions-Key, Ocp-Apim-Subscription-Key, X-Client-Key,
// X-Session-Id (Idempotency-Key is a signature header and stays).
var headerWords = map[string]bool{"key": true, "session": true}

// IsSecretHeader reports whether an HTTP header carries a credential:
// Authorization, Proxy-Authorization, Cookie, Set-Cookie, every name
// IsSecretName accepts and every name with "key" or "session" as a word,
// except the signature headers.
func IsSecretHeader(name string) bool { return headerNames.get(name) }

func isSecretHeader(name string) bool {
	if isSecretName(name) {
		return true
	}
	if signatureHeaders[strings.ToLower(strings.TrimSpace(name))] {
		return false
	}
	for _, w := range words(name) {
		if headerWords[w] {
			return true
		}
	}
	return false
}

// IsSecretQueryParam reports whether a query parameter (or form field)
// carries a credential: every secret name plus key, sig, signature and
// session as a word (?key=, ?api_key=, ?access_token=, ?sig=, ?auth=).
func IsSecretQueryParam(name string) bool { return queryNames.get(name) }

func isSecretQueryParam(name string) bool {
	if isSecretName(name) {
		return true
	}
	for _, w := range words(name) {
		if queryWords[w] {
			return true
		}
	}
	return false
}

func squash(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// words splits a name on non-alphanumerics and lower-to-upper case
// boundaries, lower-cased: "X-Api-Key" and "apiKey" -> [x api key], [api key].
func words(s string) []string {
	var out []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			out = append(out, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	var prev rune
	for _, r := range s {
		switch {
		case !unicode.IsLetter(r) && !unicode.IsDigit(r):
			flush()
		case unicode.IsUpper(r) && unicode.IsLower(prev):
			flush()
			cur = append(cur, r)
		default:
			cur = append(cur, r)
		}
		prev = r
	}
	flush()
	return out
}
