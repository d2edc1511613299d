package builtin

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/hookrunner/hookrunner/providers"
)

// StandardWebhooks implements the Standard Webhooks specification
// (standardwebhooks.com): webhook-signature is a space-separated list of
// "<version>,<base64 signature>" over "<webhook-id>.<webhook-timestamp>.<body>".
// Symmetric keys ("whsec_" + base64, the prefix optional, padding optional
// as in the reference libraries) give "v1" signatures, HMAC-SHA256; an
// ed25519 public key ("whpk_" + base64) checks "v1a" signatures, and a
// "whsk_" secret key both signs and checks them. Versions a key does not
// use are ignored. The timestamp must be within the tolerance (5m by
// default) either way. Event: the body's "type"; delivery: webhook-id.
//
// svix is the same implementation under Svix's name (Clerk, Resend and the
// other senders that deliver through Svix): it reads svix-id,
// svix-timestamp and svix-signature, falling back to the webhook-* names
// as Svix's libraries do, and signs with the svix-* names.
type StandardWebhooks struct {
	keys   []swKey
	signer *swKey
	s      providers.Settings
	// prefix names the headers: "webhook" or "svix".
	prefix string
}

// swKey is one configured key: an HMAC key (v1) or an ed25519 key (v1a).
type swKey struct {
	hmac []byte
	pub  ed25519.PublicKey
	priv ed25519.PrivateKey
}

var (
	_ providers.Provider = (*StandardWebhooks)(nil)
	_ providers.Signer   = (*StandardWebhooks)(nil)
)

func init() {
	providers.Register(providers.Info{
		Name: "standardwebhooks", New: newStandardWebhooks,
		Formats: providers.FormatJSON,
		Doc: providers.Doc{
			Verification: "`webhook-signature` space-separated list: `v1,` HMAC-SHA256 with a base64 key (`whsec_` prefix and padding optional), `v1a,` Ed25519 with a `whpk_` public key (`whsk_` signs); other versions ignored",
			Handshake:    "—",
			Event:        "body `type`",
			DeliveryID:   "`webhook-id`",
			ReplayWindow: "`tolerance` (5m)",
			Link:         "https://www.standardwebhooks.com/",
		},
		Samples: samplesOf("standardwebhooks"), DefaultEvent: "invoice.paid",
	})
	providers.Register(providers.Info{
		Name: "svix", New: newSvix,
		Formats: providers.FormatJSON,
		Doc: providers.Doc{
			Verification: "`standardwebhooks` under Svix's names: `svix-signature` over `svix-id.svix-timestamp.body` (`webhook-*` names also read), `whsec_` key (Clerk, Resend…)",
			Handshake:    "—",
			Event:        "body `type`",
			DeliveryID:   "`svix-id`",
			ReplayWindow: "`tolerance` (5m)",
			Link:         "https://docs.svix.com/receiving/verifying-payloads/how-manual",
		},
		Samples: samplesOf("svix"), DefaultEvent: "user.created",
	})
}

func newSvix(s providers.Settings) (providers.Provider, error) {
	p, err := newStandardWebhooks(s)
	if err != nil {
		return nil, err
	}
	p.(*StandardWebhooks).prefix = "svix"
	return p, nil
}

// header reads one of the id, timestamp and signature headers. svix reads
// the three svix-* headers when all are present, else the three webhook-*
// ones, never a mix (as Svix's libraries do).
func (p *StandardWebhooks) header(r *providers.Request, name string) string {
	if p.prefix == "svix" && r.Header.Get("svix-id") != "" && r.Header.Get("svix-timestamp") != "" && r.Header.Get("svix-signature") != "" {
		return r.Header.Get("svix-" + name)
	}
	return r.Header.Get("webhook-" + name)
}

func newStandardWebhooks(s providers.Settings) (providers.Provider, error) {
	if err := requireSecret(s); err != nil {
		return nil, err
	}
	p := &StandardWebhooks{s: s, prefix: "webhook"}
	for _, sec := range s.Secrets {
		k, err := parseSWKey(sec)
		if err != nil {
			return nil, fieldErr("secret", "%v", err)
		}
		p.keys = append(p.keys, k)
	}
	for i := range p.keys {
		if p.keys[i].hmac != nil || p.keys[i].priv != nil {
			p.signer = &p.keys[i]
			break
		}
	}
	return p, nil
}

