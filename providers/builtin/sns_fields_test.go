package builtin_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/providers"
)

// TestSNSReadsSignedFieldsOnly: the verifier, the topics check, Identify
// and the payload rules see read one decode of the body, by exact key. A
// body whose signed keys are renamed to another case (with the attacker's
// values under the real names), repeated or missing is refused; the
// payload holds the signed fields (and the signature's) only, never a key
// SNS does not sign.
func TestSNSReadsSignedFieldsOnly(t *testing.T) {
	serveSNSCert(t)
	const certURL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-hookrunner-send.pem"
	const allowed = "arn:aws:sns:us-west-2:123456789012:MyTopic"
	recv := mustNew(t, "sns", providers.Settings{Tolerance: 5 * time.Minute, Topics: []string{allowed}})
	forged := `"Message":"{\"action\":\"deploy\"}","TopicArn":"arn:aws:sns:us-east-1:666666666666:evil",`
	tests := []struct {
		name string
		edit func(string) string
		want string // "" when verified
	}{
		{"as signed", func(b string) string { return b }, ""},
		{"case-variant keys beside forged values", func(b string) string {
			b = strings.Replace(b, `"Message":`, `"MESSAGE":`, 1)
			b = strings.Replace(b, `"TopicArn":`, `"TOPICARN":`, 1)
			return strings.Replace(b, `{`, `{`+forged, 1)
		}, "case variant"},
		{"case-variant key alone", func(b string) string { return strings.Replace(b, `"Subject":`, `"subject":`, 1) }, "case variant"},
		{"signed key repeated", func(b string) string {
			return strings.Replace(b, `{`, `{"TopicArn":"arn:aws:sns:us-east-1:666666666666:evil",`, 1)
		}, "more than once"},
		{"signed key missing", func(b string) string { return strings.Replace(b, `"TopicArn":`, `"Other":`, 1) }, "TopicArn"},
		{"signed key not a string", func(b string) string { return strings.Replace(b, `"Subject":"`, `"Subject":["`, 1) + "" }, "not an SNS message"},
		{"unsigned keys", func(b string) string {
			return strings.Replace(b, `{`, `{"MessageAttributes":{"env":{"Type":"String","Value":"prod"}},"x":[[[[1]]]],`, 1)
		}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := snsRequest(t, snsKey, "Notification", "2", certURL, time.Now())
			r.Body = []byte(tc.edit(string(r.Body)))
			_, err := recv.Verify(r)
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("Verify: %v, want a refusal saying %q", err, tc.want)
				}
				if p := providers.ShapePayload("sns", string(r.Body)).(map[string]any); len(p) != 0 {
					t.Errorf("rules would see %v of a body no verifier accepts", p)
				}
				return
			}
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if err := recv.(providers.PayloadChecker).CheckPayload(r, nil); err != nil {
				t.Fatalf("topics: %v", err)
			}
			p := providers.ShapePayload("sns", string(r.Body)).(map[string]any)
			if p["Message"] != "Hello world!" || p["TopicArn"] != allowed {
				t.Errorf("payload Message=%v TopicArn=%v, want the signed values", p["Message"], p["TopicArn"])
			}
			keys := make([]string, 0, len(p))
			for k := range p {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			want := []string{"Message", "MessageId", "Signature", "SignatureVersion", "SigningCertURL", "Subject", "Timestamp", "TopicArn", "Type"}
			if !slices.Equal(keys, want) {
				t.Errorf("payload keys %v, want the signed fields and the signature's %v", keys, want)
			}
			// Shaped again (and shaped from the decoded object): the same.
			if again := providers.ShapePayload("sns", p).(map[string]any); len(again) != len(p) {
				t.Errorf("shaping is not idempotent: %v then %v", p, again)
			}
		})
	}
}

// TestSNSTopics: an sns source without topics accepts any AWS account's
// topic (AWS signs them all with one certificate), so it says so at load
// (providers.Unsigned: validate and serve print the warning); topics: ["*"]
// accepts any topic on purpose, without the warning.
func TestSNSTopics(t *testing.T) {
	const mine = "arn:aws:sns:us-west-2:123456789012:MyTopic"
	tests := []struct {
		name     string
		topics   []string
		confirm  bool
		warn     string // "" when no warning
		badField string // "" when built
	}{
		{"no topics", nil, false, "any AWS account's topic", ""},
		{"no topics, confirm", nil, true, "subscribes to any topic that asks", ""},
		{"any on purpose", []string{"*"}, true, "", ""},
		{"own topic", []string{mine}, true, "", ""},
		{"star beside an ARN", []string{"*", mine}, false, "", "topics[0]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := providers.New("sns", providers.Settings{Topics: tc.topics, Confirm: tc.confirm})
			if tc.badField != "" {
				var fe *providers.FieldError
				if !errors.As(err, &fe) || fe.Field != tc.badField {
					t.Fatalf("err %v, want a FieldError on %s", err, tc.badField)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			u, unsigned := p.(providers.Unsigned)
			if got := ""; unsigned {
				got = u.UnsignedReason()
				if tc.warn == "" || !strings.Contains(got, tc.warn) {
					t.Fatalf("warning %q, want one saying %q", got, tc.warn)
				}
			} else if tc.warn != "" {
				t.Fatalf("no load warning, want one saying %q", tc.warn)
			}
			// The provider stays whole behind the warning.
			if _, ok := p.(providers.Handshaker); !ok {
				t.Fatal("not a Handshaker")
			}
			r := &providers.Request{Body: []byte(`{"Type":"Notification","MessageId":"m","TopicArn":"arn:aws:sns:us-east-1:666666666666:other","Message":"x","Timestamp":"t","SignatureVersion":"2","Signature":"s","SigningCertURL":"u"}`)}
			err = p.(providers.PayloadChecker).CheckPayload(r, nil)
			if anyTopic := len(tc.topics) == 0 || tc.topics[0] == "*"; (err == nil) != anyTopic {
				t.Fatalf("another account's topic: %v (any topic accepted: %v)", err, anyTopic)
			}
		})
	}
}

// TestPubSubDataExact: message.data is decoded with the payload decoder:
// numbers exact (float64 would make the id ...508), and its nesting is
// what the ingress holds to max_json_depth (payload.CheckDepth).
func TestPubSubDataExact(t *testing.T) {
	tests := []struct {
		data string
		key  string
		want any
	}{
		{`{"id":820982911946154509}`, "id", int64(820982911946154509)},
		{`{"total":10.50}`, "total", json.Number("10.50")},
		{`not json`, "", "not json"},
	}
	for _, tc := range tests {
		p := map[string]any{"message": map[string]any{"data": base64.StdEncoding.EncodeToString([]byte(tc.data))}}
		got := providers.ShapePayload("pubsub", p).(map[string]any)["data"]
		if m, ok := got.(map[string]any); ok {
			got = m[tc.key]
		}
		if got != tc.want {
			t.Errorf("data %s: %#v, want %#v", tc.data, got, tc.want)
		}
	}
}
