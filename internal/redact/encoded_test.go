package redact

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
)

// Every form a known secret takes on the wire or in an answer that echoes
// it is masked, and so is the credential after any authentication scheme.
func TestEncodedForms(t *testing.T) {
	const pw = "urlPW-778899"
	const slash = "sl/ash+sec=9" // a base64-alphabet secret
	r := New(append(Find(map[string]any{
		"url":    "http://relay:" + pw + "@api.example.com/x",
		"source": map[string]any{"username": "adyen", "password": "pairPW-4455"},
	}), slash)...)
	basic := base64.StdEncoding.EncodeToString([]byte("relay:" + pw))
	pair := base64.StdEncoding.EncodeToString([]byte("adyen:pairPW-4455"))
	for _, tc := range []struct{ name, in, secret string }{
		{"basic in a JSON list (Go's encoding of r.Header)", `{"headers":{"Authorization":["Basic ` + basic + `"]}}`, basic},
		{"basic in free text", `auth failed for Basic ` + basic, basic},
		{"basic of a username/password pair", "sent " + pair, pair},
		{"base64 without padding", "tok " + base64.RawURLEncoding.EncodeToString([]byte(slash)), base64.RawURLEncoding.EncodeToString([]byte(slash))},
		{"PHP json_encode escapes /", `{"error":"invalid key sl\/ash+sec=9"}`, `sl\/ash+sec=9`},
		{"PHP JSON inside free text", `HTTP 401: {"error":"invalid key sl\/ash+sec=9"`, `sl\/ash+sec=9`},
		{"Python quote", "GET /x?k=sl/ash%2Bsec%3D9 failed", "sl/ash%2Bsec%3D9"},
		{"lower-case hex", "GET /x?k=sl%2fash%2bsec%3d9 failed", "sl%2fash%2bsec%3d9"},
		{"encodeURIComponent", "k=sl%2Fash%2Bsec%3D9", "sl%2Fash%2Bsec%3D9"},
		{"an unknown Basic credential without digits", "Basic YWxhZGRpbjpvcGVuc2VzYW1l rejected", "YWxhZGRpbjpvcGVuc2VzYW1l"},
		{"Token scheme", "sent Token tk_live_12345678", "tk_live_12345678"},
		{"Bot scheme", "Bot MTIzNDU2Nzg5.abc.def", "MTIzNDU2Nzg5.abc.def"},
		{"unknown key list in JSON text", `error {"X-Api-Key": ["k-1234567", "k-89"]} end`, "k-1234567"},
	} {
		if got := r.String(tc.in); strings.Contains(got, tc.secret) {
			t.Errorf("%s: %q survives: %s", tc.name, tc.secret, got)
		}
	}
	// Words after a scheme name are not credentials.
	for _, in := range []string{"Bearer token required", "basic authentication failed", "Token expired"} {
		if got := r.String(in); got != in {
			t.Errorf("String(%q) = %q, want it unchanged", in, got)
		}
	}
}

// A query value is compared with the known secrets once decoded, however
// the sender percent-encoded it.
func TestQueryDecodesValues(t *testing.T) {
	r := New("sl/ash+sec=9")
	for _, raw := range []string{
		"k=sl/ash%2Bsec%3D9&x=1", // Python's quote
		"k=sl%2fash%2bsec%3d9&x=1",
		"k=sl%2Fash%2Bsec%3D9&x=1",
		"k=sl%2Fash%2Bsec=9&x=1",
		"x=1&k=sl/ash%2bsec%3d9",
	} {
		out := r.Query(raw)
		if !strings.Contains(out, "k="+Mask) || !strings.Contains(out, "x=1") {
			t.Errorf("Query(%q) = %q, want k masked and x kept", raw, out)
		}
	}
	if got := r.Query("k=other%2Fvalue&x=1"); got != "k=other%2Fvalue&x=1" {
		t.Errorf("Query changed a value that is no secret: %q", got)
	}
}

