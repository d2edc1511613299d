package ruleset

import (
	"net/url"
	"strings"
	"time"

	"github.com/hookrunner/hookrunner/expression"
	"github.com/hookrunner/hookrunner/providers"
)

// NewEnv builds the expression environment of an event: the one rules
// match on, actions render with and Explain decides with.
func NewEnv(source, provider string, id providers.Identity, eventID string, headers map[string]string, query string, payload any, remoteIP string, at time.Time) *expression.Env {
	payload = providers.ShapePayload(provider, payload) // the provider's own shape (salesforce-outbound), everywhere
	q := map[string]string{}
	if vals, err := url.ParseQuery(query); err == nil {
		for k, v := range vals {
			q[k] = strings.Join(v, ",")
		}
	}
	return &expression.Env{Source: source, Provider: provider, Event: id.Event, ID: eventID, DeliveryID: id.DeliveryID,
		Payload: payload, Headers: headers, Query: q, RemoteIP: remoteIP, ReceivedAt: at}
}
