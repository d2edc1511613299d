package builtin

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/hookrunner/hookrunner/internal/exactjson"
	"github.com/hookrunner/hookrunner/providers"
)

// SNS verifies Amazon SNS HTTP(S) deliveries as the AWS SDKs' message
// validators do: the body's Signature is RSA over the canonical string of
// the message's fields (SignatureVersion 1: SHA1withRSA, 2: SHA256withRSA),
// checked with the certificate at SigningCertURL, fetched only over https
// from sns.<region>.amazonaws.com and cached. The signed Timestamp must be
// within the tolerance (AWS publishes no window: 5 minutes; raise it if your
// delivery policy retries longer). topics: limits the TopicArn (another is
// answered 403; without topics the load warns, since AWS signs every
// account's topics alike: topics: ["*"] accepts any on purpose). A
// SubscriptionConfirmation is confirmed (GET SubscribeURL,
// same host rules) only with confirm: true; otherwise it is stored as an
// event for a person or a rule to act on.
type SNS struct {
	topics  []string
	confirm bool
	s       providers.Settings
	fetch   *fetcher
	// signer only (`hookrunner send`, tests): secret is a PEM RSA key.
	key *rsa.PrivateKey
}

var (
	_ providers.Provider       = (*SNS)(nil)
	_ providers.Signer         = (*SNS)(nil)
	_ providers.Handshaker     = (*SNS)(nil)
	_ providers.PayloadChecker = (*SNS)(nil)
)

func init() {
	providers.Register(providers.Info{
		Name: "sns", New: newSNS,
		Formats: providers.FormatJSON | providers.FormatText,
		Doc: providers.Doc{
			Verification: "RSA `Signature` v1 (SHA1) / v2 (SHA256) with the certificate at `SigningCertURL` (https, `sns.<region>.amazonaws.com` only, cached); `topics` allow-list (else 403; none: a load warning, any AWS account's topic is accepted; `[\"*\"]` on purpose)",
			Handshake:    "`SubscriptionConfirmation` confirmed (GET `SubscribeURL`) with `confirm: true`, else stored",
			Event:        "body `Type` (`Notification`, `SubscriptionConfirmation`, …)",
			DeliveryID:   "body `MessageId`",
			ReplayWindow: "`tolerance` (5m) on the signed `Timestamp`",
			Link:         "https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html",
		},
		Samples: samplesOf("sns"), DefaultEvent: "Notification",
	})
	providers.RegisterShaper("sns", snsShape)
}

// snsShape: SNS posts JSON as text/plain; rules see the message's signed
// fields (and the signature's), read as Verify reads them, nothing else:
// never a key SNS does not sign (MessageAttributes, UnsubscribeURL, any
// other), so what rules see is what the signature covered. A body that is
// not a well-formed SNS message (never a verified one) shows as {}.
// Idempotent: a shaped message shapes to itself.
func snsShape(p any) any {
	v := p
	if s, ok := p.(string); ok {
		var err error
		// Shaping reads a verified body (the ingress holds the payload
		// to max_json_depth next): the safety net is enough here.
		if v, err = snsDecode([]byte(s), 0); err != nil {
			return map[string]any{}
		}
	}
	m, err := snsFields(v)
	if err != nil {
		return map[string]any{}
	}
	return m.payload()
}

func newSNS(s providers.Settings) (providers.Provider, error) {
	p := &SNS{topics: s.Topics, confirm: s.Confirm, s: s, fetch: netFetch}
	anyTopic := slices.Equal(s.Topics, []string{"*"})
	if anyTopic {
		p.topics = nil
	}
	for i, t := range p.topics {
		if !strings.HasPrefix(t, "arn:") {
			return nil, fieldErr(fmt.Sprintf("topics[%d]", i), "must be a topic ARN (arn:aws:sns:<region>:<account>:<name>), or topics: [\"*\"] alone for any topic of any AWS account")
		}
	}
	if len(s.Secrets) > 0 {
		blk, _ := pem.Decode([]byte(s.Secrets[0]))
		if blk == nil {
			return nil, fieldErr("secret", "sns needs no secret; one given must be a PEM RSA private key (used by `hookrunner send` only)")
		}
		k, err := parseRSAKey(blk.Bytes)
		if err != nil {
			return nil, fieldErr("secret", "%v", err)
		}
		p.key = k
	}
	if len(s.Topics) == 0 {
		return snsAnyAccount{p}, nil
	}
	return p, nil
}

// snsAnyAccount is an sns source without topics: AWS signs every topic's
// messages with the same certificate, so its signature proves only that
// the message came from SNS, from any AWS account's topic (and with
// confirm: true, any topic that asks is subscribed to). The load warns;
// topics: ["*"] says so on purpose and silences it.
type snsAnyAccount struct{ *SNS }

