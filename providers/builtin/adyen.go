package builtin

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"sort"
	"strings"

	"github.com/hookrunner/hookrunner/providers"
)

// Adyen (standard payment webhooks) signs each NotificationRequestItem:
// additionalData.hmacSignature = base64(HMAC-SHA256(hex-decoded HMAC key,
// pspReference:originalReference:merchantAccountCode:merchantReference:
// amount.value:amount.currency:eventCode:success)), each value with "\"
// and ":" escaped by "\". Every item must carry a matching signature.
// The HMAC covers those eight fields only (not additionalData, reason,
// paymentMethod…), so the source also requires the basic credentials set
// on the webhook in the Customer Area (username and password), which
// vouch for the rest of the body: Adyen recommends both. Adyen redelivers
// until it reads "[accepted]", sent once the event is stored (and for a
// duplicate). Event: the first item's eventCode; delivery id: each item's
// pspReference:eventCode:success, sorted.
type Adyen struct {
	keys  [][]byte
	creds [][2]string
}

var (
	_ providers.Provider     = (*Adyen)(nil)
	_ providers.Signer       = (*Adyen)(nil)
	_ providers.Acknowledger = (*Adyen)(nil)
)

func init() {
	providers.Register(providers.Info{
		Name: "adyen", New: newAdyen,
		Formats: providers.FormatJSON,
		Doc: providers.Doc{
			Verification: "every item's `additionalData.hmacSignature`: base64 HMAC-SHA256 (hex key) of the 8 notification fields, and basic auth (`username`/`password`) for the rest of the body",
			Handshake:    "answers `[accepted]` once the event is stored, and for a redelivery",
			Event:        "first item's `eventCode`",
			DeliveryID:   "the sorted `pspReference:eventCode:success` of the items",
			ReplayWindow: "—",
			Link:         "https://docs.adyen.com/development-resources/webhooks/verify-hmac-signatures/",
		},
		Samples: samplesOf("adyen"), DefaultEvent: "AUTHORISATION",
	})
}

func newAdyen(s providers.Settings) (providers.Provider, error) {
	if err := requireSecret(s); err != nil {
		return nil, err
	}
	p := &Adyen{}
	for _, k := range s.Secrets {
		b, err := hex.DecodeString(k)
		if err != nil || len(b) == 0 {
			return nil, fieldErr("secret", "must be the HMAC key from the Customer Area (hex)")
		}
		p.keys = append(p.keys, b)
	}
	if s.Username == "" || s.Password == "" {
		return nil, fieldErr("username", "adyen needs username and password (the webhook's basic auth): the HMAC covers 8 fields of each item, not the whole body")
	}
	p.creds = [][2]string{{s.Username, s.Password}}
	return p, nil
}

var adyenEscaper = strings.NewReplacer(`\`, `\\`, `:`, `\:`)

// AdyenSigningString is what an item's HMAC covers.
func AdyenSigningString(it map[string]any) string {
	amount, _ := it["amount"].(map[string]any)
	vals := []string{field(it, "pspReference"), field(it, "originalReference"), field(it, "merchantAccountCode"),
		field(it, "merchantReference"), field(amount, "value"), field(amount, "currency"), field(it, "eventCode"), field(it, "success")}
	for i, v := range vals {
		vals[i] = adyenEscaper.Replace(v)
	}
	return strings.Join(vals, ":")
}

// AdyenHMAC is the hmacSignature of an item (a decoded JSON object).
func AdyenHMAC(key []byte, it map[string]any) string {
	return base64.StdEncoding.EncodeToString(mac(sha256.New, key, []byte(AdyenSigningString(it))))
}

// adyenItems decodes the notification items as the payload decoder does
// (numbers as sent, a repeated key's last value winning whole), so the
// fields the HMAC is checked over are the fields rules see.
func adyenItems(body []byte) ([]map[string]any, error) {
	v, err := decodeBody(body)
	if err != nil {
		return nil, errors.New("body is not an Adyen notification (JSON)")
	}
	list, _ := field2(v, "notificationItems").([]any)
	if len(list) == 0 {
		return nil, errors.New("no notificationItems")
	}
	out := make([]map[string]any, 0, len(list))
	for _, n := range list {
		it, ok := field2(n, "NotificationRequestItem").(map[string]any)
		if !ok {
			return nil, errors.New("an item has no NotificationRequestItem")
		}
		out = append(out, it)
	}
	return out, nil
}

// Verify implements providers.Provider.
func (p *Adyen) Verify(r *providers.Request) (providers.Coverage, error) {
	return vouch(coversBody, p.verify(r))
}

func (p *Adyen) verify(r *providers.Request) error {
	if err := checkBasic(r, p.creds); err != nil {
		return err
	}
	items, err := adyenItems(r.Body)
	if err != nil {
		return deny("%v", err)
	}
	for i, it := range items {
		got, err := base64.StdEncoding.DecodeString(field(it, "additionalData", "hmacSignature"))
		if err != nil || len(got) == 0 {
			return deny("item %d has no additionalData.hmacSignature", i)
		}
		ok := false
		for _, k := range p.keys {
			ok = ok || equal(got, mac(sha256.New, k, []byte(AdyenSigningString(it))))
		}
		if !ok {
			return deny("item %d: hmacSignature does not match", i)
		}
	}
	return nil
}

// Identify implements providers.Provider.
func (p *Adyen) Identify(_ *providers.Request, payload any) providers.Identity {
	list, _ := field2(payload, "notificationItems").([]any)
	var ids []string
	ev := ""
	for _, n := range list {
		it := field2(n, "NotificationRequestItem")
		if ev == "" {
			ev = field(it, "eventCode")
		}
		ids = append(ids, field(it, "pspReference")+":"+field(it, "eventCode")+":"+field(it, "success"))
	}
	sort.Strings(ids)
	return providers.Identity{Event: ev, DeliveryID: strings.Join(ids, ",")}
}

// Ack implements providers.Acknowledger: Adyen expects "[accepted]".
func (p *Adyen) Ack(*providers.Request) (int, string, []byte) {
	return 200, "text/plain; charset=utf-8", []byte("[accepted]")
}

// Sign implements providers.Signer: every item's hmacSignature is set (the
// body is rewritten with the first key, items otherwise as sent) and the
// basic credentials added.
func (p *Adyen) Sign(r *providers.Request, _ providers.Identity) {
	r.Header.Set("Authorization", basicHeader(p.creds[0]))
	var doc map[string]any
	d := json.NewDecoder(bytes.NewReader(r.Body))
	d.UseNumber()
	if d.Decode(&doc) != nil {
		return
	}
	list, _ := doc["notificationItems"].([]any)
	for _, n := range list {
		it, _ := field2(n, "NotificationRequestItem").(map[string]any)
		if it == nil {
			continue
		}
		ad, _ := it["additionalData"].(map[string]any)
		if ad == nil {
			ad = map[string]any{}
			it["additionalData"] = ad
		}
		ad["hmacSignature"] = AdyenHMAC(p.keys[0], it)
	}
	if b, err := json.Marshal(doc); err == nil {
		r.Body = b
	}
}

// field2 returns the raw value at a key of a JSON object.
func field2(v any, key string) any {
	m, _ := v.(map[string]any)
	return m[key]
}
