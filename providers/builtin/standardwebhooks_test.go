package builtin_test

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/providers"
	_ "github.com/hookrunner/hookrunner/providers/builtin"
)

// swSig is a v1 signature as the reference libraries compute it, from a
// key given as padded base64.
func swSig(t *testing.T, b64key, id string, ts int64, body string) string {
	t.Helper()
	k, err := base64.StdEncoding.DecodeString(b64key)
	if err != nil {
		t.Fatal(err)
	}
	m := hmac.New(sha256.New, k)
	m.Write([]byte(id + "." + strconv.FormatInt(ts, 10) + "." + body))
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// Vectors and cases from the standard-webhooks reference libraries
// (libraries/python/tests/test_webhooks.py, javascript/src/webhook.test.ts,
// go/webhook_test.go).
func TestStandardWebhooksReferenceVectors(t *testing.T) {
	const (
		msgID   = "msg_p5jXN8AQM9LWM0D4loKWxJek"
		payload = `{"test": 2432232314}`
		ts      = int64(1614265330)
		// test_sign_function / "sign function works"
		published = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	)
	now := time.Unix(ts, 0)
	tests := []struct {
		name   string
		secret string
		sig    string
		ts     int64
		body   string
		ok     bool
	}{
		{name: "published vector, whsec_ prefix", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", sig: published, ok: true},
		{name: "published vector, no prefix", secret: "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", sig: published, ok: true},
		{name: "tampered body", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", sig: published, body: `{"test": 2432232315}`, ok: false},
		{name: "unpadded secret needing one =", secret: "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS", sig: swSig(t, "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS=", msgID, ts, payload), ok: true},
		{name: "unpadded secret needing two ==", secret: "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwBr", sig: swSig(t, "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwBr==", msgID, ts, payload), ok: true},
		{name: "unpadded secret with prefix", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwBr", sig: swSig(t, "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwBr==", msgID, ts, payload), ok: true},
		{name: "padded secret still accepted", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwBr==", sig: swSig(t, "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwBr==", msgID, ts, payload), ok: true},
		{name: "multi signature, valid one among others", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
			sig: "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= " + published + " v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=", ok: true},
		{name: "the valid signature under another version", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", sig: "v2," + strings.TrimPrefix(published, "v1,"), ok: false},
		{name: "invalid signature", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", sig: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA=", ok: false},
		{name: "partial signature", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", sig: "v1,", ok: false},
		{name: "garbage signature", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", sig: "v1,dawfeoifkpqwoekfpqoekf", ok: false},
		{name: "5 minutes old", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", ts: ts - 301, sig: swSig(t, "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", msgID, ts-301, payload), ok: false},
		{name: "5 minutes ahead", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", ts: ts + 301, sig: swSig(t, "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", msgID, ts+301, payload), ok: false},
		{name: "within tolerance", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", ts: ts - 299, sig: swSig(t, "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", msgID, ts-299, payload), ok: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustNew(t, "standardwebhooks", providers.Settings{Secrets: []string{tt.secret}})
			stamp, body := tt.ts, tt.body
			if stamp == 0 {
				stamp = ts
			}
			if body == "" {
				body = payload
			}
			r := &providers.Request{Header: http.Header{}, Body: []byte(body), Now: now}
			r.Header.Set("webhook-id", msgID)
			r.Header.Set("webhook-timestamp", strconv.FormatInt(stamp, 10))
			r.Header.Set("webhook-signature", tt.sig)
			if _, err := p.Verify(r); (err == nil) != tt.ok {
				t.Fatalf("Verify = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

// Our own signer produces the published signature.
func TestStandardWebhooksSignMatchesReference(t *testing.T) {
	p := mustNew(t, "standardwebhooks", providers.Settings{Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}})
	r := &providers.Request{Header: http.Header{"Webhook-Id": {"msg_p5jXN8AQM9LWM0D4loKWxJek"}}, Body: []byte(`{"test": 2432232314}`), Now: time.Unix(1614265330, 0)}
	p.(providers.Signer).Sign(r, providers.Identity{})
	if got := r.Header.Get("webhook-signature"); got != "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=" {
		t.Fatalf("signature = %s", got)
	}
}

func TestStandardWebhooksSecretErrors(t *testing.T) {
	for _, s := range []string{"whsec_", "not base64!", "whsec_%%%", "whpk_AAAA", "whsk_AAAA"} {
		if _, err := providers.New("standardwebhooks", providers.Settings{Secrets: []string{s}}); err == nil {
			t.Errorf("secret %q accepted", s)
		}
	}
}

// v1a: ed25519 signatures checked with a whpk_ public key, made with a
// whsk_ secret key; a v1 key does not accept them and vice versa.
func TestStandardWebhooksAsymmetric(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	now := time.Now()
	body := []byte(`{"type":"invoice.paid"}`)
	signer := mustNew(t, "standardwebhooks", providers.Settings{Secrets: []string{"whsk_" + base64.StdEncoding.EncodeToString(priv.Seed())}})
	r := &providers.Request{Header: http.Header{}, Body: body, Now: now}
	signer.(providers.Signer).Sign(r, providers.Identity{})
	if !strings.HasPrefix(r.Header.Get("webhook-signature"), "v1a,") {
		t.Fatalf("signature %q", r.Header.Get("webhook-signature"))
	}
	verifier := mustNew(t, "standardwebhooks", providers.Settings{Secrets: []string{"whpk_" + base64.RawStdEncoding.EncodeToString(pub)}})
	if _, err := verifier.Verify(r); err != nil {
		t.Fatalf("v1a rejected: %v", err)
	}
	// Alongside a v1 signature for a key we do not hold.
	r.Header.Set("webhook-signature", "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= "+r.Header.Get("webhook-signature"))
	if _, err := verifier.Verify(r); err != nil {
		t.Fatalf("v1a among others rejected: %v", err)
	}
	r.Body = []byte(`{"type":"invoice.void"}`)
	if _, err := verifier.Verify(r); err == nil {
		t.Fatal("tampered body accepted")
	}
	// The signature bytes under v1 against an HMAC key of the same bytes.
	r.Body = body
	sym := mustNew(t, "standardwebhooks", providers.Settings{Secrets: []string{"whsec_" + base64.StdEncoding.EncodeToString(pub)}})
	if _, err := sym.Verify(r); err == nil {
		t.Fatal("v1a signature accepted by a symmetric key")
	}
}
