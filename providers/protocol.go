package providers

import (
	"errors"
	"fmt"
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
