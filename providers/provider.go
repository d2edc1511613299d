// Package providers defines what a provider is — it verifies webhook
// requests the way one sender documents it, extracts the event type and
// delivery id, signs requests for `hookrunner send` — and the registry the
// implementations add themselves to. It holds no provider: those live in
// providers/builtin (one file each) and are registered by a blank import in
// cmd/hookrunner/imports.go. Nothing here knows about HTTP servers, rules,
// the engine or the store.
package providers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
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
	// Context is the request's: a provider that reaches the network (SNS
	// certificates, Google's keys) waits within it. Nil means Background.
	Context context.Context
	// MaxJSONDepth is server.max_json_depth: a provider that decodes JSON
	// from the body before it is verified holds it to this nesting. 0
	// means the decoder's safety net (exactjson.MaxDepth).
	MaxJSONDepth int
}

// Ctx is r.Context, or Background when not set.
func (r *Request) Ctx() context.Context {
	if r.Context == nil {
		return context.Background()
	}
	return r.Context
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
	// Formats are the body formats the verification vouches for: the
	// provider's Info.Formats, filled in by the ingress when Verify leaves
	// it zero. A body posted under another media type is refused.
	Formats Formats
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

// Signer builds what a real sender attaches to r: the event type and
// delivery id headers (when the provider carries id's fields in headers and
// they are not empty), the signature headers and, for some providers, the
// URL query. r.URL is the URL the sender calls as the receiver will see it
// (the source's public_url, else the URL posted to): providers that sign the
// URL (Twilio) sign that one. `hookrunner send` and the tests use it.
type Signer interface {
	Sign(r *Request, id Identity)
}

// KeySigner is a Signer that signs with a private key the receiving
// config need not hold (Discord: the source's secret is the application's
// public key). SigningKey names the key Sign still needs ("" when the
// provider has it); WithSigningKey returns a Signer that signs with key
// (a file's contents), refusing a key the provider would not accept.
type KeySigner interface {
	Signer
	SigningKey() string
	WithSigningKey(key []byte) (Signer, error)
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
	PrefixOptional  bool
	EventHeader     string
	IDHeader        string
	TimestampHeader string
	PublicURL       string
	SigningToken    string
	// OrganizationID is the Salesforce organization a salesforce-outbound
	// source accepts.
	OrganizationID string
	// VerifyToken is the token a Meta app sends in hub.verify_token.
	VerifyToken string
	// AppID is the sender's application id (Zalo signs it).
	AppID string
	// Audience and ServiceAccount are the aud and email claims a Pub/Sub
	// push token must carry.
	Audience       string
	ServiceAccount string
	// Topics are the SNS topic ARNs a source accepts (empty: any).
	Topics []string
	// Confirm lets an SNS source confirm a SubscriptionConfirmation.
	Confirm bool
}

// FieldError is a settings problem tied to one config key of the source.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// ErrUnauthorized is wrapped by every verification failure.
var ErrUnauthorized = errors.New("unauthorized")

// Deny is a verification failure: it wraps ErrUnauthorized with why.
func Deny(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUnauthorized, fmt.Sprintf(format, args...))
}
