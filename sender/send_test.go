package sender_test

import (
	"crypto/ed25519"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/payload"
	"github.com/hookrunner/hookrunner/providers"
	_ "github.com/hookrunner/hookrunner/providers/builtin"
	"github.com/hookrunner/hookrunner/ruleset"
	"github.com/hookrunner/hookrunner/sender"
)

func load(t *testing.T, yaml string) *ruleset.Snapshot {
	t.Helper()
	p := filepath.Join(t.TempDir(), "hooks.yaml")
	if err := os.WriteFile(p, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	snap, err := ruleset.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// Without an event, a request carries the provider's DefaultEvent where
// the provider reads it (its event header), and the provider reads back
// exactly that event; the request verifies.
func TestBuildDefaultEvent(t *testing.T) {
	snap := load(t, `sources:
  github: { provider: github, secret: "gh" }
  gitlab: { provider: gitlab, secret: "gl" }
  gitea: { provider: gitea, secret: "gt" }
  gogs: { provider: gogs, secret: "gg" }
  bitbucket: { provider: bitbucket, secret: "bb" }
  shopify: { provider: shopify, secret: "sh" }
  stripe: { provider: stripe, secret: "whsec_st" }
`)
	tests := map[string]string{ // source: the event the provider must read
		"github": "push", "gitlab": "Push Hook", "gitea": "push", "gogs": "push",
		"bitbucket": "repo:push", "shopify": "orders/create", "stripe": "customer.created",
	}
	for name, want := range tests {
		t.Run(name, func(t *testing.T) {
			src := snap.Sources[name]
			info, _ := providers.Lookup(src.Provider)
			if info.DefaultEvent != want {
				t.Fatalf("DefaultEvent %q, want %q", info.DefaultEvent, want)
			}
			body, err := providers.Sample(src.Provider, "")
			if err != nil {
				t.Fatal(err)
			}
			r, err := sender.Build(src, body, sender.Options{Now: time.Now()})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := src.P.Verify(r); err != nil {
				t.Fatalf("does not verify: %v", err)
			}
			doc, _, err := payload.Decode(r.Header.Get("Content-Type"), r.Body)
			if err != nil {
				t.Fatal(err)
			}
			if got := src.P.Identify(r, doc).Event; got != want {
				t.Fatalf("the provider reads event %q, want %q (headers %v)", got, want, r.Header)
			}
		})
	}
}

// Discord is verified with the public key: signing needs the private key,
// given with --signing-key; without it, or with another key, Build says
// so instead of sending a request the server would refuse.
func TestBuildSigningKey(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	_, other, _ := ed25519.GenerateKey(nil)
	snap := load(t, `sources:
  discord: { provider: discord, secret: "`+hex.EncodeToString(pub)+`" }
  github: { provider: github, secret: "gh" }
`)
	body := []byte(`{"type":2,"id":"1","data":{"name":"deploy"}}`)
	tests := []struct {
		name, source string
		key          []byte
		err          string // "" = signed and verified
	}{
		{"no key", "discord", nil, "source discord (provider discord) is verified with a public key; signing needs the private key, which the config does not hold: put the application's Ed25519 private key (hex: a 32-byte seed or the 64-byte key) in a file and give --signing-key FILE"},
		{"private key", "discord", []byte(hex.EncodeToString(priv) + "\n"), ""},
		{"seed", "discord", []byte(hex.EncodeToString(priv.Seed())), ""},
		{"another key", "discord", []byte(hex.EncodeToString(other)), "is not the source's secret: the server would refuse what it signs"},
		{"not hex", "discord", []byte("-----BEGIN PRIVATE KEY-----"), "signing key: not hex"},
		{"short", "discord", []byte("abcd"), "want 32 or 64 bytes of hex, got 2"},
		{"a key for a secret signer", "github", []byte("abcd"), "provider github signs with the source's secret: it takes no signing key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := snap.Sources[tt.source]
			r, err := sender.Build(src, body, sender.Options{SigningKey: tt.key, Now: time.Now()})
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, err := src.P.Verify(r); err != nil {
				t.Fatalf("does not verify: %v", err)
			}
		})
	}
}

func TestParseHeader(t *testing.T) {
	tests := []struct {
		in, name, value string
		ok              bool
	}{
		{"X-A: b", "X-A", "b", true},
		{"X-A:b:c", "X-A", "b:c", true},
		{"Authorization:  Bearer t ", "Authorization", "Bearer t", true},
		{"nocolon", "", "", false},
		{": v", "", "", false},
		{"X A: v", "", "", false},
		{"X-A: v\r\nX-B: w", "", "", false},
	}
	for _, tt := range tests {
		n, v, err := sender.ParseHeader(tt.in)
		if (err == nil) != tt.ok || n != tt.name || v != tt.value {
			t.Errorf("ParseHeader(%q) = %q, %q, %v", tt.in, n, v, err)
		}
	}
}
