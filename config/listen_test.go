package config_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hookrunner/hookrunner/config"
)

func TestListenTokens(t *testing.T) {
	const tok = "listen-token-0123456789"
	tests := []struct {
		name, listen string
		env          map[string]string
		wantErr      string // "" : valid
	}{
		{"absent", "", nil, ""},
		{"valid from env", "listen: { tokens: [ { name: laptop, token: \"${LISTEN_TOKEN}\", sources: [github] } ] }", map[string]string{"LISTEN_TOKEN": tok}, ""},
		{"missing token", "listen: { tokens: [ { name: laptop, sources: [github] } ] }", nil, "listen.tokens[0].token: required"},
		{"short token", "listen: { tokens: [ { name: laptop, token: short-one, sources: [github] } ] }", nil, "listen.tokens[0].token: too short"},
		{"no sources", "listen: { tokens: [ { name: laptop, token: " + tok + " } ] }", nil, "listen.tokens[0].sources: list the sources"},
		{"unknown source", "listen: { tokens: [ { name: laptop, token: " + tok + ", sources: [githb] } ] }", nil, `listen.tokens[0].sources[0]: unknown source "githb"`},
		{"bad name", "listen: { tokens: [ { name: \"my laptop\", token: " + tok + ", sources: [github] } ] }", nil, "listen.tokens[0].name: required"},
		{"duplicate name", "listen: { tokens: [ { name: a, token: " + tok + ", sources: [github] }, { name: a, token: " + tok + "x, sources: [github] } ] }", nil, "listen.tokens[1].name: duplicate"},
		{"same token twice", "listen: { tokens: [ { name: a, token: " + tok + ", sources: [github] }, { name: b, token: " + tok + ", sources: [github] } ] }", nil, "listen.tokens[1].token: the same token"},
		{"unknown key", "listen: { tokens: [ { name: a, tokn: " + tok + ", sources: [github] } ] }", nil, "tokn"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.Parse("hooks.yaml", []byte(base+tt.listen+"\n"), env(tt.env))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				if tt.listen != "" && c.Listen.Tokens[0].Token.Reveal() != tok {
					t.Fatalf("token = %q", c.Listen.Tokens[0].Token.Reveal())
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), tok) {
				t.Fatalf("error shows the token: %v", err)
			}
		})
	}
}

// A listen token is a secret everywhere: token_file read, known to the
// redactor, never in the config's JSON or %+v.
func TestListenTokenIsSecret(t *testing.T) {
	dir := t.TempDir()
	const tok = "file-listen-token-abcdef0123"
	if err := os.WriteFile(filepath.Join(dir, "listen.token"), []byte(tok+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "hooks.yaml")
	y := base + "listen: { tokens: [ { name: laptop, token_file: listen.token, sources: [github] } ] }\n"
	if err := os.WriteFile(path, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Listen.Tokens[0].Token.Reveal(); got != tok {
		t.Fatalf("token_file read as %q", got)
	}
	if !slices.Contains(c.Secrets, tok) {
		t.Fatal("the listen token is not among the secrets the redactor knows")
	}
	js, _ := json.Marshal(c.File)
	for name, out := range map[string]string{"json": string(js), "%+v": fmt.Sprintf("%+v", c.File), "redacted": c.Redactor().String("token " + tok)} {
		if strings.Contains(out, tok) {
			t.Errorf("%s shows the listen token: %s", name, out)
		}
	}
}
