package builtin_test

import (
	"crypto/rsa"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/hookrunner/hookrunner/providers"
)

func pubsubToken(t *testing.T, key any, alg jose.SignatureAlgorithm, kid string, claims map[string]any) string {
	t.Helper()
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(sig).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestPubSubToken(t *testing.T) {
	kh := servePubSubKeys(t)
	const aud, acct = "https://hooks.example.com/hooks/pubsub", "push@my-project.iam.gserviceaccount.com"
	p := mustNew(t, "pubsub", providers.Settings{Audience: aud, ServiceAccount: acct})
	now := time.Now()
	good := func() map[string]any {
		return map[string]any{"iss": "https://accounts.google.com", "aud": aud, "email": acct, "email_verified": true,
			"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "sub": "1"}
	}
	with := func(k string, v any) map[string]any {
		c := good()
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	var other *rsa.PrivateKey = snsOther
	tests := []struct {
		name  string
		token string
		ok    bool
	}{
		{"google's token", pubsubToken(t, snsKey, jose.RS256, "hookrunner-send", good()), true},
		{"bare issuer form", pubsubToken(t, snsKey, jose.RS256, "hookrunner-send", with("iss", "accounts.google.com")), true},
		{"another audience", pubsubToken(t, snsKey, jose.RS256, "hookrunner-send", with("aud", "https://elsewhere.example")), false},
		{"another service account", pubsubToken(t, snsKey, jose.RS256, "hookrunner-send", with("email", "evil@attacker.iam.gserviceaccount.com")), false},
		{"email not verified", pubsubToken(t, snsKey, jose.RS256, "hookrunner-send", with("email_verified", false)), false},
		{"another issuer", pubsubToken(t, snsKey, jose.RS256, "hookrunner-send", with("iss", "https://evil.example")), false},
		{"expired", pubsubToken(t, snsKey, jose.RS256, "hookrunner-send", with("exp", now.Add(-2*time.Minute).Unix())), false},
		{"no exp", pubsubToken(t, snsKey, jose.RS256, "hookrunner-send", with("exp", nil)), false},
		{"issued in the future", pubsubToken(t, snsKey, jose.RS256, "hookrunner-send", with("iat", now.Add(time.Hour).Unix())), false},
		{"another key", pubsubToken(t, other, jose.RS256, "hookrunner-send", good()), false},
		{"unknown key id", pubsubToken(t, snsKey, jose.RS256, "nope", good()), false},
		{"HS256 with the public key as secret", pubsubToken(t, []byte(strings.Repeat("x", 32)), jose.HS256, "hookrunner-send", good()), false},
		{"alg none", "eyJhbGciOiJub25lIiwia2lkIjoiaG9va3J1bm5lci1zZW5kIn0." + strings.Split(pubsubToken(t, snsKey, jose.RS256, "hookrunner-send", good()), ".")[1] + ".", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := req(map[string]string{"Authorization": "Bearer " + tc.token, "Content-Type": "application/json"}, `{}`, now)
			_, err := p.Verify(r)
			if tc.ok && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !tc.ok && !errors.Is(err, providers.ErrUnauthorized) {
				t.Fatalf("accepted (err %v)", err)
			}
		})
	}
	if n := kh.count("www.googleapis.com/oauth2/v3/certs"); n != 1 {
		t.Fatalf("Google's keys fetched %d times, want once (cached)", n)
	}
	if _, err := p.Verify(req(map[string]string{"Content-Type": "application/json"}, `{}`, now)); !errors.Is(err, providers.ErrUnauthorized) {
		t.Fatalf("no token: %v", err)
	}
}

func TestPubSubPayload(t *testing.T) {
	body, _ := providers.Sample("pubsub", "")
	var doc map[string]any
	if err := jsonUnmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	shaped := providers.ShapePayload("pubsub", doc).(map[string]any)
	if b, _ := shaped["data"].(map[string]any); b["bucket"] != "my-bucket" {
		t.Fatalf("data = %#v", shaped["data"])
	}
	again := providers.ShapePayload("pubsub", shaped).(map[string]any)
	if again["data"].(map[string]any)["bucket"] != "my-bucket" {
		t.Fatal("shaping twice changed the payload")
	}
	text := map[string]any{"message": map[string]any{"data": "aGVsbG8="}}
	if got := providers.ShapePayload("pubsub", text).(map[string]any)["data"]; got != "hello" {
		t.Fatalf("text data = %#v", got)
	}
	p := mustNew(t, "pubsub", providers.Settings{Audience: "a", ServiceAccount: "s@x"})
	if id := p.Identify(nil, doc); id.Event != "OBJECT_FINALIZE" || id.DeliveryID != "2070443601311540" {
		t.Fatalf("identity %+v", id)
	}
	for _, s := range []providers.Settings{{ServiceAccount: "s@x"}, {Audience: "a"}, {Audience: "a", ServiceAccount: "s@x", Secrets: []string{"k"}}} {
		if _, err := providers.New("pubsub", s); err == nil {
			t.Errorf("%+v accepted", s)
		}
	}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
