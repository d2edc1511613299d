package builtin

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"time"

	"github.com/hookrunner/hookrunner/providers"
)

// Twitch verifies EventSub webhook messages: Twitch-Eventsub-Message-Signature
// = "sha256=" + hex(HMAC-SHA256(secret, message id + timestamp + body)),
// the RFC 3339 timestamp no older than 10 minutes (Twitch's window). A
// webhook_callback_verification message is answered with its challenge as
// text/plain; a revocation is stored as the event "revocation" (so a rule
// can alert); notifications are named by Twitch-Eventsub-Subscription-Type.
type Twitch struct {
	secrets []string
	s       providers.Settings
}

var (
	_ providers.Provider        = (*Twitch)(nil)
	_ providers.Signer          = (*Twitch)(nil)
	_ providers.Handshaker      = (*Twitch)(nil)
	_ providers.HandshakeSigner = (*Twitch)(nil)
)

// The EventSub headers.
const (
	twitchID      = "Twitch-Eventsub-Message-Id"
	twitchTS      = "Twitch-Eventsub-Message-Timestamp"
	twitchSig     = "Twitch-Eventsub-Message-Signature"
	twitchType    = "Twitch-Eventsub-Message-Type"
	twitchSubType = "Twitch-Eventsub-Subscription-Type"
	twitchSubVer  = "Twitch-Eventsub-Subscription-Version"
)

func init() {
	providers.Register(providers.Info{
		Name: "twitch", New: newTwitch,
		Formats: providers.FormatJSON,
		Doc: providers.Doc{
			Verification: "`Twitch-Eventsub-Message-Signature` HMAC-SHA256 over id + timestamp + body",
			Handshake:    "answers `webhook_callback_verification` with the challenge; `revocation` stored as event `revocation`",
			Event:        "`Twitch-Eventsub-Subscription-Type`",
			DeliveryID:   "`Twitch-Eventsub-Message-Id`",
			ReplayWindow: "`tolerance` (10m)",
			Link:         "https://dev.twitch.tv/docs/eventsub/handling-webhook-events/",
		},
		Samples: samplesOf("twitch"), DefaultEvent: "channel.follow", Tolerance: 10 * time.Minute,
	})
}

func newTwitch(s providers.Settings) (providers.Provider, error) {
	if err := requireSecret(s); err != nil {
		return nil, err
	}
	return &Twitch{secrets: s.Secrets, s: s}, nil
}

func twitchSignature(secret, id, ts string, body []byte) string {
	return "sha256=" + hex.EncodeToString(mac(sha256.New, []byte(secret), []byte(id+ts), body))
}

// Verify implements providers.Provider.
func (p *Twitch) Verify(r *providers.Request) (providers.Coverage, error) {
	return vouch(coversBody, p.verify(r))
}

func (p *Twitch) verify(r *providers.Request) error {
	id, ts, got := r.Header.Get(twitchID), r.Header.Get(twitchTS), r.Header.Get(twitchSig)
	if id == "" || got == "" {
		return deny("missing %s or %s", twitchID, twitchSig)
	}
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return deny("malformed %s %q", twitchTS, ts)
	}
	if d := r.Now.Sub(t); d > p.s.Tolerance || d < -p.s.Tolerance {
		return deny("timestamp %s is outside the %s tolerance", t.UTC().Format(time.RFC3339), p.s.Tolerance)
	}
	if !strings.HasPrefix(got, "sha256=") {
		return deny("%s does not start with sha256=", twitchSig)
	}
	for _, s := range p.secrets {
		if equalString(got, twitchSignature(s, id, ts, r.Body)) {
			return nil
		}
	}
	return deny("%s does not match the body", twitchSig)
}

// Identify implements providers.Provider.
func (p *Twitch) Identify(r *providers.Request, payload any) providers.Identity {
	id := providers.Identity{Event: r.Header.Get(twitchSubType), DeliveryID: r.Header.Get(twitchID)}
	if r.Header.Get(twitchType) == "revocation" {
		id.Event = "revocation"
	}
	if id.Event == "" {
		id.Event = field(payload, "subscription", "type")
	}
	return id
}

// Handshake answers the callback verification with the raw challenge.
func (p *Twitch) Handshake(r *providers.Request, payload any) (int, string, []byte, bool) {
	if r.Header.Get(twitchType) != "webhook_callback_verification" {
		return 0, "", nil, false
	}
	ch := field(payload, "challenge")
	if !echoable(ch) {
		return http.StatusBadRequest, "text/plain; charset=utf-8", []byte("no challenge"), true
	}
	return http.StatusOK, "text/plain; charset=utf-8", []byte(ch), true
}

// Sign implements providers.Signer: a notification of subscription type
// id.Event (else the body's subscription.type) with message id id.DeliveryID.
func (p *Twitch) Sign(r *providers.Request, id providers.Identity) {
	p.sign(r, "notification", id)
}

func (p *Twitch) sign(r *providers.Request, kind string, id providers.Identity) {
	if id.DeliveryID == "" {
		id.DeliveryID = challengeToken(r.Now)
	}
	ts := r.Now.UTC().Format(time.RFC3339Nano)
	r.Header.Set(twitchID, id.DeliveryID)
	r.Header.Set(twitchTS, ts)
	r.Header.Set(twitchType, kind)
	setIf(r.Header, twitchSubType, id.Event)
	r.Header.Set(twitchSubVer, "1")
	r.Header.Set(twitchSig, twitchSignature(p.secrets[0], id.DeliveryID, ts, r.Body))
}

// SignHandshake implements providers.HandshakeSigner.
func (p *Twitch) SignHandshake(r *providers.Request) {
	r.Method = http.MethodPost
	r.Header.Set("Content-Type", "application/json")
	r.Body = []byte(`{"challenge":"` + challengeToken(r.Now) + `","subscription":{"id":"f1c2a387-161a-49f9-a165-0f21d7a4e1c4","status":"webhook_callback_verification_pending","type":"channel.follow","version":"2","cost":1,"condition":{"broadcaster_user_id":"12826","moderator_user_id":"12826"},"transport":{"method":"webhook","callback":"https://example.com/webhooks/callback"},"created_at":"2019-11-16T10:11:12.634234626Z"}}`)
	p.sign(r, "webhook_callback_verification", providers.Identity{Event: "channel.follow"})
}
