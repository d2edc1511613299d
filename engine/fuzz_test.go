package engine_test

import (
	"reflect"
	"testing"

	"github.com/hookrunner/hookrunner/engine"
	"github.com/hookrunner/hookrunner/providers"
)

// FuzzDecodePayload: any body with any content type decodes or errors;
// never a panic, never past the depth limit.
func FuzzDecodePayload(f *testing.F) {
	f.Add("application/json", []byte(`{"a":[1,{"b":null}]}`))
	f.Add("application/x-www-form-urlencoded", []byte("a=1&a=2&payload=%7B%7D"))
	f.Add("", []byte(`[[[[`))
	f.Add("text/plain", []byte("\xff\xfe"))
	f.Add("application/xml", []byte(`<a x="1"><b>t</b><b/><!-- c --><![CDATA[d]]></a>`))
	f.Add("text/xml", []byte(`<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>`))
	f.Add("multipart/form-data; boundary=X", []byte("--X\r\nContent-Disposition: form-data; name=\"a\"; filename=\"f\"\r\n\r\nv\r\n--X--\r\n"))
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		_, _, _ = engine.DecodePayload(ct, body)
		_ = engine.CheckJSONDepth(body, 64)
	})
}

// FuzzDecodeVerified: whatever the ingress accepts under a coverage, the
// run-time decode of the same stored bytes yields the same payload; a body
// accepted under a one-field coverage has no other field.
func FuzzDecodeVerified(f *testing.F) {
	f.Add("application/x-www-form-urlencoded", []byte("payload=%7B%22ref%22%3A1%7D"), true)
	f.Add("application/x-www-form-urlencoded", []byte("payload=%7B%7D&ref=main"), true)
	f.Add("application/x-www-form-urlencoded", []byte("payload=%7B%7D&payload=%7B%7D"), false)
	f.Add("application/json", []byte(`{"a":[1]}`), false)
	f.Fuzz(func(t *testing.T, ct string, body []byte, field bool) {
		c := providers.Coverage{Scope: providers.ScopeBody}
		if field {
			c = providers.Coverage{Scope: providers.ScopeFormField, Field: "payload"}
		}
		got, form, err := engine.DecodeVerified(ct, body, c, engine.Limits{MaxJSONDepth: 32})
		if err != nil {
			return
		}
		if field && (len(form) != 1 || len(form["payload"]) != 1) {
			t.Fatalf("one-field coverage accepted form %v", form)
		}
		again, _, err := engine.DecodePayload(ct, body)
		if err != nil || !reflect.DeepEqual(got, again) {
			t.Fatalf("run-time decode %v (%v) != ingress %v", again, err, got)
		}
	})
}
