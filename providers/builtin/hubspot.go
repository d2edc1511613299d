package builtin

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hookrunner/hookrunner/providers"
)

// HubSpot (v3 signatures) sends X-HubSpot-Signature-v3: base64(HMAC-SHA256(
// the app's client secret, method + URI + body + X-HubSpot-Request-Timestamp)),
// the timestamp in milliseconds and refused when older than the tolerance
// (HubSpot says 5 minutes). The URI is the full URL HubSpot called, with
// the characters HubSpot's table lists (%3A %2F %3F %40 %21 %24 %27 %28
// %29 %2A %2C %3B) decoded; set public_url when a proxy changes it.
// The body is a list of events: the event type is the first one's
// subscriptionType, the delivery id the sorted eventIds.
type HubSpot struct {
	secrets []string
	s       providers.Settings
}

var (
	_ providers.Provider = (*HubSpot)(nil)
	_ providers.Signer   = (*HubSpot)(nil)
)

func init() {
	providers.Register(providers.Info{
		Name: "hubspot", New: newHubSpot,
		Formats: providers.FormatJSON,
		Doc: providers.Doc{
			Verification: "`X-HubSpot-Signature-v3` base64 HMAC-SHA256 of method + URI + body + timestamp (ms) with the client secret; URL from `public_url:` or the proxy headers",
			Handshake:    "—",
			Event:        "first event's `subscriptionType`",
			DeliveryID:   "the sorted `eventId`s",
			ReplayWindow: "`tolerance` (5m)",
			Link:         "https://developers.hubspot.com/docs/api/webhooks/validating-requests",
		},
		Samples: samplesOf("hubspot"), DefaultEvent: "contact.propertyChange",
	})
}

func newHubSpot(s providers.Settings) (providers.Provider, error) {
	if err := requireSecret(s); err != nil {
		return nil, err
	}
	return &HubSpot{secrets: s.Secrets, s: s}, nil
}

var hubspotDecoder = strings.NewReplacer(
	"%3A", ":", "%2F", "/", "%3F", "?", "%40", "@", "%21", "!", "%24", "$",
	"%27", "'", "%28", "(", "%29", ")", "%2A", "*", "%2C", ",", "%3B", ";",
	"%3a", ":", "%2f", "/", "%3f", "?", "%2a", "*", "%2c", ",", "%3b", ";",
)

// HubSpotSignatureV3 is the v3 signature of a request.
func HubSpotSignatureV3(secret, method, uri string, body []byte, timestampMS string) string {
	src := method + hubspotDecoder.Replace(uri)
	return base64.StdEncoding.EncodeToString(mac(sha256.New, []byte(secret), []byte(src), body, []byte(timestampMS)))
}

// Verify implements providers.Provider: method, URL (query included) and
// body are signed.
func (p *HubSpot) Verify(r *providers.Request) (providers.Coverage, error) {
	return vouch(providers.Coverage{Scope: providers.ScopeBody, Query: true}, p.verify(r))
}

func (p *HubSpot) verify(r *providers.Request) error {
	got, err := base64.StdEncoding.DecodeString(r.Header.Get("X-HubSpot-Signature-v3"))
	if err != nil || len(got) == 0 {
		return deny("missing or malformed X-HubSpot-Signature-v3 header")
	}
	ts := r.Header.Get("X-HubSpot-Request-Timestamp")
	ms, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return deny("missing or malformed X-HubSpot-Request-Timestamp")
	}
	if d := r.Now.Sub(time.UnixMilli(ms)); d > p.s.Tolerance || d < -p.s.Tolerance {
		return deny("timestamp %s is outside the %s tolerance", time.UnixMilli(ms).UTC().Format(time.RFC3339), p.s.Tolerance)
	}
	if r.URL == nil {
		return deny("request URL unknown (set public_url)")
	}
	method := r.Method
	if method == "" {
		method = http.MethodPost
	}
	for _, s := range p.secrets {
		want, _ := base64.StdEncoding.DecodeString(HubSpotSignatureV3(s, method, r.URL.String(), r.Body, ts))
		if equal(got, want) {
			return nil
		}
	}
	return deny("X-HubSpot-Signature-v3 does not match (if a proxy rewrites the URL, set public_url)")
}

// Identify implements providers.Provider.
func (p *HubSpot) Identify(_ *providers.Request, payload any) providers.Identity {
	evs, _ := payload.([]any)
	if len(evs) == 0 {
		return providers.Identity{Event: field(payload, "subscriptionType"), DeliveryID: field(payload, "eventId")}
	}
	var ids []string
	for _, e := range evs {
		if id := field(e, "eventId"); id != "" {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return providers.Identity{Event: field(evs[0], "subscriptionType"), DeliveryID: strings.Join(ids, ",")}
}

// Sign implements providers.Signer over r.Method (POST when empty) and r.URL.
func (p *HubSpot) Sign(r *providers.Request, _ providers.Identity) {
	ts := strconv.FormatInt(r.Now.UnixMilli(), 10)
	method := r.Method
	if method == "" {
		method = http.MethodPost
	}
	r.Header.Set("X-HubSpot-Request-Timestamp", ts)
	r.Header.Set("X-HubSpot-Signature-v3", HubSpotSignatureV3(p.secrets[0], method, r.URL.String(), r.Body, ts))
}
