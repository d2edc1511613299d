package builtin

import (
	"sort"

	"github.com/hookrunner/hookrunner/providers"
)

// Telegram (Bot API setWebhook with secret_token) sends
// X-Telegram-Bot-Api-Secret-Token: the secret_token, compared in constant
// time. Nothing is signed: the token proves the sender, and a changed body
// is not detected (as with any token). Event: the update's kind (the key
// beside update_id: "message", "callback_query"…); delivery: update_id.
type Telegram struct{ secrets []string }

var (
	_ providers.Provider = (*Telegram)(nil)
	_ providers.Signer   = (*Telegram)(nil)
)

func init() {
	providers.Register(providers.Info{
		Name: "telegram", New: newTelegram,
		Formats: providers.FormatJSON,
		Doc: providers.Doc{
			Verification: "`X-Telegram-Bot-Api-Secret-Token` equals the `secret_token` (a token: the body is not signed)",
			Handshake:    "—",
			Event:        "the update's kind (`message`, `callback_query`…)",
			DeliveryID:   "body `update_id`",
			ReplayWindow: "—",
			Link:         "https://core.telegram.org/bots/api#setwebhook",
		},
		Samples: samplesOf("telegram"), DefaultEvent: "message",
	})
}

func newTelegram(s providers.Settings) (providers.Provider, error) {
	if err := requireSecret(s); err != nil {
		return nil, err
	}
	for _, t := range s.Secrets {
		if len(t) > 256 {
			return nil, fieldErr("secret", "a Telegram secret_token is 1-256 characters")
		}
		for _, c := range t {
			if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
				return nil, fieldErr("secret", "a Telegram secret_token may hold only A-Z, a-z, 0-9, _ and -")
			}
		}
	}
	return &Telegram{secrets: s.Secrets}, nil
}

// Verify implements providers.Provider.
func (p *Telegram) Verify(r *providers.Request) (providers.Coverage, error) {
	got := r.Header.Get("X-Telegram-Bot-Api-Secret-Token")
	if got == "" {
		return vouch(coversBody, deny("missing X-Telegram-Bot-Api-Secret-Token header"))
	}
	ok := false
	for _, s := range p.secrets {
		ok = ok || equalString(got, s)
	}
	if !ok {
		return vouch(coversBody, deny("X-Telegram-Bot-Api-Secret-Token does not match"))
	}
	return coversBody, nil
}

// Identify implements providers.Provider.
func (p *Telegram) Identify(_ *providers.Request, payload any) providers.Identity {
	m, _ := payload.(map[string]any)
	var kinds []string
	for k := range m {
		if k != "update_id" {
			kinds = append(kinds, k)
		}
	}
	sort.Strings(kinds)
	ev := ""
	if len(kinds) > 0 {
		ev = kinds[0]
	}
	return providers.Identity{Event: ev, DeliveryID: field(payload, "update_id")}
}

// Sign implements providers.Signer.
func (p *Telegram) Sign(r *providers.Request, _ providers.Identity) {
	r.Header.Set("X-Telegram-Bot-Api-Secret-Token", p.secrets[0])
}
