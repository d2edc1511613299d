package builtin

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/hookrunner/hookrunner/providers"
)

// EventGrid receives Azure Event Grid deliveries to a webhook. Event Grid
// signs nothing; the subscription's endpoint carries the source's secret,
// as a query parameter (?code=…, in the endpoint URL) or in the aeg-sas-key
// header (a delivery property), compared in constant time. With the Event
// Grid schema, the SubscriptionValidationEvent is answered
// {"validationResponse": validationCode}; with the CloudEvents schema, the
// abuse-protection OPTIONS request (WebHook-Request-Origin) is answered with
// WebHook-Allowed-Origin. Both need the key too.
type EventGrid struct{ secrets []string }

var (
	_ providers.Provider        = (*EventGrid)(nil)
	_ providers.Signer          = (*EventGrid)(nil)
	_ providers.Handshaker      = (*EventGrid)(nil)
	_ providers.Challenger      = (*EventGrid)(nil)
	_ providers.HandshakeSigner = (*EventGrid)(nil)
)

const eventGridValidation = "Microsoft.EventGrid.SubscriptionValidationEvent"

func init() {
	providers.Register(providers.Info{
		Name: "eventgrid", New: newEventGrid,
		Doc: providers.Doc{
			Verification: "`secret` as `?code=` in the endpoint URL or the `aeg-sas-key` header (Event Grid signs nothing)",
			Handshake:    "`SubscriptionValidationEvent` answered `validationResponse`; CloudEvents `OPTIONS` answered `WebHook-Allowed-Origin`",
			Event:        "`eventType` (Event Grid schema) or `type` (CloudEvents) of the first event",
			DeliveryID:   "`id` of the first event",
			ReplayWindow: "—",
			Link:         "https://learn.microsoft.com/en-us/azure/event-grid/end-point-validation-event-grid-events-schema",
		},
		Samples: samplesOf("eventgrid"), DefaultEvent: "Microsoft.Storage.BlobCreated",
	})
}

func newEventGrid(s providers.Settings) (providers.Provider, error) {
	if err := requireSecret(s); err != nil {
		return nil, err
	}
	return &EventGrid{secrets: s.Secrets}, nil
}

func (p *EventGrid) key(r *providers.Request) error {
	got := r.Header.Get("aeg-sas-key")
	if got == "" && r.URL != nil {
		got = r.URL.Query().Get("code")
	}
	if got == "" {
		return deny("missing aeg-sas-key header or ?code=")
	}
	for _, s := range p.secrets {
		if equalString(got, s) {
			return nil
		}
	}
	return deny("Event Grid key does not match")
}

// Challenge implements providers.Challenger: the CloudEvents OPTIONS.
func (p *EventGrid) Challenge(r *providers.Request) (*providers.Answer, error) {
	if r.Method != http.MethodOptions {
		return nil, nil
	}
	origin := r.Header.Get("WebHook-Request-Origin")
	if origin == "" {
		return nil, nil
	}
	if err := p.key(r); err != nil {
		return nil, err
	}
	if !echoable(origin) || strings.ContainsAny(origin, " ,") {
		return nil, deny("WebHook-Request-Origin is not a host name")
	}
	return &providers.Answer{Status: http.StatusOK, Header: http.Header{"Webhook-Allowed-Origin": {origin}, "Webhook-Allowed-Rate": {"*"}}}, nil
}

// Verify implements providers.Provider: the key proves the sender, and
// with it the whole body (query included when the key travels in it).
func (p *EventGrid) Verify(r *providers.Request) (providers.Coverage, error) {
	return vouch(providers.Coverage{Scope: providers.ScopeBody, Query: r.Header.Get("aeg-sas-key") == ""}, p.key(r))
}

func firstEvent(payload any) map[string]any {
	if l, ok := payload.([]any); ok && len(l) > 0 {
		payload = l[0]
	}
	m, _ := payload.(map[string]any)
	return m
}

// Identify implements providers.Provider.
func (p *EventGrid) Identify(_ *providers.Request, payload any) providers.Identity {
	ev := firstEvent(payload)
	t := field(ev, "eventType")
	if t == "" {
		t = field(ev, "type")
	}
	return providers.Identity{Event: t, DeliveryID: field(ev, "id")}
}

// Handshake answers the Event Grid schema's subscription validation.
func (p *EventGrid) Handshake(_ *providers.Request, payload any) (int, string, []byte, bool) {
	ev := firstEvent(payload)
	if field(ev, "eventType") != eventGridValidation {
		return 0, "", nil, false
	}
	b, _ := json.Marshal(map[string]string{"validationResponse": field(ev, "data", "validationCode")})
	return http.StatusOK, "application/json", b, true
}

// Sign implements providers.Signer: the key in aeg-sas-key and the
// delivery headers Event Grid sends.
func (p *EventGrid) Sign(r *providers.Request, _ providers.Identity) {
	r.Header.Set("aeg-sas-key", p.secrets[0])
	if r.Header.Get("aeg-event-type") == "" {
		r.Header.Set("aeg-event-type", "Notification")
	}
	r.Header.Set("aeg-delivery-count", "0")
	r.Header.Set("aeg-subscription-name", "HOOKRUNNER")
	r.Header.Set("aeg-data-version", "1")
	r.Header.Set("aeg-metadata-version", "1")
}

// SignHandshake implements providers.HandshakeSigner: the Event Grid
// schema's SubscriptionValidationEvent.
func (p *EventGrid) SignHandshake(r *providers.Request) {
	r.Method = http.MethodPost
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("aeg-event-type", "SubscriptionValidation")
	code := challengeToken(r.Now)
	r.Body = []byte(`[{"id":"2d1781af-3a4c-4d7c-bd0c-e34b19da4e66","topic":"/subscriptions/xx/resourceGroups/rg/providers/Microsoft.EventGrid/topics/t","subject":"","data":{"validationCode":"` + code + `","validationUrl":"https://rp-eastus2.eventgrid.azure.net:553/eventsubscriptions/sub/validate?id=` + code + `"},"eventType":"` + eventGridValidation + `","eventTime":"` + r.Now.UTC().Format("2006-01-02T15:04:05.0000000Z") + `","metadataVersion":"1","dataVersion":"1"}]`)
	p.Sign(r, providers.Identity{})
}
