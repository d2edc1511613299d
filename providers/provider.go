// Package providers verifies webhook requests the way each sender documents
// it and extracts the event type and delivery id. One file per provider, each
// registered by name; nothing here knows about HTTP servers, rules or the
// store.
package providers

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"sync"
	"time"
)

// Request is what a provider sees of an incoming webhook.
type Request struct {
	Method string
	// URL is the URL the sender called as best known: the configured
	// public_url of the source (plus the request's query), or one rebuilt
	// from the scheme and host the client used (Forwarded / X-Forwarded-*
	// from trusted proxies only).
	URL    *url.URL
	Header http.Header
	Body   []byte
	// Form is the parsed body of an application/x-www-form-urlencoded post.
	Form url.Values
	// Now is the receive time; timestamps are checked against it.
	Now time.Time
}

// Identity is what a provider extracts from a verified request.
type Identity struct {
	Event      string
	DeliveryID string
}

// Scope is how much of a request's body a verification vouches for.
type Scope int

const (
	// ScopeUnknown is the zero value: a provider that returns it has not
	// said what it verified, and the ingress refuses the request.
	ScopeUnknown Scope = iota
	// ScopeNone: nothing was verified (verify: none, written out in the
	// config). The body is taken as sent, and stored as unverified.
	ScopeNone
	// ScopeBody: everything the body holds, either signed (HMAC or
	// public-key signature over the body, or over every form parameter) or
	// sent by a sender that proved a secret (token, bearer, basic).
	ScopeBody
	// ScopeFormField: only the value of one field of a form body (Gitea and
	// Gogs sign the payload= field of their form posts, nothing around it).
	ScopeFormField
)

func (s Scope) String() string {
	switch s {
	case ScopeNone:
		return "nothing (verify: none)"
	case ScopeBody:
		return "the whole body"
	case ScopeFormField:
		return "one form field"
	}
	return "unknown"
}

// Coverage is what a successful Verify vouched for. The ingress decodes the
// payload rules and templates see from exactly that, and refuses a request
// whose body holds anything else.
type Coverage struct {
	Scope Scope
	// Field is the form field covered, with ScopeFormField.
	Field string
	// Query is true when the URL's query string was covered too (Twilio
	// signs the full URL; a token in a query parameter authenticates it).
	// Otherwise `query` in rules is the operator's own URL as the client
	// sent it, unsigned: never merged into the payload.
	Query bool
}

func (c Coverage) String() string {
	s := c.Scope.String()
	if c.Scope == ScopeFormField {
		s += " " + strconv.Quote(c.Field)
	}
	if c.Query {
		s += " and the query string"
	}
	return s
}

// Covered values providers return.
var (
	coversNothing = Coverage{Scope: ScopeNone}
	coversBody    = Coverage{Scope: ScopeBody}
)

// Provider verifies and identifies requests from one kind of sender.
type Provider interface {
	// Verify says what of the request it vouched for when the request is
	// authentic, or returns an error saying why it is not (the server
	// answers 401 and keeps nothing). Only what the Coverage names reaches
	// rules, templates, the store and the console.
	Verify(r *Request) (Coverage, error)
	// Identify returns the event type and delivery id of a verified
	// request; payload is the decoded body (JSON value, or the form as a
	// map for form posts).
	Identify(r *Request, payload any) Identity
}

// Signer builds the headers (and, for some providers, the URL query) a
// real sender attaches; `hookrunner send` and the tests use it.
type Signer interface {
	Sign(r *Request)
}

// Handshaker answers a provider's own protocol messages (Slack's URL
// verification, Discord's PING) after verification, without any rule.
type Handshaker interface {
	Handshake(r *Request, payload any) (status int, contentType string, body []byte, ok bool)
}

