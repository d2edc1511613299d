package builtin

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"github.com/hookrunner/hookrunner/providers"
	"sort"
	"strings"
)

// SalesforceOutbound receives Salesforce Outbound Messages (workflow /
// flow "Outbound Message" actions): a SOAP envelope
// soapenv:Envelope/soapenv:Body/notifications holding OrganizationId,
// ActionId, SessionId, EnterpriseUrl, PartnerUrl and 1 to 100 Notification
// elements, each an Id and an sObject (xsi:type="sf:Opportunity", ...).
// Salesforce signs nothing: it offers TLS client certificates and
// published IP ranges (use allow_ips). organization_id (15 or 18
// characters, required) is checked against the message's OrganizationId:
// another organization is answered 403 and nothing is stored; it is an
// identifier, not a secret. Rules see the notifications element with
// Notification always a list; the event type is the sObject type
// ("Opportunity"); the delivery id is the sorted Notification ids, so a
// redelivery is a duplicate. Salesforce redelivers until it receives the
// SOAP acknowledgement, which is sent once the event is durable, and again
// for a duplicate.
type SalesforceOutbound struct {
	org string // the 15-character, case-sensitive form
}

var (
	_ providers.Provider       = (*SalesforceOutbound)(nil)
	_ providers.PayloadChecker = (*SalesforceOutbound)(nil)
	_ providers.Acknowledger   = (*SalesforceOutbound)(nil)
	_ providers.Unsigned       = (*SalesforceOutbound)(nil)
	_ providers.Signer         = (*SalesforceOutbound)(nil)
)

func init() {
	providers.Register(providers.Info{
		Name: "salesforce-outbound", New: newSalesforceOutbound,
		Formats: providers.FormatXML,
		Doc: providers.Doc{
			Verification: "nothing is signed (Salesforce offers TLS client certificates and IP ranges: set `allow_ips`, the load warns without it); `organization_id` must match the message's `OrganizationId` (first 15 characters, case-sensitive), else 403 and nothing stored",
			Handshake:    "answers the SOAP `<Ack>true</Ack>` (200, `text/xml`) once the event is stored, and for a redelivery",
			Event:        "the sObject type (`Opportunity`, from `xsi:type`)",
			DeliveryID:   "the sorted `Notification` ids",
			ReplayWindow: "—",
			Link:         "https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_om_outboundmessaging_understanding.htm",
		},
		Samples: samplesOf("salesforce-outbound"), DefaultEvent: "Opportunity",
	})
	providers.RegisterShaper("salesforce-outbound", func(p any) any {
		if n, ok := SalesforceNotifications(p); ok {
			return n
		}
		return p
	})
}

func newSalesforceOutbound(s providers.Settings) (providers.Provider, error) {
	if s.OrganizationID == "" {
		return nil, fieldErr("organization_id", "required: the 15- or 18-character id of the Salesforce organization that sends (Setup > Company Information)")
	}
	org, err := shortSalesforceID(s.OrganizationID)
	if err != nil {
		return nil, fieldErr("organization_id", "%v", err)
	}
	if !strings.HasPrefix(org, "00D") {
		return nil, fieldErr("organization_id", "%q is not an organization id (those start with 00D)", s.OrganizationID)
	}
	if len(s.Secrets) > 0 || s.Bearer != "" || s.Username != "" || s.Verify != "" {
		return nil, fieldErr("organization_id", "salesforce-outbound takes no secret, bearer, username or verify: Salesforce signs nothing (restrict the source with allow_ips)")
	}
	return &SalesforceOutbound{org: org}, nil
}

// salesforceSuffix is the alphabet of the 3-character case-safe suffix of
// an 18-character Salesforce id.
const salesforceSuffix = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"

// shortSalesforceID checks a 15- or 18-character Salesforce id and returns
// its 15-character, case-sensitive form. The 18-character form adds a
// suffix encoding which of the 15 characters are upper case (so it
// survives case-insensitive systems); it must agree with them.
func shortSalesforceID(id string) (string, error) {
	if len(id) != 15 && len(id) != 18 {
		return "", fmt.Errorf("%q is %d characters: a Salesforce id has 15 or 18", id, len(id))
	}
	for _, c := range id {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return "", fmt.Errorf("%q is not a Salesforce id (letters and digits only)", id)
		}
	}
	if len(id) == 18 && !strings.EqualFold(id[15:], salesforceIDSuffix(id[:15])) {
		return "", fmt.Errorf("%q: the last 3 characters do not match the first 15 (expected %s)", id, salesforceIDSuffix(id[:15]))
	}
	return id[:15], nil
}

