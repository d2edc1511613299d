package payload_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/payload"
	"github.com/hookrunner/hookrunner/providers"
)

func TestDecodePayload(t *testing.T) {
	tests := []struct {
		ct, body, want string
		err            bool
	}{
		{"application/json", `{"a":1}`, "map[a:1]", false},
		{"application/json; charset=utf-8", `[1,2]`, "[1 2]", false},
		{"", `{"a":"b"}`, "map[a:b]", false},
		{"application/json", `{"a":`, "", true},
		{"application/x-www-form-urlencoded", "command=%2Fdeploy&text=api+prod&tag=a&tag=b", "map[command:/deploy tag:[a b] text:api prod]", false},
		{"application/x-www-form-urlencoded", "payload=%7B%22type%22%3A%22block_actions%22%7D", "map[type:block_actions]", false},
		{"text/plain", "hello", "hello", false},
		{"application/json", strings.Repeat("[", 10001) + strings.Repeat("]", 10001), "", true},
		{"application/json", `{"s":"[[[[[[ not nesting"}`, "map[s:[[[[[[ not nesting]", false},
	}
	for _, tt := range tests {
		got, _, err := payload.Decode(tt.ct, []byte(tt.body))
		if (err != nil) != tt.err {
			t.Errorf("%s %q: err = %v", tt.ct, tt.body, err)
			continue
		}
		if err == nil && fmt.Sprint(got) != tt.want {
			t.Errorf("%s %q = %v, want %s", tt.ct, tt.body, got, tt.want)
		}
	}
}

