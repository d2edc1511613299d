package engine_test

import (
	"testing"

	"github.com/hookrunner/hookrunner/engine"
)

// FuzzDecodePayload: any body with any content type decodes or errors;
// never a panic, never past the depth limit.
func FuzzDecodePayload(f *testing.F) {
	f.Add("application/json", []byte(`{"a":[1,{"b":null}]}`))
	f.Add("application/x-www-form-urlencoded", []byte("a=1&a=2&payload=%7B%7D"))
	f.Add("", []byte(`[[[[`))
	f.Add("text/plain", []byte("\xff\xfe"))
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		_, _, _ = engine.DecodePayload(ct, body)
		_ = engine.CheckJSONDepth(body, 64)
	})
}
