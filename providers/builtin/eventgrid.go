package builtin

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hookrunner/hookrunner/providers"
)

// EventGrid receives Azure Event Grid deliveries to a webhook. Event Grid
// signs no body; the subscription's endpoint carries the source's secret,
// as a query parameter (?code=… or ?aeg-sas-key=…, in the endpoint URL) or
// in the aeg-sas-key header (a delivery property), compared in constant
// time, or a SAS token made with it (aeg-sas-token or Authorization:
// SharedAccessSignature; the secret is then the base64 key), valid until
// its e= and for this endpoint only. With the Event
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
		Formats: providers.FormatJSON,
		Doc: providers.Doc{
			Verification: "`secret` as `?code=` / `?aeg-sas-key=` in the endpoint URL or the `aeg-sas-key` header, or a SAS token (`aeg-sas-token`) made with it for this URL (no body signature)",
			Handshake:    "`SubscriptionValidationEvent` answered `validationResponse`; CloudEvents `OPTIONS` answered `WebHook-Allowed-Origin`",
			Event:        "`eventType` (Event Grid schema) or `type` (CloudEvents) of the first event",
			DeliveryID:   "`id` of the first event",
			ReplayWindow: "a SAS token's `e=` expiry (a key: —)",
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
	if tok := eventGridSAS(r.Header); tok != "" {
		return p.sas(r, tok)
	}
	got := r.Header.Get("aeg-sas-key")
	if got == "" && r.URL != nil {
		q := r.URL.Query()
		if got = q.Get("code"); got == "" {
			got = q.Get("aeg-sas-key")
		}
	}
	if got == "" {
		return deny("missing aeg-sas-key header, ?code= or a SAS token")
	}
	for _, s := range p.secrets {
		if equalString(got, s) {
			return nil
		}
	}
	return deny("Event Grid key does not match")
}

// eventGridSAS is the SAS token of aeg-sas-token or of
// "Authorization: SharedAccessSignature <token>".
func eventGridSAS(h http.Header) string {
	if t := h.Get("aeg-sas-token"); t != "" {
		return t
	}
	if scheme, tok, ok := strings.Cut(h.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "SharedAccessSignature") {
		return strings.TrimSpace(tok)
	}
	return ""
}

// eventGridExpiry is the format of e= (.NET's DateTime.ToString() in
// en-US, UTC).
const eventGridExpiry = "1/2/2006 3:04:05 PM"

// EventGridSAS is the token "r=<resource>&e=<expiry>&s=<signature>" for
// resource until exp, signed with the base64 key as Event Grid documents:
// s = base64(HMAC-SHA256(key, "r=" + urlencoded resource + "&e=" +
// urlencoded expiry)), every part URL-encoded.
func EventGridSAS(resource string, exp time.Time, key []byte) string {
	unsigned := "r=" + url.QueryEscape(resource) + "&e=" + url.QueryEscape(exp.UTC().Format(eventGridExpiry))
	return unsigned + "&s=" + url.QueryEscape(base64.StdEncoding.EncodeToString(mac(sha256.New, key, []byte(unsigned))))
}

// sas checks a SAS token: signed with a secret (a base64 key), not
// expired, for this endpoint.
func (p *EventGrid) sas(r *providers.Request, tok string) error {
	rawR, rest, ok1 := strings.Cut(strings.TrimPrefix(tok, "r="), "&e=")
	rawE, rawS, ok2 := strings.Cut(rest, "&s=")
	if !strings.HasPrefix(tok, "r=") || !ok1 || !ok2 {
		return deny("malformed SAS token")
	}
	res, err1 := url.QueryUnescape(rawR)
	exp, err2 := url.QueryUnescape(rawE)
	sig, err3 := url.QueryUnescape(rawS)
	if err1 != nil || err2 != nil || err3 != nil {
		return deny("malformed SAS token")
	}
	t, err := time.ParseInLocation(eventGridExpiry, exp, time.UTC)
	if err != nil {
		return deny("malformed SAS expiry %q", exp)
	}
	if !r.Now.Before(t) {
		return deny("SAS token expired at %s", t.Format(time.RFC3339))
	}
	if r.URL == nil || !strings.EqualFold(strings.TrimRight(res, "/"), strings.TrimRight((&url.URL{Scheme: r.URL.Scheme, Host: r.URL.Host, Path: r.URL.Path}).String(), "/")) {
		return deny("SAS token is for another resource")
	}
	for _, s := range p.secrets {
		key, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			continue
		}
		want := base64.StdEncoding.EncodeToString(mac(sha256.New, key, []byte("r="+rawR+"&e="+rawE)))
		if equalString(sig, want) {
			return nil
		}
	}
	return deny("SAS token signature does not match")
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
