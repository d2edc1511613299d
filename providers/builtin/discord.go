package builtin

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"

	"github.com/hookrunner/hookrunner/providers"
)

// Discord verifies X-Signature-Ed25519 (hex) over X-Signature-Timestamp +
// body with the application's public key (the source's secret, hex). The
// secret for signing (tests, `send`) may be a 64-byte hex private key.
type Discord struct {
	keys []ed25519.PublicKey
	priv ed25519.PrivateKey
	s    providers.Settings
}

var (
	_ providers.Provider   = (*Discord)(nil)
	_ providers.KeySigner  = (*Discord)(nil)
	_ providers.Handshaker = (*Discord)(nil)
)

func init() {
	providers.Register(providers.Info{
		Name: "discord", New: newDiscord,
		Formats: providers.FormatJSON,
		Doc: providers.Doc{
			Verification: "Ed25519 over timestamp + body (secret = public key hex)",
			Handshake:    "answers PINGs",
			Event:        "interaction type / event type",
			DeliveryID:   "interaction id",
			ReplayWindow: "`tolerance` (5m)",
			Link:         "https://discord.com/developers/docs/interactions/overview",
		},
		Samples: samplesOf("discord"), DefaultEvent: "application_command",
	})
}

func newDiscord(s providers.Settings) (providers.Provider, error) {
	if err := requireSecret(s); err != nil {
		return nil, err
	}
	d := &Discord{s: s}
	for _, k := range s.Secrets {
		b, err := hex.DecodeString(k)
		switch {
		case err != nil:
			return nil, fieldErr("secret", "must be the application's public key in hex")
		case len(b) == ed25519.PublicKeySize:
			d.keys = append(d.keys, ed25519.PublicKey(b))
		case len(b) == ed25519.PrivateKeySize:
			pk := ed25519.PrivateKey(b)
			d.priv = pk
			d.keys = append(d.keys, pk.Public().(ed25519.PublicKey))
		default:
			return nil, fieldErr("secret", "public key must be %d bytes of hex, got %d", ed25519.PublicKeySize, len(b))
		}
	}
	return d, nil
}

// Verify implements providers.Provider.
func (d *Discord) Verify(r *providers.Request) (providers.Coverage, error) {
	return vouch(coversBody, d.verify(r))
}

func (d *Discord) verify(r *providers.Request) error {
	ts := r.Header.Get("X-Signature-Timestamp")
	if _, err := checkTimestamp(ts, r.Now, d.s.Tolerance); err != nil {
		return err
	}
	sig, err := hex.DecodeString(r.Header.Get("X-Signature-Ed25519"))
	if err != nil || len(sig) != ed25519.SignatureSize {
		return deny("missing or malformed X-Signature-Ed25519")
	}
	msg := append([]byte(ts), r.Body...)
	for _, k := range d.keys {
		if ed25519.Verify(k, msg, sig) {
			return nil
		}
	}
	return deny("X-Signature-Ed25519 does not match")
}

var discordInteraction = map[int64]string{1: "ping", 2: "application_command", 3: "message_component", 4: "application_command_autocomplete", 5: "modal_submit"}

// Identify implements providers.Provider: interactions are named by their type,
// webhook events by event.type ("ping" for the webhook-events PING).
func (d *Discord) Identify(_ *providers.Request, payload any) providers.Identity {
	m, _ := payload.(map[string]any)
	if ev, ok := m["event"].(map[string]any); ok {
		return providers.Identity{Event: field(ev, "type"), DeliveryID: field(ev, "timestamp") + "/" + field(m, "application_id")}
	}
	t, _ := intField(m, "type")
	if t == 0 { // webhook-events PING
		return providers.Identity{Event: "ping"}
	}
	if name, ok := discordInteraction[t]; ok {
		return providers.Identity{Event: name, DeliveryID: field(m, "id")}
	}
	return providers.Identity{Event: "type_" + strconv.FormatInt(t, 10), DeliveryID: field(m, "id")}
}

// Handshake answers PINGs: interactions (type 1) with {"type":1}, webhook
// events (type 0) with 204.
func (d *Discord) Handshake(_ *providers.Request, payload any) (int, string, []byte, bool) {
	m, _ := payload.(map[string]any)
	t, ok := intField(m, "type")
	if !ok {
		return 0, "", nil, false
	}
	if _, isEvent := m["event"]; isEvent {
		return 0, "", nil, false
	}
	if t == 0 {
		return 204, "", nil, true
	}
	if t == 1 {
		return 200, "application/json", []byte(`{"type":1}`), true
	}
	return 0, "", nil, false
}

// Sign implements providers.Signer (needs a private key as the secret); the event
// type and id travel in the body.
func (d *Discord) Sign(r *providers.Request, _ providers.Identity) {
	ts := strconv.FormatInt(r.Now.Unix(), 10)
	r.Header.Set("X-Signature-Timestamp", ts)
	if d.priv != nil {
		r.Header.Set("X-Signature-Ed25519", hex.EncodeToString(ed25519.Sign(d.priv, append([]byte(ts), r.Body...))))
	}
}

// SigningKey implements providers.KeySigner: with only the public key in
// the config, signing needs the application's private key.
func (d *Discord) SigningKey() string {
	if d.priv != nil {
		return ""
	}
	return "the application's Ed25519 private key (hex: a 32-byte seed or the 64-byte key)"
}

// WithSigningKey implements providers.KeySigner: key is hex, a 32-byte
// seed or a 64-byte private key, whose public key must be one the source
// verifies with (else every request signed with it would be refused).
func (d *Discord) WithSigningKey(key []byte) (providers.Signer, error) {
	b, err := hex.DecodeString(string(bytes.TrimSpace(key)))
	if err != nil {
		return nil, fmt.Errorf("signing key: not hex")
	}
	var pk ed25519.PrivateKey
	switch len(b) {
	case ed25519.SeedSize:
		pk = ed25519.NewKeyFromSeed(b)
	case ed25519.PrivateKeySize:
		pk = ed25519.PrivateKey(b)
	default:
		return nil, fmt.Errorf("signing key: want %d or %d bytes of hex, got %d", ed25519.SeedSize, ed25519.PrivateKeySize, len(b))
	}
	pub := pk.Public().(ed25519.PublicKey)
	for _, k := range d.keys {
		if k.Equal(pub) {
			c := *d
			c.priv = pk
			return &c, nil
		}
	}
	return nil, fmt.Errorf("signing key: its public key %s is not the source's secret: the server would refuse what it signs", hex.EncodeToString(pub))
}

// SignHandshake implements providers.HandshakeSigner: the interactions
// PING Discord sends when the endpoint URL is saved.
func (d *Discord) SignHandshake(r *providers.Request) {
	r.Method = http.MethodPost
	r.Header.Set("Content-Type", "application/json")
	r.Body = []byte(`{"id":"` + strconv.FormatInt(r.Now.UnixNano(), 10) + `","application_id":"1","type":1,"token":"` + challengeToken(r.Now) + `","version":1}`)
	d.Sign(r, providers.Identity{})
}