// Settings are a source's provider settings, already resolved from config.
type Settings struct {
	Secrets   []string
	Tolerance time.Duration
	Bearer    string
	Username  string
	Password  string
	// Generic / configurable providers.
	Verify          string
	Header          string
	QueryParam      string
	Algorithm       string
	Encoding        string
	Prefix          string
	EventHeader     string
	IDHeader        string
	TimestampHeader string
	PublicURL       string
	SigningToken    string
	// OrganizationID is the Salesforce organization a salesforce-outbound
	// source accepts.
	OrganizationID string
}

// vouch is the result of a check covering c: c when err is nil.
func vouch(c Coverage, err error) (Coverage, error) {
	if err != nil {
		return Coverage{}, err
	}
	return c, nil
}

// FieldError is a settings problem tied to one config key of the source.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// ErrUnauthorized is wrapped by every verification failure.
var ErrUnauthorized = errors.New("unauthorized")

func deny(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUnauthorized, fmt.Sprintf(format, args...))
}

// Factory builds a provider from settings, rejecting missing or wrong ones.
type Factory func(Settings) (Provider, error)

var (
	mu       sync.RWMutex
	registry = map[string]Factory{}
)

// Register adds a provider. Registering a name twice panics at start-up.
func Register(name string, f Factory) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := registry[name]; dup {
		panic("providers: duplicate registration of " + name)
	}
	registry[name] = f
}

// New builds the named provider.
func New(name string, s Settings) (Provider, error) {
	mu.RLock()
	f, ok := registry[name]
	mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("unknown provider %q", name)
	}
	if s.Tolerance == 0 {
		s.Tolerance = 5 * time.Minute
	}
	return f(s)
}

// Names lists the registered providers, sorted.
func Names() []string {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]string, 0, len(registry))
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// --- helpers shared by the provider files ---

func newHash(alg string) (func() hash.Hash, error) {
	switch alg {
	case "", "sha256":
		return sha256.New, nil
	case "sha1":
		return sha1.New, nil
	case "sha512":
		return sha512.New, nil
	}
	return nil, fmt.Errorf("unknown algorithm %q (use sha1, sha256 or sha512)", alg)
}

func mac(h func() hash.Hash, key []byte, parts ...[]byte) []byte {
	m := hmac.New(h, key)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

// equal compares in constant time (for equal lengths).
func equal(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }

func equalString(a, b string) bool { return equal([]byte(a), []byte(b)) }

func requireSecret(s Settings) error {
	if len(s.Secrets) == 0 {
		return fieldErr("secret", "required (set secret, secret_file or secrets)")
	}
	for _, v := range s.Secrets {
		if v == "" {
			return fieldErr("secret", "empty secret")
		}
	}
	return nil
}

// checkTimestamp parses a unix-seconds timestamp and checks it is within tol
// of now, in either direction.
func checkTimestamp(ts string, now time.Time, tol time.Duration) (int64, error) {
	if ts == "" {
		return 0, deny("missing timestamp")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return 0, deny("malformed timestamp %q", ts)
	}
	t := time.Unix(sec, 0)
	if d := now.Sub(t); d > tol || d < -tol {
		return 0, deny("timestamp %s is outside the %s tolerance", t.UTC().Format(time.RFC3339), tol)
	}
	return sec, nil
}

// field reads a string field from a decoded JSON object.
func field(payload any, keys ...string) string {
	cur := payload
	for _, k := range keys {
		m, ok := cur.(map[string]any)
		if !ok {
			return ""
		}
		cur = m[k]
	}
	switch v := cur.(type) {
	case string:
		return v
	case int64: // the decoder's integers: exact (see engine.DecodePayload)
		return strconv.FormatInt(v, 10)
	case uint64:
		return strconv.FormatUint(v, 10)
	case json.Number: // the decoder's other numbers, as sent
		return v.String()
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	}
	return ""
}

// intField reads an integer field from a decoded JSON object: an int64 as
// the payload decoder gives it, or an integral float64.
func intField(m map[string]any, key string) (int64, bool) {
	switch v := m[key].(type) {
	case int64:
		return v, true
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
			return int64(v), true
		}
	}
	return 0, false
}
