package payload_test

import (
	"encoding/json"
	"math"
	"net/url"
	"reflect"
	"testing"

	"github.com/hookrunner/hookrunner/payload"
	"github.com/hookrunner/hookrunner/providers"
)

// TestDecodeNumbers: every JSON number decodes to a value that keeps it
// exactly: int64, uint64 above int64, and json.Number (the text as sent)
// for the rest; in a JSON body, in a payload= form field, and through
// DecodeVerified, the ingress's decoder.
func TestDecodeNumbers(t *testing.T) {
	tests := []struct {
		name, num string
		want      any
	}{
		{"small int", "1", int64(1)},
		{"zero", "0", int64(0)},
		{"negative", "-42", int64(-42)},
		{"2^53+1", "9007199254740993", int64(9007199254740993)},
		{"shopify order id", "820982911946154509", int64(820982911946154509)},
		{"int64 max", "9223372036854775807", int64(math.MaxInt64)},
		{"int64 min", "-9223372036854775808", int64(math.MinInt64)},
		{"int64 max + 1", "9223372036854775808", uint64(1 << 63)},
		{"uint64 max", "18446744073709551615", uint64(math.MaxUint64)},
		{"beyond uint64", "18446744073709551616", json.Number("18446744073709551616")},
		{"below int64", "-9223372036854775809", json.Number("-9223372036854775809")},
		{"decimal as sent", "10.50", json.Number("10.50")},
		{"decimal", "0.1", json.Number("0.1")},
		{"integral decimal", "12.00", json.Number("12.00")},
		{"exponent", "1e2", json.Number("1e2")},
		{"exponent upper", "1.0E-2", json.Number("1.0E-2")},
		{"huge exponent", "1e400", json.Number("1e400")},
		{"negative zero", "-0", json.Number("-0")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, c := range []struct{ ct, body string }{
				{"application/json", `{"n":` + tt.num + `}`},
				{"application/json", `{"a":[{"n":` + tt.num + `}]}`},
				{"", ` {"n": ` + tt.num + ` } `},
				{"application/x-www-form-urlencoded", "payload=" + url.QueryEscape(`{"n":`+tt.num+`}`)},
			} {
				for _, decode := range []func() (any, error){
					func() (any, error) { v, _, err := payload.Decode(c.ct, []byte(c.body)); return v, err },
					func() (any, error) {
						v, _, err := payload.DecodeVerified(c.ct, []byte(c.body), providers.Coverage{Scope: providers.ScopeBody}, payload.Limits{})
						return v, err
					},
				} {
					v, err := decode()
					if err != nil {
						t.Fatalf("%s %q: %v", c.ct, c.body, err)
					}
					m, _ := v.(map[string]any)
					if a, ok := m["a"].([]any); ok {
						m, _ = a[0].(map[string]any)
					}
					if got := m["n"]; !reflect.DeepEqual(got, tt.want) {
						t.Errorf("%s %q: n = %#v (%T), want %#v (%T)", c.ct, c.body, got, got, tt.want, tt.want)
					}
				}
			}
		})
	}
}

// TestDecodeJSONStrictness: the exact decoder refuses what json.Unmarshal
// refused (text after the document, broken JSON) and keeps the top level
// number, string and null cases.
func TestDecodeJSONStrictness(t *testing.T) {
	for _, body := range []string{`{"a":1} {"b":2}`, `{"a":1}x`, `{"a":01}`, `{"a":1.}`, `{"a":-}`, `[1,]`, `{"a":1`} {
		if v, _, err := payload.Decode("application/json", []byte(body)); err == nil {
			t.Errorf("%q decoded to %#v", body, v)
		}
	}
	for body, want := range map[string]any{`[1, 2.5, "x", null, true]`: []any{int64(1), json.Number("2.5"), "x", nil, true}, "  \n": nil} {
		v, _, err := payload.Decode("application/json", []byte(body))
		if err != nil || !reflect.DeepEqual(v, want) {
			t.Errorf("%q = %#v, %v; want %#v", body, v, err, want)
		}
	}
}
