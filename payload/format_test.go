package payload_test

import (
	"errors"
	"net/url"
	"reflect"
	"testing"

	"github.com/hookrunner/hookrunner/payload"
	"github.com/hookrunner/hookrunner/providers"
)

// TestDecodeVerifiedMediaType: a verified body decodes only under a media
// type its provider sends, and a JSON document is never read as a form:
// the Content-Type is not signed, and the same signed bytes read another
// way would give rules fields (ref, type, id, command) written inside one
// of the document's strings.
func TestDecodeVerifiedMediaType(t *testing.T) {
	// A push to a feature branch whose commit message holds form syntax.
	push := `{"ref":"refs/heads/feature-x","after":"abc","head_commit":{"message":"fix &ref=refs/heads/main&after=EVIL&"}}`
	stripe := `{"id":"evt_1","type":"customer.updated","data":{"object":{"name":"Bob &type=customer.created&id=evt_forged&"}}}`
	slackEvent := `{"type":"event_callback","event_id":"Ev1","event":{"text":"hi &command=/deploy&text=prod&"}}`
	const (
		form = "application/x-www-form-urlencoded"
		text = "text/plain; charset=utf-8"
	)
	githubF := providers.FormatJSON | providers.FormatFormPayload
	stripeF := providers.FormatJSON
	slackF := providers.FormatJSON | providers.FormatForm
	snsF := providers.FormatJSON | providers.FormatText
	tests := []struct {
		name    string
		ct      string
		body    string
		formats providers.Formats
		refused bool
		want    any // when not refused: the payload (nil: not compared)
	}{
		{"github JSON", "application/json", push, githubF, false, nil},
		{"github JSON resent as a form", form, push, githubF, true, nil},
		// A proxy that rewrites the type to text/plain: the JSON is read as
		// JSON, exactly what was signed.
		{"github JSON resent as text is the JSON", text, push, githubF, false, map[string]any{"ref": "refs/heads/feature-x", "after": "abc",
			"head_commit": map[string]any{"message": "fix &ref=refs/heads/main&after=EVIL&"}}},
		{"github JSON resent as XML", "application/xml", push, githubF, true, nil},
		{"github JSON resent as multipart", "multipart/form-data; boundary=x", push, githubF, true, nil},
		{"github JSON without Content-Type", "", push, githubF, false, nil},
		{"github form delivery", form, "payload=" + url.QueryEscape(push), githubF, false, nil},
		{"github form with another field", form, "payload=" + url.QueryEscape(push) + "&ref=x", githubF, true, nil},
		{"stripe JSON resent as a form", form, stripe, stripeF, true, nil},
		{"stripe JSON resent as octet-stream is the JSON", "application/octet-stream", stripe, stripeF, false, map[string]any{"id": "evt_1", "type": "customer.updated",
			"data": map[string]any{"object": map[string]any{"name": "Bob &type=customer.created&id=evt_forged&"}}}},
		{"stripe text that is not JSON refused", text, "type=customer.created&id=evt_forged", stripeF, true, nil},
		{"stripe JSON as application/json; charset", "application/json; charset=utf-8", stripe, stripeF, false, nil},
		{"slack event resent as a form", form, slackEvent, slackF, true, nil},
		{"slack slash command", form, "command=%2Fdeploy&text=prod", slackF, false, map[string]any{"command": "/deploy", "text": "prod"}},
		{"slack interactivity", form, "payload=" + url.QueryEscape(`{"type":"block_actions"}`), slackF, false, map[string]any{"type": "block_actions"}},
		{"sns JSON as text/plain", text, `{"Type":"Notification"}`, snsF, false, map[string]any{"Type": "Notification"}},
		{"sns JSON as a form", form, `{"Type":"Notification"}`, snsF, true, nil},
		{"unsaid formats: JSON as a form still refused", form, push, 0, true, nil},
		{"any format: JSON as a form still refused", form, " \n[1]", providers.AnyFormat, true, nil},
		{"any format: JSON as text is the JSON", text, `{"a":1}`, providers.AnyFormat, false, map[string]any{"a": int64(1)}},
		{"unreadable Content-Type", "application/json; ;", push, githubF, true, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := providers.Coverage{Scope: providers.ScopeBody, Formats: tc.formats}
			doc, _, err := payload.DecodeVerified(tc.ct, []byte(tc.body), c, payload.Limits{})
			if tc.refused {
				if !errors.Is(err, payload.ErrMediaType) {
					t.Fatalf("decoded %#v (err %v), want ErrMediaType", doc, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if tc.want != nil && !reflect.DeepEqual(doc, tc.want) {
				t.Fatalf("payload %#v, want %#v", doc, tc.want)
			}
		})
	}
	// verify: none vouches for nothing: the body decodes as sent.
	if _, _, err := payload.DecodeVerified(form, []byte(push), providers.Coverage{Scope: providers.ScopeNone, Formats: stripeF}, payload.Limits{}); err != nil {
		t.Fatalf("verify: none: %v", err)
	}
}

// TestCheckDepth: the payload as a Shaper presents it is held to the depth
// limit too (Pub/Sub's message.data is JSON inside a string).
func TestCheckDepth(t *testing.T) {
	nest := func(n int) any {
		var v any = "x"
		for i := 0; i < n; i++ {
			v = []any{v}
		}
		return map[string]any{"data": v}
	}
	tests := []struct {
		v       any
		max     int
		tooDeep bool
	}{
		{"x", 1, false},
		{nest(31), 32, false},
		{nest(32), 32, true},
		{nest(5000), 32, true},
		{map[string]any{"a": map[string]any{"b": 1}, "c": []any{}}, 2, false},
	}
	for i, tc := range tests {
		if err := payload.CheckDepth(tc.v, tc.max); errors.Is(err, payload.ErrTooDeep) != tc.tooDeep {
			t.Errorf("%d: CheckDepth(max %d) = %v, want too deep %v", i, tc.max, err, tc.tooDeep)
		}
	}
}