// The payload rules see at ingress is decoded from what the verification
// covered: a signed request replayed with content its signature does not
// cover is refused, never merged; JSON limits hold wherever the JSON sits;
// and what is accepted decodes at run time (Decode on the stored
// body) to the very payload the rules saw.
func TestDecodeVerified(t *testing.T) {
	const form = "application/x-www-form-urlencoded"
	deep := func(n int) string { return strings.Repeat(`{"a":`, n) + "1" + strings.Repeat("}", n) }
	field := func(json string) string { return url.Values{"payload": {json}}.Encode() }
	push := `{"ref":"refs/heads/dev","after":"abc"}`
	secret := providers.Settings{Secrets: []string{"s3cret"}}
	tests := []struct {
		name, provider string
		settings       providers.Settings
		ct             string
		signed         string // the body the sender signed
		sent           string // the body that arrives; "" means signed
		maxDepth       int
		want           string // fmt of the payload; "" when refused
		err            error  // ErrUncovered, ErrTooDeep, ErrUnauthorized
	}{
		{name: "gitea form post", provider: "gitea", settings: secret, ct: form, signed: field(push),
			want: "map[after:abc ref:refs/heads/dev]"},
		{name: "gitea form replayed with an extra ref field", provider: "gitea", settings: secret, ct: form, signed: field(push),
			sent: field(push) + "&ref=refs%2Fheads%2Fmain", err: payload.ErrUncovered},
		{name: "gogs form replayed with an extra ref field", provider: "gogs", settings: secret, ct: form, signed: field(push),
			sent: field(push) + "&ref=refs%2Fheads%2Fmain", err: payload.ErrUncovered},
		{name: "gitea extra field before the payload", provider: "gitea", settings: secret, ct: form, signed: field(push),
			sent: "ref=refs%2Fheads%2Fmain&" + field(push), err: payload.ErrUncovered},
		{name: "gitea payload field twice", provider: "gitea", settings: secret, ct: form, signed: field(push),
			sent: field(push) + "&" + field(`{"ref":"refs/heads/main"}`), err: payload.ErrUncovered},
		{name: "gogs field with an empty name", provider: "gogs", settings: secret, ct: form, signed: field(push),
			sent: field(push) + "&=x", err: payload.ErrUncovered},
		{name: "gitea field name spelt with an escape", provider: "gitea", settings: secret, ct: form, signed: field(push),
			sent: field(push) + "&pay%6Coad=%7B%7D", err: payload.ErrUncovered},
		{name: "gitea json body", provider: "gitea", settings: secret, ct: "application/json", signed: push,
			want: "map[after:abc ref:refs/heads/dev]"},
		{name: "gitea depth limit inside payload=", provider: "gitea", settings: secret, ct: form, signed: field(deep(40)),
			maxDepth: 32, err: payload.ErrTooDeep},
		{name: "gogs within the depth limit inside payload=", provider: "gogs", settings: secret, ct: form, signed: field(deep(3)),
			maxDepth: 32, want: "map[a:map[a:map[a:1]]]"},
		{name: "github form post signs the whole body", provider: "github", settings: secret, ct: form, signed: field(push),
			want: "map[after:abc ref:refs/heads/dev]"},
		{name: "github form: every field is signed, so every field stays", provider: "github", settings: secret, ct: form,
			signed: field(push) + "&ref=refs%2Fheads%2Fmain", want: "map[payload:" + push + " ref:refs/heads/main]"},
		{name: "github form replayed with an extra field", provider: "github", settings: secret, ct: form, signed: field(push),
			sent: field(push) + "&ref=refs%2Fheads%2Fmain", err: providers.ErrUnauthorized},
		{name: "github depth limit inside payload=", provider: "github", settings: secret, ct: form, signed: field(deep(40)),
			maxDepth: 32, err: payload.ErrTooDeep},
		{name: "github json depth limit", provider: "github", settings: secret, ct: "application/json", signed: deep(40),
			maxDepth: 32, err: payload.ErrTooDeep},
		{name: "slack slash command", provider: "slack", settings: secret, ct: form, signed: "command=%2Fdeploy&text=prod",
			want: "map[command:/deploy text:prod]"},
		{name: "twilio sms", provider: "twilio", settings: secret, ct: form, signed: "From=%2B1555&Body=hi",
			want: "map[Body:hi From:+1555]"},
		{name: "twilio sms replayed with an extra parameter", provider: "twilio", settings: secret, ct: form, signed: "From=%2B1555&Body=hi",
			sent: "From=%2B1555&Body=hi&To=%2B1666", err: providers.ErrUnauthorized},
		{name: "generic verify none takes the body as sent", provider: "generic", settings: providers.Settings{Verify: "none"}, ct: form,
			signed: "a=1&b=2", want: "map[a:1 b:2]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := providers.New(tt.provider, tt.settings)
			if err != nil {
				t.Fatal(err)
			}
			r := request(tt.ct, tt.signed)
			p.(providers.Signer).Sign(r, providers.Identity{})
			if tt.sent != "" {
				sig := r.Header
				r = request(tt.ct, tt.sent)
				r.Header = sig
			}
			cov, err := p.Verify(r)
			if err == nil {
				var got any
				got, _, err = payload.DecodeVerified(tt.ct, r.Body, cov, payload.Limits{MaxJSONDepth: tt.maxDepth})
				if err == nil {
					if s := fmt.Sprint(got); s != tt.want {
						t.Fatalf("payload = %s, want %s", s, tt.want)
					}
					// Run time decodes the stored body: the same payload.
					again, _, err := payload.Decode(tt.ct, r.Body)
					if err != nil || !reflect.DeepEqual(again, got) {
						t.Fatalf("run-time payload = %v (%v), ingress saw %v", again, err, got)
					}
				}
			}
			if tt.err == nil && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if tt.err != nil && !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
		})
	}
}

// A provider that does not say what it verified has its request refused.
func TestDecodeVerifiedUnknownCoverage(t *testing.T) {
	if _, _, err := payload.DecodeVerified("application/json", []byte(`{}`), providers.Coverage{}, payload.Limits{}); !errors.Is(err, payload.ErrUncovered) {
		t.Fatalf("err = %v", err)
	}
	// A signed form field with a body that is not a form is not covered.
	c := providers.Coverage{Scope: providers.ScopeFormField, Field: "payload"}
	if _, _, err := payload.DecodeVerified("application/json", []byte(`{"payload":"x"}`), c, payload.Limits{}); !errors.Is(err, payload.ErrUncovered) {
		t.Fatalf("err = %v", err)
	}
}

func request(ct, body string) *providers.Request {
	r := &providers.Request{Method: "POST", Header: http.Header{"Content-Type": {ct}}, Body: []byte(body), Now: time.Now(),
		URL: &url.URL{Scheme: "http", Host: "127.0.0.1:8080", Path: "/hooks/x"}}
	if f, err := url.ParseQuery(body); err == nil && ct == "application/x-www-form-urlencoded" {
		r.Form = f
	}
	return r
}
