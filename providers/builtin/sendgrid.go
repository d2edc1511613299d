package builtin

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"sort"
	"strconv"
	"strings"

	"github.com/hookrunner/hookrunner/providers"
)

// SendGrid (Signed Event Webhook) sends X-Twilio-Email-Event-Webhook-Signature:
// base64 of an ASN.1 ECDSA P-256 signature over SHA-256(X-Twilio-Email-Event-Webhook-Timestamp
// + body). The secret is the verification key SendGrid shows (base64 of the
// DER public key, or PEM); a base64 PKCS#8 or SEC 1 private key also
// verifies, and signs for `hookrunner send`. The timestamp must be within
// the tolerance (SendGrid publishes no window). The body is a list of
// events: the event type is the first one's event ("delivered"), the
// delivery id the sorted sg_event_ids.
type SendGrid struct {
	keys []*ecdsa.PublicKey
	priv *ecdsa.PrivateKey
	s    providers.Settings
}

var (
	_ providers.Provider = (*SendGrid)(nil)
	_ providers.Signer   = (*SendGrid)(nil)
)

func init() {
	providers.Register(providers.Info{
		Name: "sendgrid", New: newSendGrid,
		Formats: providers.FormatJSON,
		Doc: providers.Doc{
			Verification: "`X-Twilio-Email-Event-Webhook-Signature` ECDSA P-256 over timestamp + body (secret = the verification key, base64 DER)",
			Handshake:    "—",
			Event:        "first event's `event`",
			DeliveryID:   "the sorted `sg_event_id`s",
			ReplayWindow: "`tolerance` (5m)",
			Link:         "https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/getting-started-event-webhook-security-features",
		},
		Samples: samplesOf("sendgrid"), DefaultEvent: "delivered",
	})
}

func newSendGrid(s providers.Settings) (providers.Provider, error) {
	if err := requireSecret(s); err != nil {
		return nil, err
	}
	p := &SendGrid{s: s}
	for _, k := range s.Secrets {
		pub, priv, err := parseECKey(k)
		if err != nil {
			return nil, fieldErr("secret", "%v", err)
		}
		p.keys = append(p.keys, pub)
		if priv != nil && p.priv == nil {
			p.priv = priv
		}
	}
	return p, nil
}

// parseECKey reads a P-256 public key (base64 DER SubjectPublicKeyInfo, as
// SendGrid shows it, or PEM) or private key (PKCS#8 or SEC 1).
func parseECKey(s string) (*ecdsa.PublicKey, *ecdsa.PrivateKey, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "-----BEGIN") {
		var b strings.Builder
		for _, line := range strings.Split(s, "\n") {
			if !strings.HasPrefix(strings.TrimSpace(line), "-----") {
				b.WriteString(strings.TrimSpace(line))
			}
		}
		s = b.String()
	}
	der, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, nil, errors.New("must be the base64 verification key SendGrid shows (DER public key)")
	}
	if k, err := x509.ParsePKIXPublicKey(der); err == nil {
		if ec, ok := k.(*ecdsa.PublicKey); ok && ec.Curve == elliptic.P256() {
			return ec, nil, nil
		}
		return nil, nil, errors.New("the key is not an ECDSA P-256 public key")
	}
	var priv *ecdsa.PrivateKey
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		priv, _ = k.(*ecdsa.PrivateKey)
	} else if k, err := x509.ParseECPrivateKey(der); err == nil {
		priv = k
	}
	if priv == nil || priv.Curve != elliptic.P256() {
		return nil, nil, errors.New("not an ECDSA P-256 public key (base64 DER) nor a private key")
	}
	return &priv.PublicKey, priv, nil
}

// Verify implements providers.Provider.
func (p *SendGrid) Verify(r *providers.Request) (providers.Coverage, error) {
	return vouch(coversBody, p.verify(r))
}

func (p *SendGrid) verify(r *providers.Request) error {
	sig, err := base64.StdEncoding.DecodeString(r.Header.Get("X-Twilio-Email-Event-Webhook-Signature"))
	if err != nil || len(sig) == 0 {
		return deny("missing or malformed X-Twilio-Email-Event-Webhook-Signature header")
	}
	ts := r.Header.Get("X-Twilio-Email-Event-Webhook-Timestamp")
	if _, err := checkTimestamp(ts, r.Now, p.s.Tolerance); err != nil {
		return err
	}
	sum := sha256.Sum256(append([]byte(ts), r.Body...))
	for _, k := range p.keys {
		if ecdsa.VerifyASN1(k, sum[:], sig) {
			return nil
		}
	}
	return deny("X-Twilio-Email-Event-Webhook-Signature does not match")
}

// Identify implements providers.Provider.
func (p *SendGrid) Identify(_ *providers.Request, payload any) providers.Identity {
	evs, _ := payload.([]any)
	if len(evs) == 0 {
		return providers.Identity{}
	}
	var ids []string
	for _, e := range evs {
		if id := field(e, "sg_event_id"); id != "" {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return providers.Identity{Event: field(evs[0], "event"), DeliveryID: strings.Join(ids, ",")}
}

// Sign implements providers.Signer (needs a private key as the secret).
func (p *SendGrid) Sign(r *providers.Request, _ providers.Identity) {
	ts := strconv.FormatInt(r.Now.Unix(), 10)
	r.Header.Set("X-Twilio-Email-Event-Webhook-Timestamp", ts)
	if p.priv == nil {
		return
	}
	sum := sha256.Sum256(append([]byte(ts), r.Body...))
	if sig, err := ecdsa.SignASN1(rand.Reader, p.priv, sum[:]); err == nil {
		r.Header.Set("X-Twilio-Email-Event-Webhook-Signature", base64.StdEncoding.EncodeToString(sig))
	}
}