var _ providers.UnsignedAnyAddress = snsAnyAccount{}

// AllowIPsDoNotHelp implements providers.UnsignedAnyAddress: every
// account's messages come from AWS's addresses.
func (snsAnyAccount) AllowIPsDoNotHelp() {}

// UnsignedReason implements providers.Unsigned.
func (p snsAnyAccount) UnsignedReason() string {
	msg := "sns without topics: accepts any AWS account's topic (SNS signs every topic with the same certificate), so anyone can post through a topic of their own"
	if p.confirm {
		msg += ", and confirm: true subscribes to any topic that asks"
	}
	return msg + "; set topics: [<your topic ARNs>] (allow_ips does not help: every account's messages come from AWS), or topics: [\"*\"] to accept any topic on purpose"
}

func parseRSAKey(der []byte) (*rsa.PrivateKey, error) {
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("not an RSA private key: %w", err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("not an RSA private key")
	}
	return rk, nil
}

// snsMessage is an SNS HTTP(S) message: its signed fields and the
// signature's.
type snsMessage struct {
	Type, MessageID, Token, TopicArn, Subject, Message, SubscribeURL, Timestamp string
	SignatureVersion, Signature, SigningCertURL                                 string
	hasSubject                                                                  bool
}

// snsKeys are the keys of an SNS message, each true when rules see it: the
// signed fields and the signature's. MessageAttributes and UnsubscribeURL
// are sent but not signed: read by nothing, shown to no rule.
var snsKeys = map[string]bool{
	"Type": true, "MessageId": true, "Token": true, "TopicArn": true, "Subject": true, "Message": true,
	"SubscribeURL": true, "Timestamp": true, "SignatureVersion": true, "Signature": true, "SigningCertURL": true,
	"UnsubscribeURL": false, "MessageAttributes": false,
}

// snsMaxKeys bounds the keys of a message: SNS sends at most 13.
const snsMaxKeys = 32

// snsDecode decodes an SNS body once, refusing what two readers could read
// differently: anything but one JSON object, and a key repeated at its top
// level. It runs before the signature is checked, so it is bounded by
// construction: nesting beyond maxDepth (server.max_json_depth) is refused
// before anything is decoded, more than snsMaxKeys keys are refused as
// they are read, and only the values of the keys snsFields reads (the
// signed fields, strings) are decoded, with the payload decoder (exact);
// every other value (MessageAttributes, UnsubscribeURL, any other key) is
// checked to be JSON and skipped, standing as nil. What it allocates is
// bounded by the body's size, whatever the body holds.
func snsDecode(body []byte, maxDepth int) (map[string]any, error) {
	if maxDepth <= 0 || maxDepth > exactjson.MaxDepth {
		maxDepth = exactjson.MaxDepth
	}
	if err := exactjson.CheckDepth(body, maxDepth); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("not a JSON object")
	}
	doc := map[string]any{}
	for dec.More() {
		if len(doc) == snsMaxKeys {
			return nil, fmt.Errorf("more than %d keys", snsMaxKeys)
		}
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		k, _ := t.(string)
		if _, seen := doc[k]; seen {
			return nil, fmt.Errorf("key %q appears more than once", k)
		}
		doc[k] = nil
		if !snsKeys[k] {
			if err := dec.Decode(&skipJSON{}); err != nil {
				return nil, err
			}
			continue
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		if doc[k], err = exactjson.Decode(raw, maxDepth); err != nil {
			return nil, err
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("text after the message")
	}
	return doc, nil
}

// skipJSON takes a JSON value, checked by the decoder, and keeps nothing.
type skipJSON struct{}

func (skipJSON) UnmarshalJSON([]byte) error { return nil }

// snsFields reads the message from a decoded body, by exact key: a key
// that differs from one of snsKeys only in case is refused (a reader
// matching keys case-insensitively, as encoding/json's struct decoding
// does, would read another value than the payload shows), as are a
// missing signed field and a field that is not a string.
func snsFields(v any) (*snsMessage, error) {
	doc, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("not a JSON object")
	}
	for k := range doc {
		if _, known := snsKeys[k]; known {
			continue
		}
		for known := range snsKeys {
			if strings.EqualFold(k, known) {
				return nil, fmt.Errorf("key %q is a case variant of %q", k, known)
			}
		}
	}
	var missing []string
	str := func(k string, required bool) string {
		x, present := doc[k]
		if s, ok := x.(string); ok {
			return s
		}
		if required || present && x != nil {
			missing = append(missing, k)
		}
		return ""
	}
	m := &snsMessage{Type: str("Type", true), MessageID: str("MessageId", true), TopicArn: str("TopicArn", true),
		Message: str("Message", true), Timestamp: str("Timestamp", true), SignatureVersion: str("SignatureVersion", true),
		Signature: str("Signature", true), SigningCertURL: str("SigningCertURL", true)}
	switch m.Type {
	case "Notification":
		m.Subject = str("Subject", false)
		_, m.hasSubject = doc["Subject"].(string)
	case "SubscriptionConfirmation", "UnsubscribeConfirmation":
		m.SubscribeURL, m.Token = str("SubscribeURL", true), str("Token", true)
	default:
		return nil, fmt.Errorf("unknown SNS message Type %q", m.Type)
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("missing or not a string: %s", strings.Join(missing, ", "))
	}
	return m, nil
}

