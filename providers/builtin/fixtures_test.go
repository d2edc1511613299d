package builtin_test

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"net/http"

	"github.com/hookrunner/hookrunner/providers"
	pt "github.com/hookrunner/hookrunner/providers/providertest"
)

// secrets is a fixture's source and its wrong twin: secret: a / secret: b.
func secrets(good, wrong string) (map[string]any, map[string]any) {
	return map[string]any{"secret": good}, map[string]any{"secret": wrong}
}

func simple(good, wrong string) pt.Fixture {
	g, w := secrets(good, wrong)
	return pt.Fixture{Source: g, Wrong: w}
}

func init() {
	for _, name := range []string{"github", "gitea", "gogs", "bitbucket", "shopify"} {
		pt.Add(name, simple("conf-secret", "wrong-secret"))
	}
	pt.Add("github", pt.Fixture{Name: "release", Source: map[string]any{"secret": "s"}, Wrong: map[string]any{"secret": "w"}, Event: "release"})
	pt.Add("shopify", pt.Fixture{Name: "topic", Source: map[string]any{"secret": "s"}, Wrong: map[string]any{"secret": "w"}, Event: "orders/create"})
	pt.Add("stripe", simple("whsec_conf", "whsec_wrong"))
	pt.Add("slack", pt.Fixture{Source: map[string]any{"secret": "slack-signing"}, Wrong: map[string]any{"secret": "other"},
		Answer: func(r *providers.Request) providers.Answer {
			var m map[string]string
			_ = json.Unmarshal(r.Body, &m)
			b, _ := json.Marshal(map[string]string{"challenge": m["challenge"]})
			return providers.Answer{Status: 200, ContentType: "application/json", Body: b}
		}})
	pt.Add("twilio", simple("twilio-token", "other-token"))
	_, priv, _ := ed25519.GenerateKey(nil)
	_, other, _ := ed25519.GenerateKey(nil)
	pt.Add("discord", pt.Fixture{Source: map[string]any{"secret": hex.EncodeToString(priv)}, Wrong: map[string]any{"secret": hex.EncodeToString(other)},
		Answer: func(*providers.Request) providers.Answer {
			return providers.Answer{Status: 200, ContentType: "application/json", Body: []byte(`{"type":1}`)}
		}})
	pt.Add("standardwebhooks", simple("whsec_Y29uZm9ybWFuY2U=", "whsec_d3Jvbmc="))
	pt.Add("gitlab",
		pt.Fixture{Name: "token", Source: map[string]any{"secret": "gl-token"}, Wrong: map[string]any{"secret": "other"},
			Exempt: map[pt.Check]string{pt.Tamper: "X-Gitlab-Token is a shared token, the body is not signed (signing_token signs it: see the signing fixture)",
				pt.Stale: "X-Gitlab-Token carries no timestamp (signing_token does: see the signing fixture)"}},
		pt.Fixture{Name: "signing", Source: map[string]any{"signing_token": "whsec_Y29uZm9ybWFuY2U="}, Wrong: map[string]any{"signing_token": "whsec_d3Jvbmc="}})
	pt.Add("alertmanager", pt.Fixture{Source: map[string]any{"bearer": "am-token"}, Wrong: map[string]any{"bearer": "other"},
		Exempt: map[pt.Check]string{pt.Tamper: "a bearer token proves the sender, Alertmanager signs no body"}})
	pt.Add("grafana",
		pt.Fixture{Source: map[string]any{"secret": "gf"}, Wrong: map[string]any{"secret": "other"},
			Exempt: map[pt.Check]string{pt.Stale: "without timestamp_header Grafana signs no timestamp (see the timestamped fixture)"}},
		pt.Fixture{Name: "timestamped", Source: map[string]any{"secret": "gf", "timestamp_header": "X-Grafana-Alerting-Signature-Timestamp"},
			Wrong: map[string]any{"secret": "other", "timestamp_header": "X-Grafana-Alerting-Signature-Timestamp"}})
	pt.Add("generic",
		pt.Fixture{Name: "hmac", Source: map[string]any{"verify": "hmac", "header": "X-Signature", "prefix": "sha256=", "secret": "g", "event_header": "X-Event", "id_header": "X-Delivery"},
			Wrong: map[string]any{"verify": "hmac", "header": "X-Signature", "prefix": "sha256=", "secret": "w", "event_header": "X-Event", "id_header": "X-Delivery"}},
		pt.Fixture{Name: "token", Source: map[string]any{"verify": "token", "query_param": "token", "secret": "g", "event_header": "X-Event", "id_header": "X-Delivery"},
			Wrong:  map[string]any{"verify": "token", "query_param": "token", "secret": "w", "event_header": "X-Event", "id_header": "X-Delivery"},
			Exempt: map[pt.Check]string{pt.Tamper: "a URL token proves the sender, the body is not signed"}},
	)
	pt.Add("salesforce-outbound", pt.Fixture{Source: map[string]any{"organization_id": "00D5e000001N2XkEAK"}, Wrong: map[string]any{"organization_id": "00D5e000001N2XkEAK"},
		Status: http.StatusOK, Exempt: map[pt.Check]string{
			pt.Tamper: "Salesforce signs nothing (allow_ips is the proof)", pt.Unsigned: "Salesforce signs nothing",
			pt.WrongSecret: "Salesforce has no secret", pt.Handshake: "its Ack answers a delivery, checked by the accept check (Status 200)"}})
	pt.Add("poll", pt.Fixture{Source: map[string]any{"poll": map[string]any{"url": "http://127.0.0.1:9/items", "id": "payload.id"}},
		Wrong: map[string]any{"poll": map[string]any{"url": "http://127.0.0.1:9/items", "id": "payload.id"}},
		Exempt: map[pt.Check]string{pt.Accept: "polled: every pushed request is refused (the unsigned check)",
			pt.Tamper: "polled: there is no signer", pt.WrongSecret: "polled: there is no secret"}})
}
