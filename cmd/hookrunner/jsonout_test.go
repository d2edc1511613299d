package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/hookrunner/hookrunner/internal/redact"
	"github.com/hookrunner/hookrunner/ops"
)

// --json output stays JSON after redaction, whatever the values hold (a
// sender chooses what a payload says; an answer may quote a header).
func TestJSONOutputStaysJSON(t *testing.T) {
	for _, tc := range []struct {
		name   string
		v      any
		secret string
	}{
		{"cookie in a payload", map[string]any{"note": "cookie: chocolate", "n": 1}, "chocolate"},
		{"authorization in an error", []map[string]any{{"last_error": "POST http://h/x: HTTP 401: Authorization: Basic dTpwYXNzd29yZA==", "attempt": 2}}, "dTpwYXNzd29yZA=="},
		{"key header in output", map[string]any{"output": "x-api-key: k-123456\n< HTTP/1.1 401", "exit": 1}, "k-123456"},
		{"known secret", map[string]any{"detail": "sent cli-secret-999"}, "cli-secret-999"},
	} {
		var buf strings.Builder
		o := &redactedOutput{w: &buf}
		o.use(redact.New("cli-secret-999"))
		if err := ops.WriteJSON(o, tc.v); err != nil {
			t.Fatal(err)
		}
		o.flush()
		var v any
		if err := json.Unmarshal([]byte(buf.String()), &v); err != nil {
			t.Errorf("%s: the output is no longer JSON (%v):\n%s", tc.name, err, buf.String())
		}
		if strings.Contains(buf.String(), tc.secret) {
			t.Errorf("%s: %q is printed:\n%s", tc.name, tc.secret, buf.String())
		}
	}
}
