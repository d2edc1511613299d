package builtin_test

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/providers"
)

// prefix_optional reads a signature header as adnanh/webhook does: the
// prefix may be left out, and a comma-separated header lists signatures
// that carry it, any one of which (for any secret) verifies.
func TestGenericPrefixOptional(t *testing.T) {
	body := `{"ref":"refs/heads/main"}`
	sig := func(secret string) string {
		m := hmac.New(sha1.New, []byte(secret))
		m.Write([]byte(body))
		return hex.EncodeToString(m.Sum(nil))
	}
	s := providers.Settings{Verify: "hmac", Header: "X-Hub-Signature", Algorithm: "sha1", Prefix: "sha1=", Secrets: []string{"new", "old"}}
	optional := s
	optional.PrefixOptional = true
	tests := []struct {
		name   string
		header string
		strict bool // verifies without prefix_optional too
		ok     bool
	}{
		{"prefixed", "sha1=" + sig("new"), true, true},
		{"bare", sig("new"), false, true},
		{"second secret", sig("old"), false, true},
		{"list, second good", "sha1=00," + "sha1=" + sig("old"), false, true},
		{"list without prefixes", "00," + sig("new"), false, false},
		{"other secret", "sha1=" + sig("guess"), false, false},
		{"other algorithm's prefix", "sha256=" + sig("new"), false, false},
		{"empty", "", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := map[string]string{}
			if tt.header != "" {
				h["X-Hub-Signature"] = tt.header
			}
			_, err := mustNew(t, "generic", optional).Verify(req(h, body, time.Now()))
			if (err == nil) != tt.ok {
				t.Errorf("prefix_optional: err = %v, want ok %v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, providers.ErrUnauthorized) {
				t.Errorf("refusal is not ErrUnauthorized: %v", err)
			}
			_, err = mustNew(t, "generic", s).Verify(req(h, body, time.Now()))
			if (err == nil) != tt.strict {
				t.Errorf("strict prefix: err = %v, want ok %v", err, tt.strict)
			}
		})
	}
	if _, err := providers.New("generic", providers.Settings{Verify: "token", Header: "X", Secrets: []string{"a"}, PrefixOptional: true}); err == nil {
		t.Error("prefix_optional accepted with verify: token")
	}
}
