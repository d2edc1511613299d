package builtin_test

import (
	"crypto/rsa"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/providers"
)

// snsRequest is the sample message named sample, signed by key (as version
// "1" or "2") with SigningCertURL certURL.
func snsRequest(t *testing.T, key *rsa.PrivateKey, sample, version, certURL string, now time.Time) *providers.Request {
	t.Helper()
	body, err := providers.Sample("sns", sample)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	doc["SignatureVersion"], doc["SigningCertURL"] = version, certURL
	body, _ = json.Marshal(doc)
	p := mustNew(t, "sns", providers.Settings{Secrets: []string{pemKey(key)}})
	r := req(map[string]string{"Content-Type": "text/plain; charset=UTF-8"}, string(body), now)
	p.(providers.Signer).Sign(r, providers.Identity{DeliveryID: "msg-1"})
	r.Now = time.Now()
	return r
}

func TestSNS(t *testing.T) {
	kh := serveSNSCert(t)
	const certPath = "sns.us-east-1.amazonaws.com/SimpleNotificationService-hookrunner-send.pem"
	const certURL = "https://" + certPath
	now := time.Now()
	recv := mustNew(t, "sns", providers.Settings{Tolerance: 5 * time.Minute})
	for _, v := range []string{"1", "2"} {
		r := snsRequest(t, snsKey, "Notification", v, certURL, now)
		if _, err := recv.Verify(r); err != nil {
			t.Fatalf("SignatureVersion %s: %v", v, err)
		}
		if id := recv.Identify(r, nil); id.Event != "Notification" || id.DeliveryID != "msg-1" {
			t.Fatalf("identity %+v", id)
		}
	}
	if n := kh.count(certPath); n != 1 {
		t.Fatalf("certificate fetched %d times, want once (cached)", n)
	}
	refusals := []struct {
		name string
		r    *providers.Request
		want string
	}{
		{"other key", snsRequest(t, snsOther, "Notification", "2", certURL, now), "does not match"},
		{"http cert URL", snsRequest(t, snsKey, "Notification", "2", "http://"+certPath, now), "not https"},
		{"foreign host", snsRequest(t, snsKey, "Notification", "2", "https://sns.us-east-1.amazonaws.com.evil.example/x.pem", now), "not allowed"},
		{"look-alike host", snsRequest(t, snsKey, "Notification", "2", "https://sns.amazonaws.com/x.pem", now), "not allowed"},
		{"credentials in URL", snsRequest(t, snsKey, "Notification", "2", "https://u:p@sns.us-east-1.amazonaws.com/x.pem", now), "credentials"},
		{"not a pem", snsRequest(t, snsKey, "Notification", "2", "https://sns.us-east-1.amazonaws.com/x.txt", now), ".pem"},
		{"stale", snsRequest(t, snsKey, "Notification", "2", certURL, now.Add(-time.Hour)), "tolerance"},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			_, err := recv.Verify(tc.r)
			if !errors.Is(err, providers.ErrUnauthorized) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want 401 mentioning %q", err, tc.want)
			}
		})
	}
	unknown := snsRequest(t, snsKey, "Notification", "2", certURL, now)
	unknown.Body = []byte(strings.Replace(string(unknown.Body), `"SignatureVersion":"2"`, `"SignatureVersion":"3"`, 1))
	if _, err := recv.Verify(unknown); err == nil || !strings.Contains(err.Error(), "SignatureVersion") {
		t.Fatalf("SignatureVersion 3: %v", err)
	}
	// Tampering with any signed field breaks the signature.
	r := snsRequest(t, snsKey, "Notification", "2", certURL, now)
	r.Body = []byte(strings.Replace(string(r.Body), "Hello world!", "Hello world?", 1))
	if _, err := recv.Verify(r); err == nil {
		t.Fatal("tampered Message accepted")
	}

	t.Run("topics", func(t *testing.T) {
		p := mustNew(t, "sns", providers.Settings{Topics: []string{"arn:aws:sns:us-west-2:123456789012:Other"}})
		r := snsRequest(t, snsKey, "Notification", "2", certURL, now)
		if err := p.(providers.PayloadChecker).CheckPayload(r, nil); !errors.Is(err, providers.ErrForbidden) {
			t.Fatalf("topic outside topics: %v", err)
		}
	})
	t.Run("confirmation", func(t *testing.T) {
		const confirmPath = "sns.us-west-2.amazonaws.com/"
		r := snsRequest(t, snsKey, "SubscriptionConfirmation", "1", certURL, now)
		if _, err := recv.Verify(r); err != nil {
			t.Fatal(err)
		}
		// Without confirm: not a handshake (stored for a person or a rule).
		if _, _, _, ok := recv.(providers.Handshaker).Handshake(r, nil); ok || kh.count(confirmPath) != 0 {
			t.Fatalf("confirmed without confirm: true (%d GETs)", kh.count(confirmPath))
		}
		conf := mustNew(t, "sns", providers.Settings{Confirm: true})
		status, _, b, ok := conf.(providers.Handshaker).Handshake(r, nil)
		if !ok || status != http.StatusOK || kh.count(confirmPath) != 1 {
			t.Fatalf("confirm: %v %d %s, %d GETs", ok, status, b, kh.count(confirmPath))
		}
		// A SubscribeURL off the SNS hosts is never fetched.
		evil := snsRequest(t, snsKey, "SubscriptionConfirmation", "1", certURL, now)
		evil.Body = []byte(strings.Replace(string(evil.Body), "https://sns.us-west-2.amazonaws.com/", "https://127.0.0.1/", 1))
		if status, _, _, ok := conf.(providers.Handshaker).Handshake(evil, nil); !ok || status != http.StatusBadGateway {
			t.Fatalf("foreign SubscribeURL: %d", status)
		}
	})
	t.Run("signer key must be PEM", func(t *testing.T) {
		if _, err := providers.New("sns", providers.Settings{Secrets: []string{"not a key"}}); err == nil {
			t.Fatal("accepted")
		}
		if _, err := providers.New("sns", providers.Settings{Secrets: []string{string(pem.EncodeToMemory(&pem.Block{Type: "X", Bytes: []byte{1}}))}}); err == nil {
			t.Fatal("accepted")
		}
	})
}
