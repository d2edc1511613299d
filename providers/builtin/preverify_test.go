package builtin_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/providers"
)

// Handshakes that come as GET, HEAD or OPTIONS, through a running server:
// answered exactly, refused without the secret, never stored; a GET that
// is no handshake is 405.
func TestPreVerificationHandshakesThroughServer(t *testing.T) {
	type exchange struct {
		name   string
		method string
		query  url.Values
		header map[string]string
		status int
		body   string
		want   map[string]string
	}
	tests := []struct {
		provider string
		source   map[string]any
		ex       []exchange
	}{
		{"eventgrid", map[string]any{"secret": "eg-key"}, []exchange{
			{name: "cloudevents OPTIONS", method: http.MethodOptions, query: url.Values{"code": {"eg-key"}},
				header: map[string]string{"WebHook-Request-Origin": "eventgrid.azure.net"}, status: 200,
				want: map[string]string{"WebHook-Allowed-Origin": "eventgrid.azure.net", "WebHook-Allowed-Rate": "*"}},
			{name: "OPTIONS key in header", method: http.MethodOptions,
				header: map[string]string{"WebHook-Request-Origin": "eventgrid.azure.net", "aeg-sas-key": "eg-key"}, status: 200},
			{name: "OPTIONS without the key", method: http.MethodOptions,
				header: map[string]string{"WebHook-Request-Origin": "eventgrid.azure.net"}, status: 401},
			{name: "OPTIONS with a wrong key", method: http.MethodOptions, query: url.Values{"code": {"nope"}},
				header: map[string]string{"WebHook-Request-Origin": "eventgrid.azure.net"}, status: 401},
			{name: "origin list refused", method: http.MethodOptions, query: url.Values{"code": {"eg-key"}},
				header: map[string]string{"WebHook-Request-Origin": "a.example, b.example"}, status: 401},
			{name: "GET is no handshake", method: http.MethodGet, status: 405},
		}},
		{"meta", map[string]any{"secret": "s", "verify_token": "vt"}, []exchange{
			{name: "HEAD verification", method: http.MethodHead, query: url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {"vt"}, "hub.challenge": {"42"}}, status: 200},
			{name: "wrong token is 403", method: http.MethodGet, query: url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {"x"}, "hub.challenge": {"42"}}, status: 403},
			{name: "challenge with a newline", method: http.MethodGet, query: url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {"vt"}, "hub.challenge": {"<b>\n"}}, status: 401},
			{name: "plain GET", method: http.MethodGet, status: 405},
			{name: "OPTIONS", method: http.MethodOptions, status: 405},
		}},
		{"okta", map[string]any{"secret": "Basic b2t0YTpob29r"}, []exchange{
			{name: "verification", method: http.MethodGet, header: map[string]string{"X-Okta-Verification-Challenge": "abc", "Authorization": "Basic b2t0YTpob29r"}, status: 200, body: `{"verification":"abc"}`},
			{name: "verification without the header secret", method: http.MethodGet, header: map[string]string{"X-Okta-Verification-Challenge": "abc"}, status: 401},
		}},
		{"mailchimp", map[string]any{}, []exchange{
			{name: "validation GET without a token configured", method: http.MethodGet, status: 200, body: ""},
		}},
		{"x", map[string]any{"secret": "consumer"}, []exchange{
			{name: "CRC", method: http.MethodGet, query: url.Values{"crc_token": {"crc"}}, status: 200,
				body: `{"response_token":"sha256=` + hmacB64("consumer", "crc") + `"}`},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.provider, func(t *testing.T) {
			srv := startConformance(t, tc.provider, tc.source, tc.source).(*conformance)
			for _, ex := range tc.ex {
				h := http.Header{}
				for k, v := range ex.header {
					h.Set(k, v)
				}
				r := &providers.Request{Method: ex.method, URL: &url.URL{RawQuery: ex.query.Encode()}, Header: h, Now: time.Now()}
				status, hdr, body := srv.Do(t, r)
				if status != ex.status {
					t.Errorf("%s: %d %s, want %d", ex.name, status, body, ex.status)
				}
				if ex.body != "" && string(body) != ex.body {
					t.Errorf("%s: body %q, want %q", ex.name, body, ex.body)
				}
				for k, v := range ex.want {
					if hdr.Get(k) != v {
						t.Errorf("%s: %s = %q, want %q", ex.name, k, hdr.Get(k), v)
					}
				}
				if status == 200 && hdr.Get("X-Content-Type-Options") != "nosniff" {
					t.Errorf("%s: answered without nosniff", ex.name)
				}
			}
			if got := srv.Stored(t); len(got) != 0 {
				t.Fatalf("handshakes stored: %+v", got)
			}
		})
	}
}