func salesforceIDSuffix(id15 string) string {
	var b strings.Builder
	for chunk := 0; chunk < 3; chunk++ {
		bits := 0
		for i := 0; i < 5; i++ {
			if c := id15[chunk*5+i]; c >= 'A' && c <= 'Z' {
				bits |= 1 << i
			}
		}
		b.WriteByte(salesforceSuffix[bits])
	}
	return b.String()
}

// Verify implements providers.Provider: there is nothing to verify before the body
// is read; CheckPayload compares the organization once it is decoded.
func (p *SalesforceOutbound) Verify(*providers.Request) (providers.Coverage, error) {
	return coversNothing, nil
}

// UnsignedReason implements providers.Unsigned.
func (p *SalesforceOutbound) UnsignedReason() string {
	return "Salesforce signs nothing and organization_id is not a secret: anyone who knows it can post; set allow_ips to Salesforce's published IP ranges (and/or require its TLS client certificate at the proxy)"
}

// CheckPayload implements providers.PayloadChecker: the body is an outbound message
// from the configured organization.
func (p *SalesforceOutbound) CheckPayload(_ *providers.Request, payload any) error {
	n, ok := SalesforceNotifications(payload)
	if !ok {
		return fmt.Errorf("not a Salesforce outbound message (no soapenv:Envelope/soapenv:Body/notifications element)")
	}
	got, ok := n["OrganizationId"].(string)
	if !ok {
		return fmt.Errorf("the outbound message has no single OrganizationId")
	}
	short, err := shortSalesforceID(got)
	if err != nil {
		return fmt.Errorf("OrganizationId: %v", err)
	}
	if !equalString(short, p.org) {
		return forbid("OrganizationId %s is not the organization_id of this source", got)
	}
	return nil
}

// Identify implements providers.Provider.
func (p *SalesforceOutbound) Identify(_ *providers.Request, payload any) providers.Identity {
	n, ok := SalesforceNotifications(payload)
	if !ok {
		return providers.Identity{}
	}
	var id providers.Identity
	var ids []string
	for _, x := range n["Notification"].([]any) {
		if v := field(x, "Id"); v != "" {
			ids = append(ids, v)
		}
		if id.Event == "" {
			if t := field(x, "sObject", "@type"); t != "" {
				_, local, found := strings.Cut(t, ":")
				if !found {
					local = t
				}
				id.Event = local
			}
		}
	}
	sort.Strings(ids)
	id.DeliveryID = strings.Join(ids, ",")
	if len(id.DeliveryID) > 200 {
		sum := sha256.Sum256([]byte(id.DeliveryID))
		id.DeliveryID = "sf-" + hex.EncodeToString(sum[:16])
	}
	return id
}

// Sign implements providers.Signer for `hookrunner send`: Salesforce signs nothing;
// it sends the SOAPAction header of a SOAP 1.1 call.
func (p *SalesforceOutbound) Sign(r *providers.Request, _ providers.Identity) {
	r.Header.Set("SOAPAction", `""`)
}

// salesforceAck is the notificationsResponse Salesforce waits for.
const salesforceAck = `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound"><Ack>true</Ack></notificationsResponse></soapenv:Body></soapenv:Envelope>`

// Ack implements providers.Acknowledger.
func (p *SalesforceOutbound) Ack(*providers.Request) (int, string, []byte) {
	return 200, "text/xml; charset=utf-8", []byte(salesforceAck)
}

// SalesforceNotifications is the notifications element of a decoded
// outbound message (or of a payload already reduced to it), with
// Notification always a list.
func SalesforceNotifications(payload any) (map[string]any, bool) {
	m, ok := payload.(map[string]any)
	if !ok {
		return nil, false
	}
	if env, isEnv := m["Envelope"].(map[string]any); isEnv && len(m) == 1 {
		body, _ := env["Body"].(map[string]any)
		if m, ok = body["notifications"].(map[string]any); !ok {
			return nil, false
		}
	} else if _, ok := m["OrganizationId"]; !ok {
		return nil, false
	}
	out := make(map[string]any, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	switch v := m["Notification"].(type) {
	case []any:
	case nil:
		out["Notification"] = []any{}
	default:
		out["Notification"] = []any{v}
	}
	return out, true
}
