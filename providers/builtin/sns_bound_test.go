package builtin

import (
	"errors"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/internal/exactjson"
	"github.com/hookrunner/hookrunner/providers"
)

// TestSNSPreVerificationDecodeBounded: the body of an SNS delivery is
// read before its signature is checked, so what reading it costs is
// bounded by the body and the server's limits, never by what it holds:
// nesting beyond server.max_json_depth is refused before anything is
// decoded, as are more keys than a message has and text after it; a body
// of a million empty objects under an unsigned key allocates about its own
// size (the whole-document decode allocated 40 times it). Each body is
// refused before the certificate would be fetched.
func TestSNSPreVerificationDecodeBounded(t *testing.T) {
	const depth = 32
	valid := `"Type":"Notification","MessageId":"m","TopicArn":"arn:aws:sns:us-east-1:1:t","Message":"x",` +
		`"Timestamp":"2024-01-01T00:00:00Z","SignatureVersion":"2","Signature":"%%","SigningCertURL":"https://sns.us-east-1.amazonaws.com/c.pem"`
	var keys strings.Builder
	for i := range 32 { // snsMaxKeys
		keys.WriteString(`"k` + string(rune('a'+i%26)) + strings.Repeat("x", i) + `":1,`)
	}
	wide := `{"a":[` + strings.Repeat(`{},`, 340_000) + `{}],` + valid + `}`
	tests := []struct {
		name, body string
		want       string // in the refusal
		maxAlloc   int    // bytes, when non-zero
	}{
		{name: "nested past max_json_depth", body: `{"MessageAttributes":` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + `,` + valid + `}`, want: exactjson.ErrTooDeep.Error()},
		{name: "signed field nested", body: `{"Message":` + strings.Repeat("[", depth+1) + strings.Repeat("]", depth+1) + `}`, want: exactjson.ErrTooDeep.Error()},
		{name: "more keys than a message has", body: `{` + keys.String() + valid + `}`, want: "more than 32 keys"},
		{name: "text after the message", body: `{` + valid + `} {}`, want: "text after"},
		{name: "not an object", body: `[` + valid + `]`, want: "not a JSON object"},
		{name: "a million empty objects, unsigned", body: wide, want: "Signature is not base64", maxAlloc: 3 * len(wide)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &SNS{s: providers.Settings{Tolerance: 100 * 365 * 24 * time.Hour}}
			r := &providers.Request{Method: "POST", URL: &url.URL{}, Body: []byte(tt.body), Now: time.Now(), MaxJSONDepth: depth}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, err := p.Verify(r)
			runtime.ReadMemStats(&after)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Verify: %v, want a refusal saying %q", err, tt.want)
			}
			if !errors.Is(err, providers.ErrUnauthorized) {
				t.Fatalf("Verify: %v is not a 401", err)
			}
			if got := int(after.TotalAlloc - before.TotalAlloc); tt.maxAlloc > 0 && got > tt.maxAlloc {
				t.Fatalf("allocated %d bytes to read a %d-byte body", got, len(tt.body))
			}
		})
	}
}
