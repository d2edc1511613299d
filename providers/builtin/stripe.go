package builtin

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/hookrunner/hookrunner/providers"
)

// Stripe verifies Stripe-Signature "t=<unix>,v1=<hex>[,v1=…][,v0=…]": any v1
// equal to hex(HMAC-SHA256(secret, t + "." + body)) with t within the
// tolerance (default 5 minutes). The whsec_ secret is used as is. Event and
// delivery id come from the body (type, id).
type Stripe struct {
	secrets []string
	s       providers.Settings
}

var (
	_ providers.Provider = (*Stripe)(nil)
	_ providers.Signer   = (*Stripe)(nil)
)

func init() {
	providers.Register(providers.Info{
		Name: "stripe", New: newStripe,
		Formats: providers.FormatJSON,
		Doc: providers.Doc{
			Verification: "`Stripe-Signature` `t=…,v1=…` (any v1; v0 ignored)",
			Handshake:    "—",
			Event:        "body `type`",
			DeliveryID:   "body `id`",
			ReplayWindow: "`tolerance` (5m)",
			Link:         "https://docs.stripe.com/webhooks",
		},
		Samples: samplesOf("stripe"), DefaultEvent: "customer.created",
	})
}

func newStripe(s providers.Settings) (providers.Provider, error) {
	if err := requireSecret(s); err != nil {
		return nil, err
	}
	return &Stripe{secrets: s.Secrets, s: s}, nil
}

// Verify implements providers.Provider.
func (p *Stripe) Verify(r *providers.Request) (providers.Coverage, error) {
	return vouch(coversBody, p.verify(r))
}

func (p *Stripe) verify(r *providers.Request) error {
	h := r.Header.Get("Stripe-Signature")
	if h == "" {
		return deny("missing Stripe-Signature header")
	}
	var ts string
	var sigs [][]byte
	for _, item := range strings.Split(h, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok {
			continue
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			if b, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, b)
			}
		}
	}
	if ts == "" || len(sigs) == 0 {
		return deny("Stripe-Signature has no t= or no v1= entry")
	}
	if _, err := checkTimestamp(ts, r.Now, p.s.Tolerance); err != nil {
		return err
	}
	for _, secret := range p.secrets {
		want := mac(sha256.New, []byte(secret), []byte(ts), []byte("."), r.Body)
		for _, sig := range sigs {
			if equal(sig, want) {
				return nil
			}
		}
	}
	return deny("no v1 signature in Stripe-Signature matches the body")
}

// Identify implements providers.Provider.
func (p *Stripe) Identify(_ *providers.Request, payload any) providers.Identity {
	return providers.Identity{Event: field(payload, "type"), DeliveryID: field(payload, "id")}
}

// Sign implements providers.Signer; the event type and id travel in the body.
func (p *Stripe) Sign(r *providers.Request, _ providers.Identity) {
	ts := strconv.FormatInt(r.Now.Unix(), 10)
	sig := mac(sha256.New, []byte(p.secrets[0]), []byte(ts), []byte("."), r.Body)
	r.Header.Set("Stripe-Signature", "t="+ts+",v1="+hex.EncodeToString(sig))
}