// payload is the message as rules see it: its signed fields and the
// signature's, under SNS's names.
func (m *snsMessage) payload() map[string]any {
	p := map[string]any{"Type": m.Type, "MessageId": m.MessageID, "TopicArn": m.TopicArn, "Message": m.Message,
		"Timestamp": m.Timestamp, "SignatureVersion": m.SignatureVersion, "Signature": m.Signature, "SigningCertURL": m.SigningCertURL}
	if m.Type == "Notification" {
		if m.hasSubject {
			p["Subject"] = m.Subject
		}
	} else {
		p["SubscribeURL"], p["Token"] = m.SubscribeURL, m.Token
	}
	return p
}

// StringToSign is the canonical string SNS signs for m.
func (m *snsMessage) StringToSign() string {
	var b strings.Builder
	kv := func(k, v string) { b.WriteString(k + "\n" + v + "\n") }
	kv("Message", m.Message)
	kv("MessageId", m.MessageID)
	if m.Type == "Notification" {
		if m.Subject != "" {
			kv("Subject", m.Subject)
		}
	} else {
		kv("SubscribeURL", m.SubscribeURL)
	}
	kv("Timestamp", m.Timestamp)
	if m.Type != "Notification" {
		kv("Token", m.Token)
	}
	kv("TopicArn", m.TopicArn)
	kv("Type", m.Type)
	return b.String()
}

func snsHash(version string) (crypto.Hash, error) {
	switch version {
	case "1":
		return crypto.SHA1, nil
	case "2":
		return crypto.SHA256, nil
	}
	return 0, deny("unsupported SignatureVersion %q", version)
}

func digest(h crypto.Hash, s string) []byte {
	if h == crypto.SHA1 {
		d := sha1.Sum([]byte(s))
		return d[:]
	}
	d := sha256.Sum256([]byte(s))
	return d[:]
}

// parseSNS reads an SNS message from the body, as snsShape does, its
// nesting bounded by maxDepth (0: the safety net).
func parseSNS(body []byte, maxDepth int) (*snsMessage, error) {
	v, err := snsDecode(body, maxDepth)
	if err != nil {
		return nil, deny("not an SNS message: %v", err)
	}
	m, err := snsFields(v)
	if err != nil {
		return nil, deny("not an SNS message: %v", err)
	}
	return m, nil
}

// Verify implements providers.Provider.
func (p *SNS) Verify(r *providers.Request) (providers.Coverage, error) {
	return vouch(coversBody, p.verify(r))
}

func (p *SNS) verify(r *providers.Request) error {
	m, err := parseSNS(r.Body, r.MaxJSONDepth)
	if err != nil {
		return err
	}
	if m.Signature == "" {
		return deny("missing Signature")
	}
	h, err := snsHash(m.SignatureVersion)
	if err != nil {
		return err
	}
	t, err := time.Parse(time.RFC3339Nano, m.Timestamp)
	if err != nil {
		return deny("malformed Timestamp %q", m.Timestamp)
	}
	if d := r.Now.Sub(t); d > p.s.Tolerance || d < -p.s.Tolerance {
		return deny("Timestamp %s is outside the %s tolerance", t.UTC().Format(time.RFC3339), p.s.Tolerance)
	}
	sig, err := base64.StdEncoding.DecodeString(m.Signature)
	if err != nil {
		return deny("Signature is not base64")
	}
	pub, err := p.cert(r, m.SigningCertURL)
	if err != nil {
		return deny("signing certificate: %v", err)
	}
	if err := rsa.VerifyPKCS1v15(pub, h, digest(h, m.StringToSign()), sig); err != nil {
		return deny("Signature does not match the message")
	}
	return nil
}

