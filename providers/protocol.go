package providers

import (
	"errors"
	"fmt"
	"net/http"
	"sync"
)

// ErrForbidden is wrapped by a PayloadChecker's refusal of a well-formed
// request that is not for this source (another Salesforce organization):
// the server answers 403 and keeps nothing.
var ErrForbidden = errors.New("forbidden")

func forbid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrForbidden, fmt.Sprintf(format, args...))
}

// PayloadChecker checks the decoded payload of a verified request before
// anything is stored, for senders whose only proof of origin is in the body
// (Salesforce's OrganizationId). The check reads the very payload rules see.
// An error wrapping ErrForbidden is answered 403, any other 400.
type PayloadChecker interface {
	CheckPayload(r *Request, payload any) error
}

// Acknowledger answers a delivery in the sender's own protocol once the
// event is durable, and again for a duplicate (a sender that redelivers until
// it is acknowledged must get the same answer), instead of hookrunner's JSON.
// A source whose provider acknowledges cannot have `respond: sync` rules.
type Acknowledger interface {
	Ack(r *Request) (status int, contentType string, body []byte)
}

// Unsigned is a provider whose sender signs nothing: the load warns when its
// source has no allow_ips, with the reason.
type Unsigned interface {
	UnsignedReason() string
}

// UnsignedAnyAddress is an Unsigned provider whose gap allow_ips does not
// close, because every possible sender posts from the same addresses (SNS:
// all AWS accounts' topics); the load warns whatever allow_ips says.
type UnsignedAnyAddress interface {
	Unsigned
	AllowIPsDoNotHelp()
}

// A Shaper presents a provider's decoded body to rules and templates in the
// provider's own shape (Salesforce: the notifications element, Notification
// always a list). It is applied wherever an event's environment is built,
// at receipt, in runs, replay and explain, so all of them see one payload.
// It must be idempotent.
type Shaper func(payload any) any

var (
	shapeMu sync.RWMutex
	shapers = map[string]Shaper{}
)

// RegisterShaper adds the payload shape of a registered provider.
func RegisterShaper(name string, s Shaper) {
	shapeMu.Lock()
	defer shapeMu.Unlock()
	if _, dup := shapers[name]; dup {
		panic("providers: duplicate shaper for " + name)
	}
	shapers[name] = s
}

// HasShaper reports whether the named provider registered a Shaper.
func HasShaper(provider string) bool {
	shapeMu.RLock()
	defer shapeMu.RUnlock()
	return shapers[provider] != nil
}

// ShapePayload is payload as rules see it for the named provider.
func ShapePayload(provider string, payload any) any {
	shapeMu.RLock()
	s := shapers[provider]
	shapeMu.RUnlock()
	if s == nil {
		return payload
	}
	return s(payload)
}

// Answer is a provider's own reply to a handshake: status, content type,
// extra headers and the exact body.
type Answer struct {
	Status      int
	ContentType string
	// Header holds extra response headers (Event Grid's
	// WebHook-Allowed-Origin).
	Header http.Header
	Body   []byte
}

// Challenger answers the handshakes a sender makes before, or beside, its
// signed deliveries: a GET verification (Meta's hub.challenge, Dropbox's
// challenge, X's CRC, Okta's verification header, Mailchimp's probe), a
// CloudEvents OPTIONS request, or a POST that carries no delivery (Microsoft
// Graph's validationToken). The ingress asks it about every request before
// verification — GET, HEAD and OPTIONS only go to a Challenger — and answers
// with what it returns, without any rule, storing nothing. It returns nil,
// nil for a request that is not a handshake (a GET that is not one is then
// answered 405); an error wrapping ErrUnauthorized is answered 401, one
// wrapping ErrForbidden 403. A Challenger checks whatever secret its sender
// proves in the handshake itself (verify_token, a key, a signature).
type Challenger interface {
	Challenge(r *Request) (*Answer, error)
}

// HandshakeSigner builds the handshake request the sender sends when an
// endpoint is registered (`hookrunner send --handshake`, the conformance
// suite): r arrives with its URL (as for Signer), Now and an empty header;
// it sets the method, the query, the headers and the body.
type HandshakeSigner interface {
	SignHandshake(r *Request)
}
