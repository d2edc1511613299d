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
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/hookrunner/hookrunner/providers"
)

// SNS verifies Amazon SNS HTTP(S) deliveries as the AWS SDKs' message
// validators do: the body's Signature is RSA over the canonical string of
// the message's fields (SignatureVersion 1: SHA1withRSA, 2: SHA256withRSA),
// checked with the certificate at SigningCertURL, fetched only over https
// from sns.<region>.amazonaws.com and cached. The signed Timestamp must be
// within the tolerance (AWS publishes no window: 5 minutes; raise it if your
// delivery policy retries longer). topics: limits the TopicArn (another is
// answered 403). A SubscriptionConfirmation is confirmed (GET SubscribeURL,
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
			Verification: "RSA `Signature` v1 (SHA1) / v2 (SHA256) with the certificate at `SigningCertURL` (https, `sns.<region>.amazonaws.com` only, cached); `topics` allow-list (else 403)",
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

// snsShape: SNS posts JSON as text/plain; rules see the JSON.
func snsShape(p any) any {
	s, ok := p.(string)
	if !ok {
		return p
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v map[string]any
	if dec.Decode(&v) != nil {
		return p
	}
	return v
}

func newSNS(s providers.Settings) (providers.Provider, error) {
	p := &SNS{topics: s.Topics, confirm: s.Confirm, s: s, fetch: netFetch}
	for i, t := range s.Topics {
		if !strings.HasPrefix(t, "arn:") {
			return nil, fieldErr(fmt.Sprintf("topics[%d]", i), "must be a topic ARN (arn:aws:sns:<region>:<account>:<name>)")
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
	return p, nil
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

// snsMessage is an SNS HTTP(S) message.
type snsMessage struct {
	Type, MessageID, Token, TopicArn, Subject, Message, SubscribeURL, Timestamp string
	SignatureVersion, Signature, SigningCertURL, UnsubscribeURL                 string
}

func (m *snsMessage) UnmarshalJSON(b []byte) error {
	var raw struct {
		Type             string `json:"Type"`
		MessageID        string `json:"MessageId"`
		Token            string `json:"Token"`
		TopicArn         string `json:"TopicArn"`
		Subject          *string
		Message          string `json:"Message"`
		SubscribeURL     string `json:"SubscribeURL"`
		Timestamp        string `json:"Timestamp"`
		SignatureVersion string `json:"SignatureVersion"`
		Signature        string `json:"Signature"`
		SigningCertURL   string `json:"SigningCertURL"`
		UnsubscribeURL   string `json:"UnsubscribeURL"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*m = snsMessage{Type: raw.Type, MessageID: raw.MessageID, Token: raw.Token, TopicArn: raw.TopicArn, Message: raw.Message,
		SubscribeURL: raw.SubscribeURL, Timestamp: raw.Timestamp, SignatureVersion: raw.SignatureVersion, Signature: raw.Signature,
		SigningCertURL: raw.SigningCertURL, UnsubscribeURL: raw.UnsubscribeURL}
	if raw.Subject != nil {
		m.Subject = *raw.Subject
	}
	return nil
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

func parseSNS(body []byte) (*snsMessage, error) {
	var m snsMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, deny("not an SNS message: %v", err)
	}
	switch m.Type {
	case "Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation":
	default:
		return nil, deny("unknown SNS message Type %q", m.Type)
	}
	return &m, nil
}

// Verify implements providers.Provider.
func (p *SNS) Verify(r *providers.Request) (providers.Coverage, error) {
	return vouch(coversBody, p.verify(r))
}

func (p *SNS) verify(r *providers.Request) error {
	m, err := parseSNS(r.Body)
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
	m, err := parseSNS(r.Body)
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
	m, err := parseSNS(r.Body)
	if err != nil {
		return providers.Identity{}
	}
	return providers.Identity{Event: m.Type, DeliveryID: m.MessageID}
}

// Handshake confirms a SubscriptionConfirmation when confirm: true.
func (p *SNS) Handshake(r *providers.Request, _ any) (int, string, []byte, bool) {
	m, err := parseSNS(r.Body)
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
	m, err := parseSNS(b)
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