func parseSWKey(secret string) (swKey, error) {
	switch {
	case strings.HasPrefix(secret, "whpk_"):
		b, err := decodeSWBase64(strings.TrimPrefix(secret, "whpk_"))
		if err != nil || len(b) != ed25519.PublicKeySize {
			return swKey{}, errors.New("a whpk_ key must be the base64 of a 32-byte ed25519 public key")
		}
		return swKey{pub: ed25519.PublicKey(b)}, nil
	case strings.HasPrefix(secret, "whsk_"):
		b, err := decodeSWBase64(strings.TrimPrefix(secret, "whsk_"))
		var priv ed25519.PrivateKey
		switch {
		case err == nil && len(b) == ed25519.SeedSize:
			priv = ed25519.NewKeyFromSeed(b)
		case err == nil && len(b) == ed25519.PrivateKeySize:
			priv = ed25519.NewKeyFromSeed(b[:ed25519.SeedSize])
		default:
			return swKey{}, errors.New("a whsk_ key must be the base64 of an ed25519 seed (32 bytes) or private key (64 bytes)")
		}
		return swKey{priv: priv, pub: priv.Public().(ed25519.PublicKey)}, nil
	}
	k, err := StandardWebhooksKey(secret)
	return swKey{hmac: k}, err
}

// StandardWebhooksKey decodes a symmetric signing secret: base64 (padded
// or not), with or without the "whsec_" prefix, as the reference libraries
// read it.
func StandardWebhooksKey(secret string) ([]byte, error) {
	k, err := decodeSWBase64(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return nil, fmt.Errorf("the secret must be base64, optionally prefixed with whsec_: %w", err)
	}
	if len(k) == 0 {
		return nil, errors.New("the secret decodes to an empty key")
	}
	return k, nil
}

// decodeSWBase64 reads standard base64 with its padding optional.
func decodeSWBase64(s string) ([]byte, error) {
	return base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
}

// Verify implements providers.Provider.
func (p *StandardWebhooks) Verify(r *providers.Request) (providers.Coverage, error) {
	return vouch(coversBody, p.verify(r))
}

func (p *StandardWebhooks) verify(r *providers.Request) error {
	id := p.header(r, "id")
	if id == "" {
		return deny("missing %s-id header", p.prefix)
	}
	sec, err := checkTimestamp(p.header(r, "timestamp"), r.Now, p.s.Tolerance)
	if err != nil {
		return err
	}
	// The signed content uses the timestamp as an integer, as the
	// reference libraries format it.
	signed := []byte(id + "." + strconv.FormatInt(sec, 10) + ".")
	found := false
	for _, item := range strings.Fields(p.header(r, "signature")) {
		v, enc, ok := strings.Cut(item, ",")
		if !ok || v != "v1" && v != "v1a" {
			continue
		}
		sig, err := base64.StdEncoding.DecodeString(enc)
		if err != nil {
			continue
		}
		found = true
		for _, k := range p.keys {
			switch {
			case v == "v1" && k.hmac != nil:
				if equal(sig, mac(sha256.New, k.hmac, signed, r.Body)) {
					return nil
				}
			case v == "v1a" && k.pub != nil:
				if ed25519.Verify(k.pub, append(signed[:len(signed):len(signed)], r.Body...), sig) {
					return nil
				}
			}
		}
	}
	if !found {
		return deny("%s-signature has no v1 or v1a signature", p.prefix)
	}
	return deny("no signature in %s-signature matches a configured key", p.prefix)
}

// Identify implements providers.Provider.
func (p *StandardWebhooks) Identify(r *providers.Request, payload any) providers.Identity {
	return providers.Identity{Event: field(payload, "type"), DeliveryID: p.header(r, "id")}
}

// Sign implements providers.Signer with the first key that can sign (a whsk_ key
// signs v1a, a symmetric one v1); webhook-id is kept when set, else it is
// the delivery id asked for.
func (p *StandardWebhooks) Sign(r *providers.Request, ident providers.Identity) {
	if p.signer == nil {
		return
	}
	id := p.header(r, "id")
	if id == "" {
		id = ident.DeliveryID
	}
	if id == "" {
		id = "msg_" + strconv.FormatInt(r.Now.UnixNano(), 36)
	}
	r.Header.Set(p.prefix+"-id", id)
	ts := strconv.FormatInt(r.Now.Unix(), 10)
	r.Header.Set(p.prefix+"-timestamp", ts)
	content := append([]byte(id+"."+ts+"."), r.Body...)
	if p.signer.priv != nil {
		r.Header.Set(p.prefix+"-signature", "v1a,"+base64.StdEncoding.EncodeToString(ed25519.Sign(p.signer.priv, content)))
		return
	}
	r.Header.Set(p.prefix+"-signature", "v1,"+base64.StdEncoding.EncodeToString(mac(sha256.New, p.signer.hmac, content)))
}
