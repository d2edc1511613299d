package builtin

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/hookrunner/hookrunner/providers"
)

// Slack verifies X-Slack-Signature: "v0=" + hex(HMAC-SHA256(signing secret,
// "v0:" + X-Slack-Request-Timestamp + ":" + body)), timestamp within 5
// minutes. Event: the Events API event type, "url_verification",
// "slash_command" for slash commands, or the interactive payload's type.
type Slack struct {
	secrets []string
	s       providers.Settings
}

var (
	_ providers.Provider   = (*Slack)(nil)
	_ providers.Signer     = (*Slack)(nil)
	_ providers.Handshaker = (*Slack)(nil)
)

func init() {
	providers.Register(providers.Info{
		Name: "slack", New: newSlack,
		Formats: providers.FormatJSON | providers.FormatForm,
		Doc: providers.Doc{
			Verification: "`X-Slack-Signature` `v0=` over `v0:ts:body`",
			Handshake:    "answers `url_verification`",
			Event:        "event type / `slash_command`",
			DeliveryID:   "`event_id` / `trigger_id`",
			ReplayWindow: "`tolerance` (5m)",
			Link:         "https://api.slack.com/authentication/verifying-requests-from-slack",
		},
		Samples: samplesOf("slack"), DefaultEvent: "slash_command",
	})
}

func newSlack(s providers.Settings) (providers.Provider, error) {
	if err := requireSecret(s); err != nil {
		return nil, err
	}
	return &Slack{secrets: s.Secrets, s: s}, nil
}

// Verify implements providers.Provider: the signature covers the whole body, so every
// field of a slash command's or an interaction's form is covered.
func (p *Slack) Verify(r *providers.Request) (providers.Coverage, error) {
	return vouch(coversBody, p.verify(r))
}

func (p *Slack) verify(r *providers.Request) error {
	ts := r.Header.Get("X-Slack-Request-Timestamp")
	if _, err := checkTimestamp(ts, r.Now, p.s.Tolerance); err != nil {
		return err
	}
	got := r.Header.Get("X-Slack-Signature")
	if !strings.HasPrefix(got, "v0=") {
		return deny("missing or malformed X-Slack-Signature")
	}
	sig, err := hex.DecodeString(got[3:])
	if err != nil {
		return deny("X-Slack-Signature is not hex")
	}
	for _, s := range p.secrets {
		if equal(sig, mac(sha256.New, []byte(s), []byte("v0:"+ts+":"), r.Body)) {
			return nil
		}
	}
	return deny("X-Slack-Signature does not match the body")
}

// Identify implements providers.Provider.
func (p *Slack) Identify(r *providers.Request, payload any) providers.Identity {
	if r.Form != nil {
		if r.Form.Get("command") != "" {
			return providers.Identity{Event: "slash_command", DeliveryID: r.Form.Get("trigger_id")}
		}
		if r.Form.Get("payload") != "" { // interactivity: payload is its JSON
			return providers.Identity{Event: field(payload, "type"), DeliveryID: field(payload, "trigger_id")}
		}
		return providers.Identity{Event: "form"}
	}
	switch t := field(payload, "type"); t {
	case "event_callback":
		return providers.Identity{Event: field(payload, "event", "type"), DeliveryID: field(payload, "event_id")}
	default:
		return providers.Identity{Event: t}
	}
}

// Handshake answers the Events API url_verification with its challenge.
func (p *Slack) Handshake(_ *providers.Request, payload any) (int, string, []byte, bool) {
	if field(payload, "type") != "url_verification" {
		return 0, "", nil, false
	}
	b, _ := json.Marshal(map[string]string{"challenge": field(payload, "challenge")})
	return 200, "application/json", b, true
}

// Sign implements providers.Signer; the event type and id travel in the body.
func (p *Slack) Sign(r *providers.Request, _ providers.Identity) {
	ts := strconv.FormatInt(r.Now.Unix(), 10)
	r.Header.Set("X-Slack-Request-Timestamp", ts)
	r.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac(sha256.New, []byte(p.secrets[0]), []byte("v0:"+ts+":"), r.Body)))
}

// SignHandshake implements providers.HandshakeSigner: the Events API's
// url_verification, signed like any request.
func (p *Slack) SignHandshake(r *providers.Request) {
	r.Method = http.MethodPost
	r.Header.Set("Content-Type", "application/json")
	r.Body = []byte(`{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"` + challengeToken(r.Now) + `","type":"url_verification"}`)
	p.Sign(r, providers.Identity{})
}
