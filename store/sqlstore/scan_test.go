package sqlstore

import (
	"encoding/json"
	"testing"
)

// TestJSONHeaders: the stored headers and matched rules are what
// json.Marshal writes, byte for byte, on the quick path and off it.
func TestJSONHeaders(t *testing.T) {
	for _, h := range []map[string]string{
		nil,
		{},
		{"content-type": "application/json", "x-github-event": "push", "x-hub-signature-256": "sha256=00ff"},
		{"user-agent": `say "hi"`},
		{"x-a": `back\\slash`, "x-b": "<html>&amp;"},
		{"x-ctl": "tab\there", "x-del": "\x7f"},
		{"x-utf8": "café ✓", "x-bad": "\xff\xfe"},
		{"x-line": "\u2028"},
	} {
		want, _ := json.Marshal(h)
		if got := jsonHeaders(h); got != string(want) {
			t.Errorf("jsonHeaders(%q) = %s, json.Marshal gives %s", h, got, want)
		}
	}
	for _, list := range [][]string{{"deploy"}, {"a", "b-c"}, {`q"uote`, "x"}, {"<b>"}} {
		want, _ := json.Marshal(list)
		if got := jsonStrings(list); got != string(want) {
			t.Errorf("jsonStrings(%q) = %s, json.Marshal gives %s", list, got, want)
		}
	}
}

// FuzzJSONHeaders: any header name and value, encoded as json.Marshal does.
func FuzzJSONHeaders(f *testing.F) {
	f.Add("x-github-event", "push", "content-type", "application/json")
	f.Add("a", "\"<>&\\", "b", "\x00\xff")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		h := map[string]string{k1: v1, k2: v2}
		want, _ := json.Marshal(h)
		if got := jsonHeaders(h); got != string(want) {
			t.Fatalf("jsonHeaders(%q) = %s, json.Marshal gives %s", h, got, want)
		}
		l := []string{v1, k2}
		wl, _ := json.Marshal(l)
		if got := jsonStrings(l); got != string(wl) {
			t.Fatalf("jsonStrings(%q) = %s, json.Marshal gives %s", l, got, wl)
		}
	})
}
