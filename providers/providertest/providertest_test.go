package providertest

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/hookrunner/hookrunner/providers"
)

func TestUnmatched(t *testing.T) {
	infos := []providers.Info{{Name: "a"}, {Name: "b"}}
	got := unmatched(infos, map[string][]Fixture{"a": {{}}, "zz": {{}}})
	if len(got) != 2 || !strings.Contains(got[0], `fixture for "zz"`) || !strings.Contains(got[1], "provider b has no conformance fixture") {
		t.Fatalf("unmatched = %q", got)
	}
	if got := unmatched(infos, map[string][]Fixture{"a": {{}}, "b": {{}}}); len(got) != 0 {
		t.Fatalf("all matched: %q", got)
	}
}

// One byte changes, and JSON and forms stay well-formed.
func TestFlipOneByte(t *testing.T) {
	for _, body := range []string{`{"a":"hello","b":[1,2,3]}`, "a=1&b=two&c=3", `{"zzz":"zzz"}`, `{}`} {
		got := flipOneByte([]byte(body))
		diff := 0
		for i := range min(len(got), len(body)) {
			if got[i] != body[i] {
				diff++
			}
		}
		if diff+len(got)-len(body) != 1 {
			t.Errorf("%q -> %q: not one byte", body, got)
		}
		if strings.HasPrefix(body, "{") && body != "{}" && !json.Valid(got) {
			t.Errorf("%q -> %q: no longer JSON", body, got)
		}
		if strings.Contains(body, "=") {
			if _, err := url.ParseQuery(string(got)); err != nil {
				t.Errorf("%q -> %q: no longer a form", body, got)
			}
		}
	}
}