// cert is the RSA key of the signing certificate at rawURL.
func (p *SNS) cert(r *providers.Request, rawURL string) (*rsa.PublicKey, error) {
	if !strings.HasSuffix(strings.SplitN(rawURL, "?", 2)[0], ".pem") {
		return nil, fmt.Errorf("SigningCertURL %q is not a .pem", rawURL)
	}
	b, err := p.fetch.get(r.Ctx(), rawURL, snsHost, true)
	if err != nil {
		return nil, err
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("no PEM certificate at %s", rawURL)
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		return nil, err
	}
	if r.Now.Before(c.NotBefore) || r.Now.After(c.NotAfter) {
		return nil, fmt.Errorf("certificate at %s is not valid now", rawURL)
	}
	pub, ok := c.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("certificate at %s has no RSA key", rawURL)
	}
	return pub, nil
}

// CheckPayload implements providers.PayloadChecker: the topics allow-list.
func (p *SNS) CheckPayload(r *providers.Request, _ any) error {
	if len(p.topics) == 0 {
		return nil
	}
	m, err := parseSNS(r.Body, r.MaxJSONDepth)
	if err != nil {
		return err
	}
	if !slices.Contains(p.topics, m.TopicArn) {
		return forbid("topic %s is not in topics", m.TopicArn)
	}
	return nil
}

// Identify implements providers.Provider.
func (p *SNS) Identify(r *providers.Request, _ any) providers.Identity {
	m, err := parseSNS(r.Body, r.MaxJSONDepth)
	if err != nil {
		return providers.Identity{}
	}
	return providers.Identity{Event: m.Type, DeliveryID: m.MessageID}
}

// Handshake confirms a SubscriptionConfirmation when confirm: true.
func (p *SNS) Handshake(r *providers.Request, _ any) (int, string, []byte, bool) {
	m, err := parseSNS(r.Body, r.MaxJSONDepth)
	if err != nil || m.Type != "SubscriptionConfirmation" || !p.confirm {
		return 0, "", nil, false
	}
	if _, err := p.fetch.get(r.Ctx(), m.SubscribeURL, snsHost, false); err != nil {
		// SNS resends the confirmation; say why this one failed.
		b, _ := json.Marshal(map[string]string{"error": "could not confirm the subscription: " + err.Error()})
		return http.StatusBadGateway, "application/json", b, true
	}
	b, _ := json.Marshal(map[string]any{"confirmed": true, "topic": m.TopicArn})
	return http.StatusOK, "application/json", b, true
}

// Sign implements providers.Signer: the body (a sample SNS message) gets
// a fresh Timestamp and MessageId, the SigningCertURL, and the
// SignatureVersion 2 signature with the secret's private key. SNS posts
// JSON as text/plain.
func (p *SNS) Sign(r *providers.Request, id providers.Identity) {
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.UseNumber()
	if dec.Decode(&doc) != nil || p.key == nil {
		return
	}
	doc["Timestamp"] = r.Now.UTC().Format("2006-01-02T15:04:05.000Z")
	if id.DeliveryID != "" {
		doc["MessageId"] = id.DeliveryID
	}
	if doc["SignatureVersion"] == nil || doc["SignatureVersion"] == "" {
		doc["SignatureVersion"] = "2"
	}
	if s, _ := doc["SigningCertURL"].(string); s == "" {
		doc["SigningCertURL"] = SNSTestCertURL
	}
	doc["Signature"] = ""
	b, _ := json.Marshal(doc)
	m, err := parseSNS(b, 0)
	if err != nil {
		return
	}
	h, err := snsHash(m.SignatureVersion)
	if err != nil {
		return
	}
	sig, err := rsa.SignPKCS1v15(nil, p.key, h, digest(h, m.StringToSign()))
	if err != nil {
		return
	}
	doc["Signature"] = base64.StdEncoding.EncodeToString(sig)
	r.Body, _ = json.Marshal(doc)
	r.Header.Set("Content-Type", "text/plain; charset=UTF-8")
	r.Header.Set("x-amz-sns-message-type", m.Type)
	r.Header.Set("x-amz-sns-message-id", m.MessageID)
	r.Header.Set("x-amz-sns-topic-arn", m.TopicArn)
}

// SNSTestCertURL is the SigningCertURL `hookrunner send` signs with when
// the sample gives none: the receiver must be able to fetch the matching
// certificate there (tests serve it from a local TLS server).
const SNSTestCertURL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-hookrunner-send.pem"

var _ providers.HandshakeSigner = (*SNS)(nil)

// SignHandshake implements providers.HandshakeSigner: the sample
// SubscriptionConfirmation, signed.
func (p *SNS) SignHandshake(r *providers.Request) {
	r.Method = http.MethodPost
	r.Body, _ = samples.ReadFile("samples/sns/SubscriptionConfirmation.json")
	p.Sign(r, providers.Identity{DeliveryID: challengeToken(r.Now)})
}
