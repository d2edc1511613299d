package builtin_test

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"testing"

	"github.com/hookrunner/hookrunner/providers"
	"github.com/hookrunner/hookrunner/providers/builtin"
	pt "github.com/hookrunner/hookrunner/providers/providertest"
)

// text is the exact text/plain answer echoing s.
func text(s string) providers.Answer {
	return providers.Answer{Status: http.StatusOK, ContentType: "text/plain", Body: []byte(s)}
}

func jsonAnswer(v any) providers.Answer {
	b, _ := json.Marshal(v)
	return providers.Answer{Status: http.StatusOK, ContentType: "application/json", Body: b}
}

func init() {
	pt.Add("meta", pt.Fixture{
		Source: map[string]any{"secret": "app-secret", "verify_token": "meta-verify"},
		Wrong:  map[string]any{"secret": "other-secret", "verify_token": "other-verify"},
		Answer: func(r *providers.Request) providers.Answer { return text(r.URL.Query().Get("hub.challenge")) },
	}, pt.Fixture{Name: "messenger", Event: "page.messaging",
		Source: map[string]any{"secret": "app-secret", "verify_token": "meta-verify"},
		Wrong:  map[string]any{"secret": "other-secret", "verify_token": "other-verify"},
		Answer: func(r *providers.Request) providers.Answer { return text(r.URL.Query().Get("hub.challenge")) },
	})
	pt.Add("zoom", pt.Fixture{
		Source: map[string]any{"secret": "zoom-secret-token"}, Wrong: map[string]any{"secret": "other"},
		Answer: func(r *providers.Request) providers.Answer {
			var m struct {
				Payload struct {
					PlainToken string `json:"plainToken"`
				} `json:"payload"`
			}
			_ = json.Unmarshal(r.Body, &m)
			// As Zoom's docs write it: plainToken first.
			return providers.Answer{Status: http.StatusOK, ContentType: "application/json",
				Body: []byte(`{"plainToken":"` + m.Payload.PlainToken + `","encryptedToken":"` + hmacHex("zoom-secret-token", m.Payload.PlainToken) + `"}`)}
		},
	})
	pt.Add("twitch", pt.Fixture{
		Source: map[string]any{"secret": "twitch-secret-0123"}, Wrong: map[string]any{"secret": "other-secret-0123"},
		Answer: func(r *providers.Request) providers.Answer {
			var m map[string]any
			_ = json.Unmarshal(r.Body, &m)
			return text(m["challenge"].(string))
		},
	})
	pt.Add("dropbox", pt.Fixture{
		Source: map[string]any{"secret": "dbx-app-secret"}, Wrong: map[string]any{"secret": "other"},
		Answer: func(r *providers.Request) providers.Answer { return text(r.URL.Query().Get("challenge")) },
		Exempt: map[pt.Check]string{pt.HandshakeAuth: "Dropbox's GET challenge carries no secret: it is echoed to anyone, nothing else"},
	})
	pt.Add("x", pt.Fixture{
		Source: map[string]any{"secret": "consumer-secret"}, Wrong: map[string]any{"secret": "other"},
		Answer: func(r *providers.Request) providers.Answer {
			return jsonAnswer(map[string]string{"response_token": "sha256=" + hmacB64("consumer-secret", r.URL.Query().Get("crc_token"))})
		},
		Exempt: map[pt.Check]string{pt.HandshakeAuth: "the CRC request is not signed: its answer proves the receiver's secret to X"},
	})
	pt.Add("xero", pt.Fixture{
		Source: map[string]any{"secret": "xero-webhook-key"}, Wrong: map[string]any{"secret": "other"}, Status: http.StatusOK,
		Answer: func(*providers.Request) providers.Answer {
			return providers.Answer{Status: http.StatusOK, Body: []byte{}}
		},
	})
	pt.Add("okta", pt.Fixture{
		Source: map[string]any{"secret": "okta-hook-secret"}, Wrong: map[string]any{"secret": "other"},
		Answer: func(r *providers.Request) providers.Answer {
			return jsonAnswer(map[string]string{"verification": r.Header.Get("X-Okta-Verification-Challenge")})
		},
		Exempt: map[pt.Check]string{pt.Tamper: "Okta sends a secret header and signs no body"},
	})
	pt.Add("msgraph", pt.Fixture{
		Source: map[string]any{"secret": "graph-client-state"}, Wrong: map[string]any{"secret": "other"},
		Answer: func(r *providers.Request) providers.Answer { return text(r.URL.Query().Get("validationToken")) },
		Exempt: map[pt.Check]string{pt.Tamper: "Graph signs nothing: clientState proves the sender, not the rest of the body",
			pt.HandshakeAuth: "Graph's validation request carries no secret (the token is echoed, nothing stored)"},
	})
	pt.Add("mailchimp", pt.Fixture{
		Source: map[string]any{"secret": "url-token"}, Wrong: map[string]any{"secret": "other"},
		Answer: func(*providers.Request) providers.Answer {
			return providers.Answer{Status: http.StatusOK, Body: []byte{}}
		},
		Exempt: map[pt.Check]string{pt.Tamper: "Mailchimp signs nothing: a URL token proves the sender knows the URL, not the body"},
	})
}

