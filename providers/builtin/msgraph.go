package builtin

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/hookrunner/hookrunner/providers"
)

// MSGraph receives Microsoft Graph change notifications. A new
// subscription is validated with a POST carrying ?validationToken=…,
// answered within 10 seconds with the token as text/plain (nosniff); that
// request carries no secret. Graph signs nothing: every notification in the
// body's value list carries the clientState given when subscribing (the
// source's secret), compared in constant time; one without it refuses the
// whole request.
type MSGraph struct{ secrets []string }

var (
	_ providers.Provider        = (*MSGraph)(nil)
	_ providers.Signer          = (*MSGraph)(nil)
	_ providers.Challenger      = (*MSGraph)(nil)
	_ providers.HandshakeSigner = (*MSGraph)(nil)
)

func init() {
	providers.Register(providers.Info{
		Name: "msgraph", New: newMSGraph,
		Formats: providers.FormatJSON,
		Doc: providers.Doc{
			Verification: "every notification's `clientState` equal to `secret` (Graph signs nothing)",
			Handshake:    "`validationToken` echoed as `text/plain`",
			Event:        "`value[0].changeType` (or `lifecycleEvent`)",
			DeliveryID:   "SHA-256 of the body (Graph sends none)",
			ReplayWindow: "—",
			Link:         "https://learn.microsoft.com/en-us/graph/change-notifications-delivery-webhooks",
		},
		Samples: samplesOf("msgraph"), DefaultEvent: "created",
	})
}

func newMSGraph(s providers.Settings) (providers.Provider, error) {
	if err := requireSecret(s); err != nil {
		return nil, err
	}
	return &MSGraph{secrets: s.Secrets}, nil
}

// Challenge implements providers.Challenger: subscription validation.
func (p *MSGraph) Challenge(r *providers.Request) (*providers.Answer, error) {
	tok := r.URL.Query().Get("validationToken")
	if tok == "" || r.Method == http.MethodOptions {
		return nil, nil
	}
	if !echoable(tok) {
		return nil, deny("validationToken is not printable ASCII")
	}
	return textAnswer(tok), nil
}

// graphValues is the value list of a Graph notification body, read with
// the payload decoder by exact key (never case-insensitively, as struct
// decoding would: rules read the same keys).
func graphValues(body []byte) []map[string]any {
	v, err := decodeBody(body)
	if err != nil {
		return nil
	}
	m, _ := v.(map[string]any)
	list, _ := m["value"].([]any)
	out := make([]map[string]any, 0, len(list))
	for _, e := range list {
		n, _ := e.(map[string]any)
		out = append(out, n)
	}
	return out
}

// Verify implements providers.Provider.
func (p *MSGraph) Verify(r *providers.Request) (providers.Coverage, error) {
	vals := graphValues(r.Body)
	if len(vals) == 0 {
		return providers.Coverage{}, deny("not a Graph notification (no value list)")
	}
	for i, v := range vals {
		cs, ok := v["clientState"].(string)
		if !ok {
			return providers.Coverage{}, deny("value[%d] has no clientState", i)
		}
		match := false
		for _, s := range p.secrets {
			match = equalString(cs, s) || match
		}
		if !match {
			return providers.Coverage{}, deny("value[%d].clientState does not match", i)
		}
	}
	return coversBody, nil
}

// Identify implements providers.Provider.
func (p *MSGraph) Identify(r *providers.Request, _ any) providers.Identity {
	ev := "notification"
	if vals := graphValues(r.Body); len(vals) > 0 {
		if ev = field(vals[0], "changeType"); ev == "" {
			ev = field(vals[0], "lifecycleEvent")
		}
	}
	return providers.Identity{Event: ev, DeliveryID: bodyID(r.Body)}
}

// Sign implements providers.Signer: Graph puts the clientState in every
// notification; the body is re-encoded with it.
func (p *MSGraph) Sign(r *providers.Request, _ providers.Identity) {
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return
	}
	vals, _ := doc["value"].([]any)
	for _, v := range vals {
		if m, ok := v.(map[string]any); ok {
			m["clientState"] = p.secrets[0]
		}
	}
	if b, err := json.Marshal(doc); err == nil {
		r.Body = b
	}
}

// SignHandshake implements providers.HandshakeSigner: the validation POST.
func (p *MSGraph) SignHandshake(r *providers.Request) {
	r.Method, r.Body = http.MethodPost, nil
	r.Header.Set("Content-Type", "text/plain; charset=utf-8")
	r.URL.RawQuery = url.Values{"validationToken": {"Validation: Testing client application reachability for subscription Request-Id: " + challengeToken(r.Now)}}.Encode()
}