// Text that is one JSON document stays JSON (the CLI's --json output).
func TestJSONTextStaysJSON(t *testing.T) {
	r := New("json-secret-123")
	for _, tc := range []struct{ in, secret string }{
		{"{\n  \"note\": \"cookie: chocolate\",\n  \"n\": 1\n}\n", "chocolate"},
		{`{"last_error": "HTTP 401: Authorization: Basic dTpwYXNzd29yZA==", "ok": false}`, "dTpwYXNzd29yZA=="},
		{`[{"output": "X-Api-Key: k-42\nnext line"}, {"output": "json-secret-123"}]`, "k-42"},
		{`{"payload": "{\"token\": \"tok-999\", \"a\": [1, 2]}"}`, "tok-999"},
		{`{"headers": {"authorization": ["Bearer abcdefgh1234"], "x": "y"}}`, "abcdefgh1234"},
		{`{"a": "json-secret-123", "b": "json\u002dsecret-123"}`, "json-secret-123"},
	} {
		out := r.String(tc.in)
		var v any
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Errorf("String(%q) is no longer JSON (%v): %s", tc.in, err, out)
		}
		if strings.Contains(out, tc.secret) {
			t.Errorf("String(%q) keeps %q: %s", tc.in, tc.secret, out)
		}
	}
	in := `{"token": "abc", "name": "x",  "list": [1, "two"]}`
	if got := r.String(in); got != `{"token": "[REDACTED]", "name": "x",  "list": [1, "two"]}` {
		t.Errorf("the unchanged parts of JSON text moved: %s", got)
	}
}

// What is left of a secret at the edge of a cut is masked.
func TestCutEdges(t *testing.T) {
	const secret = "shellTOK-112233"
	r := New(secret, "sl/ash+sec=9")
	for _, tc := range []struct{ in, want string }{
		{"[… 10 bytes cut …]\nOK-112233\naaa", "[… 10 bytes cut …]\n[REDACTED]\naaa"},
		{"[… 3 bytes cut …]\nlTOK-112233 done", "[… 3 bytes cut …]\n[REDACTED] done"},
		{"xxx key shell…", "xxx key [REDACTED]…"},
		{"xxx key shellTOK-1…", "xxx key [REDACTED]…"},
		{"error: sl%2Fash%2B…", "error: [REDACTED]…"},
		// Two bytes are too few to tell from chance.
		{"[… 1 bytes cut …]\n33 lines", "[… 1 bytes cut …]\n33 lines"},
		{"sh…", "sh…"},
		// Not at an edge: a piece alone in text is left.
		{"shell scripts", "shell scripts"},
		{"[… 5 bytes cut …]\nnothing here…", "[… 5 bytes cut …]\nnothing here…"},
	} {
		if got := r.String(tc.in); got != tc.want {
			t.Errorf("String(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

// Header names with "key" or "session" as a word carry a credential, as
// the README promises; signature headers stay.
func TestKeyHeaders(t *testing.T) {
	r := New()
	for _, tc := range []struct {
		name   string
		secret bool
	}{
		{"X-Functions-Key", true},
		{"Ocp-Apim-Subscription-Key", true},
		{"X-Key", true},
		{"X-Client-Key", true},
		{"Api-Key", true},
		{"X-Session-Id", true},
		{"Idempotency-Key", false},
		{"X-Monkey", false},
		{"X-Hub-Signature-256", false},
		{"Content-Type", false},
	} {
		if got := IsSecretHeader(tc.name); got != tc.secret {
			t.Errorf("IsSecretHeader(%q) = %v, want %v", tc.name, got, tc.secret)
		}
		want := "value-1234567"
		if tc.secret {
			want = Mask
		}
		if got := r.Header(tc.name, "value-1234567"); got != want {
			t.Errorf("Header(%q) = %q, want %q", tc.name, got, want)
		}
		// The header-line rule of free text agrees.
		line := tc.name + ": value-1234567"
		if got := r.String(line); (got != line) != tc.secret {
			t.Errorf("String(%q) = %q", line, got)
		}
	}
}
