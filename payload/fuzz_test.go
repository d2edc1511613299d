package payload_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/hookrunner/hookrunner/payload"
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
		_, _, _ = payload.Decode(ct, body)
		_ = payload.CheckJSONDepth(body, 64)
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
		got, form, err := payload.DecodeVerified(ct, body, c, payload.Limits{MaxJSONDepth: 32})
		if err != nil {
			return
		}
		if field && (len(form) != 1 || len(form["payload"]) != 1) {
			t.Fatalf("one-field coverage accepted form %v", form)
		}
		again, _, err := payload.Decode(ct, body)
		if err != nil || !reflect.DeepEqual(got, again) {
			t.Fatalf("run-time decode %v (%v) != ingress %v", again, err, got)
		}
	})
}

// FuzzDecodeNumbers: the exact decoder accepts the JSON json.Unmarshal
// accepts, and agrees with it on every value; each number it keeps writes
// back (json.Marshal, as templates and toJSON do) as the same number.
func FuzzDecodeNumbers(f *testing.F) {
	for _, s := range []string{`{"id":820982911946154509,"p":10.50}`, `[18446744073709551615,18446744073709551616,-0,1e400,1E-2]`, `{"a":1} x`, `[-9223372036854775809]`, `0`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if len(bytes.TrimSpace(body)) == 0 || payload.CheckJSONDepth(body, 64) != nil {
			return
		}
		exact, _, err := payload.Decode("application/json", body)
		var loose any
		lerr := json.Unmarshal(body, &loose)
		var typeErr *json.UnmarshalTypeError
		if errors.As(lerr, &typeErr) { // a number beyond float64: only the exact decoder keeps it
			return
		}
		if (err == nil) != (lerr == nil) {
			t.Fatalf("%q: exact err %v, json.Unmarshal err %v", body, err, lerr)
		}
		if err != nil {
			return
		}
		out, merr := json.Marshal(exact)
		if merr != nil {
			t.Fatalf("%q: marshal %#v: %v", body, exact, merr)
		}
		var back any
		if err := json.Unmarshal(out, &back); err != nil || !reflect.DeepEqual(back, loose) {
			t.Fatalf("%q: exact decode writes back as %s (%v), want the value %#v", body, out, err, loose)
		}
	})
}
