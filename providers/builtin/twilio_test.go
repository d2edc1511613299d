package builtin_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/hookrunner/hookrunner/providers"
	"github.com/hookrunner/hookrunner/providers/builtin"
)

// Vectors from Twilio's SDK test suites: twilio-python
// tests/unit/test_request_validator.py, twilio-node spec/validation.spec.js
// and spec/unit/webhooks/webhooks.spec.js, twilio-go
// client/request_validator_test.go. Auth token "12345" unless said.
func TestTwilioSDKVectors(t *testing.T) {
	callParams := url.Values{"CallSid": {"CA1234567890ABCDE"}, "Caller": {"+14158675309"}, "Digits": {"1234"},
		"From": {"+14158675309"}, "To": {"+18005551212"}}
	goParams := url.Values{"Digits": {"1234"}, "CallSid": {"CA1234567890ABCDE"}, "To": {"+18005551212"}, "Caller": {"+14158675309"},
		"From": {"+14158675309"}, "ReasonConferenceEnded": {"test"}, "Reason": {"Participant"}}
	dupParams := url.Values{"Sid": {"CA123"}, "SidAccount": {"AC123"}, "Digits": {"5678", "1234", "1234"}}
	const base = "https://mycompany.com/myapp.php?foo=1&bar=2"
	const jsonBody = `{"property": "value", "boolean": true}`
	const bodyHash = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
	tests := []struct {
		name   string
		token  string
		url    string
		params url.Values
		body   string // with bodySHA256 in url
		sig    string
		ok     bool
	}{
		{name: "python/node: the classic", url: base, params: callParams, sig: "RSOYDt4T1cUTdK1PDd93/VVr8B8=", ok: true},
		{name: "wrong signature", url: base, params: callParams, sig: "WRONG_SIGNATURE", ok: false},
		{name: "https with a non-default port: removed", url: "https://mycompany.com:1234/myapp.php?foo=1&bar=2", params: callParams, sig: "RSOYDt4T1cUTdK1PDd93/VVr8B8=", ok: true},
		{name: "http with a port: kept", url: "http://mycompany.com:1234/myapp.php?foo=1&bar=2", params: callParams, sig: "Zmvh+3yNM1Phv2jhDCwEM3q5ebU=", ok: true},
		{name: "https: signed with :443 added", url: base, params: callParams, sig: "kvajT1Ptam85bY51eRf/AJRuM3w=", ok: true},
		{name: "http: signed with :80 added", url: "http://mycompany.com/myapp.php?foo=1&bar=2", params: callParams, sig: "0ZXoZLH/DfblKGATFgpif+LLRf4=", ok: true},
		{name: "https with :443 received, signed without", url: "https://mycompany.com:443/myapp.php?foo=1&bar=2", params: callParams, sig: "RSOYDt4T1cUTdK1PDd93/VVr8B8=", ok: true},
		{name: "https with :443 received, signed with", url: "https://mycompany.com:443/myapp.php?foo=1&bar=2", params: callParams, sig: "kvajT1Ptam85bY51eRf/AJRuM3w=", ok: true},
		{name: "repeated key: values sorted and de-duplicated", url: base, params: dupParams, sig: "IK+Dwps556ElfBT0I3Rgjkr1wJU=", ok: true},
		{name: "node: array parameter", url: base, params: url.Values{"MessagingBinding.Address": {"+1325xxxxxxx", "+1415xxxxxxx"}}, sig: "83O6e2vORAoJHUNzJjDWN1jz+BA=", ok: true},
		{name: "node: array parameter in another order", url: base, params: url.Values{"MessagingBinding.Address": {"+1415xxxxxxx", "+1325xxxxxxx"}}, sig: "83O6e2vORAoJHUNzJjDWN1jz+BA=", ok: true},
		{name: "node: credentials in the URL", url: "https://user:pass@mycompany.com/myapp.php?foo=1&bar=2", params: callParams, sig: "CukzLTc1tT5dXEDIHm/tKBanW10=", ok: true},
		{name: "node: username only", url: "https://user@mycompany.com/myapp.php?foo=1&bar=2", params: callParams, sig: "2YRLlVAflCqxaNicjMpJcSTgzSs=", ok: true},
		{name: "node: credentials, port added", url: "https://user:pass@mycompany.com/myapp.php?foo=1&bar=2", params: callParams, sig: "ZQFR1PTIZXF2MXB8ZnKCvnnA+rI=", ok: true},
		{name: "node: apostrophe in the query", url: base + "&Body=It's+amazing", params: callParams, sig: "TfZzewPq8wqrGlMfyAud8+/IvJ0=", ok: true},
		{name: "go: seven params", url: base, params: goParams, sig: "vOEb5UThFn24KEfnOFLQY2AE5FY=", ok: true},
		{name: "go: seven params, port stripped", url: "https://mycompany.com:1234/myapp.php?foo=1&bar=2", params: goParams, sig: "vOEb5UThFn24KEfnOFLQY2AE5FY=", ok: true},
		{name: "go: http without port", url: "http://mycompany.com/myapp.php?foo=1&bar=2", params: goParams, sig: "n2xBNyzSW7rfYStDtOFiFMv7qNo=", ok: true},
		{name: "go: http with port 1234", url: "http://mycompany.com:1234/myapp.php?foo=1&bar=2", params: goParams, sig: "n2xBNyzSW7rfYStDtOFiFMv7qNo=", ok: true},
		{name: "go: params sorted wrongly", url: base, params: goParams, sig: "95+Bu0JVPi0r/SsESZCVf0dWAjw=", ok: false},
		{name: "go: form body", url: base, params: url.Values{"property": {"value"}, "boolean": {"true"}}, sig: "NBdBDr/T/lgjI+tlgpXjKZQZs/k=", ok: true},
		{name: "bodySHA256", url: base + "&bodySHA256=" + bodyHash, body: jsonBody, sig: "a9nBmqA0ju/hNViExpshrM61xv4=", ok: true},
		{name: "bodySHA256 only", url: "https://mycompany.com/myapp.php?bodySHA256=" + bodyHash, body: jsonBody, sig: "y77kIzt2vzLz71DgmJGsen2scGs=", ok: true},
		{name: "node: bodySHA256 of {}", url: base + "&bodySHA256=44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", body: "{}", sig: "Ldidvp12m26NI7eqEvxnEpkd9Hc=", ok: true},
		{name: "bodySHA256 with another body", url: base + "&bodySHA256=" + bodyHash, body: `{"property": "other"}`, sig: "a9nBmqA0ju/hNViExpshrM61xv4=", ok: false},
		{name: "JSON body without bodySHA256", url: base, body: jsonBody, sig: "RSOYDt4T1cUTdK1PDd93/VVr8B8=", ok: false},
		{name: "node s3cr3t: signed with :443, received without", token: "s3cr3t", url: "https://example.com/path?test=param", sig: builtin.TwilioSignature("s3cr3t", "https://example.com:443/path?test=param", nil), ok: true},
		{name: "node s3cr3t: escaped quote received, unescaped signed", token: "s3cr3t", url: "https://example.com/path?test=param%27WithQuote", sig: builtin.TwilioSignature("s3cr3t", "https://example.com/path?test=param'WithQuote", nil), ok: true},
		{name: "node s3cr3t: other query", token: "s3cr3t", url: "https://example.com/path?test=param2", sig: builtin.TwilioSignature("s3cr3t", "https://example.com/path?test=param", nil), ok: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token := tt.token
			if token == "" {
				token = "12345"
			}
			p := mustNew(t, "twilio", providers.Settings{Secrets: []string{token}})
			u, err := url.Parse(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			r := &providers.Request{URL: u, Header: http.Header{"X-Twilio-Signature": {tt.sig}}}
			if tt.body != "" {
				r.Body = []byte(tt.body)
			} else {
				r.Form = tt.params
				if r.Form == nil {
					r.Form = url.Values{}
				}
				r.Body = []byte(r.Form.Encode())
			}
			if _, err := p.Verify(r); (err == nil) != tt.ok {
				t.Fatalf("Verify = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

// The signature computed by hookrunner itself matches the SDKs'.
func TestTwilioSignatureValues(t *testing.T) {
	dup := url.Values{"Sid": {"CA123"}, "SidAccount": {"AC123"}, "Digits": {"5678", "1234", "1234"}}
	if got := builtin.TwilioSignature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", dup); got != "IK+Dwps556ElfBT0I3Rgjkr1wJU=" {
		t.Fatalf("duplicate values: %s", got)
	}
}
