package providers

import (
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
)

// StandardWebhooks implements standardwebhooks.com: webhook-signature is a
// space-separated list of "v1,<base64 HMAC-SHA256(key, id.timestamp.body)>";
// a "whsec_" secret is base64-decoded to the key (other secrets are used as
// raw bytes); the timestamp must be within the tolerance. Event: the body's
// "type"; delivery: webhook-id.
type StandardWebhooks struct {
	keys [][]byte
	s    Settings
}

var (
	_ Provider = (*StandardWebhooks)(nil)
	_ Signer   = (*StandardWebhooks)(nil)
)

func init() { Register("standardwebhooks", newStandardWebhooks) }

func newStandardWebhooks(s Settings) (Provider, error) {
	if err := requireSecret(s); err != nil {
		return nil, err
	}
	p := &StandardWebhooks{s: s}
	for _, sec := range s.Secrets {
		k, err := StandardWebhooksKey(sec)
		if err != nil {
			return nil, fieldErr("secret", "%v", err)
		}
		p.keys = append(p.keys, k)
	}
	return p, nil
}

// StandardWebhooksKey decodes a whsec_ secret.
func StandardWebhooksKey(secret string) ([]byte, error) {
	if rest, ok := strings.CutPrefix(secret, "whsec_"); ok {
		k, err := base64.StdEncoding.DecodeString(rest)
		if err != nil {
			return nil, err
		}
		return k, nil
	}
	return []byte(secret), nil
}

// Verify implements Provider.
func (p *StandardWebhooks) Verify(r *Request) (Coverage, error) {
	return vouch(coversBody, p.verify(r))
}

func (p *StandardWebhooks) verify(r *Request) error {
	id := r.Header.Get("webhook-id")
	ts := r.Header.Get("webhook-timestamp")
	if id == "" {
		return deny("missing webhook-id header")
	}
	if _, err := checkTimestamp(ts, r.Now, p.s.Tolerance); err != nil {
		return err
	}
	var sigs [][]byte
	for _, item := range strings.Fields(r.Header.Get("webhook-signature")) {
		v, sig, ok := strings.Cut(item, ",")
		if !ok || v != "v1" {
			continue
		}
		if b, err := base64.StdEncoding.DecodeString(sig); err == nil {
			sigs = append(sigs, b)
		}
	}
	if len(sigs) == 0 {
		return deny("webhook-signature has no v1 signature")
	}
	for _, k := range p.keys {
		want := mac(sha256.New, k, []byte(id+"."+ts+"."), r.Body)
		for _, s := range sigs {
			if equal(s, want) {
				return nil
			}
		}
	}
	return deny("no v1 signature in webhook-signature matches")
}

// Identify implements Provider.
func (p *StandardWebhooks) Identify(r *Request, payload any) Identity {
	return Identity{Event: field(payload, "type"), DeliveryID: r.Header.Get("webhook-id")}
}

// Sign implements Signer; webhook-id is kept when set.
func (p *StandardWebhooks) Sign(r *Request) {
	id := r.Header.Get("webhook-id")
	if id == "" {
		id = "msg_" + strconv.FormatInt(r.Now.UnixNano(), 36)
		r.Header.Set("webhook-id", id)
	}
	ts := strconv.FormatInt(r.Now.Unix(), 10)
	r.Header.Set("webhook-timestamp", ts)
	r.Header.Set("webhook-signature", "v1,"+base64.StdEncoding.EncodeToString(mac(sha256.New, p.keys[0], []byte(id+"."+ts+"."), r.Body)))
}