func hmacHex(secret, msg string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(msg))
	return hex.EncodeToString(m.Sum(nil))
}

func hmacB64(secret, msg string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(msg))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func init() {
	pt.Add("zalo", pt.Fixture{Source: map[string]any{"secret": "oa-secret-key", "app_id": "360846524940903967"},
		Wrong: map[string]any{"secret": "other", "app_id": "360846524940903967"}})
	pt.Add("eventgrid", pt.Fixture{Source: map[string]any{"secret": "eg-key"}, Wrong: map[string]any{"secret": "other"},
		Answer: func(r *providers.Request) providers.Answer {
			var evs []struct {
				Data struct {
					ValidationCode string `json:"validationCode"`
				} `json:"data"`
			}
			_ = json.Unmarshal(r.Body, &evs)
			return jsonAnswer(map[string]string{"validationResponse": evs[0].Data.ValidationCode})
		},
		Exempt: map[pt.Check]string{pt.Tamper: "Event Grid signs nothing: the key proves the sender, not the body",
			pt.Stale: "send uses the key, which carries no time; SAS expiry is tested in TestEventGridSAS"}})
}

// snsKey signs the SNS fixtures; its certificate is served by a keyHost at
// builtin.SNSTestCertURL.
var snsKey, snsOther = mustRSA(), mustRSA()

func mustRSA() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}

// serveSNSCert starts a keyHost serving snsKey's certificate and answering
// subscription confirmations.
func serveSNSCert(t *testing.T) *keyHost {
	kh := startKeyHost(t)
	cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: selfSigned(t, snsKey, "sns.amazonaws.com")})
	kh.serve("sns.us-east-1.amazonaws.com/SimpleNotificationService-hookrunner-send.pem", cert)
	kh.serve("sns.us-west-2.amazonaws.com/", []byte("<ConfirmSubscriptionResponse/>"))
	return kh
}

func init() {
	const topic = "arn:aws:sns:us-west-2:123456789012:MyTopic"
	pt.Add("sns", pt.Fixture{
		Source: map[string]any{"secret": pemKey(snsKey), "confirm": true, "topics": []string{topic}},
		Wrong:  map[string]any{"secret": pemKey(snsOther), "confirm": true, "topics": []string{topic}},
		Setup:  func(t *testing.T) { serveSNSCert(t) },
		Answer: func(r *providers.Request) providers.Answer {
			return providers.Answer{Status: http.StatusOK, ContentType: "application/json", Body: []byte(`{"confirmed":true,"topic":"` + topic + `"}`)}
		},
	})
}

// servePubSubKeys starts a keyHost serving snsKey's public key as Google's.
func servePubSubKeys(t *testing.T) *keyHost {
	kh := startKeyHost(t)
	kh.serve("www.googleapis.com/oauth2/v3/certs", builtin.PubSubKeySet(&snsKey.PublicKey))
	return kh
}

func init() {
	src := func(k *rsa.PrivateKey) map[string]any {
		return map[string]any{"secret": pemKey(k), "audience": "https://hooks.example.com/hooks/pubsub",
			"service_account": "push@my-project.iam.gserviceaccount.com"}
	}
	pt.Add("pubsub", pt.Fixture{Source: src(snsKey), Wrong: src(snsOther), WantEvent: "OBJECT_FINALIZE",
		Setup:  func(t *testing.T) { servePubSubKeys(t) },
		Exempt: map[pt.Check]string{pt.Tamper: "the OIDC token authenticates the sender, Pub/Sub signs no body"}})
}
