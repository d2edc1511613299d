package builtin

import (
	"crypto/sha256"
	"encoding/base64"

	"github.com/hookrunner/hookrunner/providers"
)

// Flutterwave sends the dashboard's secret hash in verif-hash (compared in
// constant time) and, on current webhooks, flutterwave-signature:
// base64(HMAC-SHA256(secret hash, body)). When flutterwave-signature is
// present it must match (the body is then signed); otherwise verif-hash
// alone proves the sender, as a token, and the body is not signed. Event:
// event ("charge.completed"); delivery: event + "/" + data.id.
type Flutterwave struct{ secrets []string }

var (
	_ providers.Provider = (*Flutterwave)(nil)
	_ providers.Signer   = (*Flutterwave)(nil)
)

func init() {
	providers.Register(providers.Info{
		Name: "flutterwave", New: newFlutterwave,
		Formats: providers.FormatJSON,
		Doc: providers.Doc{
			Verification: "`flutterwave-signature` base64 HMAC-SHA256 of the body when sent, else `verif-hash` equals the secret hash (a token)",
			Handshake:    "—",
			Event:        "body `event`",
			DeliveryID:   "body `event` + `/` + `data.id`",
			ReplayWindow: "—",
			Link:         "https://developer.flutterwave.com/docs/webhooks",
		},
		Samples: samplesOf("flutterwave"), DefaultEvent: "charge.completed",
	})
}

func newFlutterwave(s providers.Settings) (providers.Provider, error) {
	if err := requireSecret(s); err != nil {
		return nil, err
	}
	return &Flutterwave{secrets: s.Secrets}, nil
}

// Verify implements providers.Provider.
func (p *Flutterwave) Verify(r *providers.Request) (providers.Coverage, error) {
	return vouch(coversBody, p.verify(r))
}

func (p *Flutterwave) verify(r *providers.Request) error {
	if h := r.Header.Get("flutterwave-signature"); h != "" {
		sig, err := base64.StdEncoding.DecodeString(h)
		if err != nil {
			return deny("flutterwave-signature is not base64")
		}
		for _, s := range p.secrets {
			if equal(sig, mac(sha256.New, []byte(s), r.Body)) {
				return nil
			}
		}
		return deny("flutterwave-signature does not match the body")
	}
	got := r.Header.Get("verif-hash")
	if got == "" {
		return deny("missing verif-hash and flutterwave-signature headers")
	}
	ok := false
	for _, s := range p.secrets {
		ok = ok || equalString(got, s)
	}
	if !ok {
		return deny("verif-hash does not match")
	}
	return nil
}

// Identify implements providers.Provider.
func (p *Flutterwave) Identify(_ *providers.Request, payload any) providers.Identity {
	ev, id := field(payload, "event"), field(payload, "data", "id")
	if id != "" {
		id = ev + "/" + id
	}
	return providers.Identity{Event: ev, DeliveryID: id}
}

// Sign implements providers.Signer as Flutterwave sends today: both headers.
func (p *Flutterwave) Sign(r *providers.Request, _ providers.Identity) {
	r.Header.Set("verif-hash", p.secrets[0])
	r.Header.Set("flutterwave-signature", base64.StdEncoding.EncodeToString(mac(sha256.New, []byte(p.secrets[0]), r.Body)))
}
