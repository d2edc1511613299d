package builtin_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/providers"
	_ "github.com/hookrunner/hookrunner/providers/builtin"
)

// The README's provider table is every registered provider's Doc, so a
// provider's README row lives in its file: adding or changing a provider
// without `hookrunner providers --markdown` in the README fails here.
func TestREADMEProviderTable(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "<!-- providers:begin")
	if !ok {
		t.Fatal("README.md has no <!-- providers:begin --> marker")
	}
	table, _, ok := strings.Cut(rest, "<!-- providers:end -->")
	if !ok {
		t.Fatal("README.md has no <!-- providers:end --> marker")
	}
	_, table, _ = strings.Cut(table, "-->\n")
	if want := providers.MarkdownTable(); table != want {
		t.Errorf("README.md provider table differs from the registry; paste `hookrunner providers --markdown`:\n--- README\n%s--- registry\n%s", table, want)
	}
}

// Every provider says what it checks and where its event type and delivery
// id come from, and every one that can be sent to has a sample for its
// default event that it accepts once signed.
func TestEveryProviderDocumentedWithSample(t *testing.T) {
	for _, info := range providers.All() {
		d := info.Doc
		for col, v := range map[string]string{"verification": d.Verification, "handshake": d.Handshake, "event type": d.Event,
			"delivery id": d.DeliveryID, "replay window": d.ReplayWindow} {
			if v == "" || strings.Contains(v, "|") || strings.Contains(v, "\n") {
				t.Errorf("%s: Doc %s %q is empty or breaks the table", info.Name, col, v)
			}
		}
		if info.Name == "poll" {
			continue // polled: nothing is pushed, nothing to send
		}
		if _, err := providers.Sample(info.Name, ""); err != nil {
			t.Errorf("%s: %v", info.Name, err)
		}
	}
	if _, err := providers.Sample("shopify", "orders/create"); err != nil {
		t.Errorf("orders/create maps to orders-create: %v", err)
	}
	if _, err := providers.Sample("gitlab", "Push Hook"); err != nil {
		t.Errorf("Push Hook maps to push: %v", err)
	}
	if _, err := providers.Sample("github", "nosuch"); err == nil || !strings.Contains(err.Error(), "pull_request, push, release") {
		t.Errorf("unknown sample: %v, want the list of samples", err)
	}
}

func TestRegisterRefuses(t *testing.T) {
	nop := func(providers.Settings) (providers.Provider, error) { return nil, nil }
	tests := []struct {
		name string
		info providers.Info
		want string
	}{
		{"duplicate", providers.Info{Name: "github", New: nop, Formats: providers.FormatJSON}, "duplicate"},
		// The media types a signature vouches for are part of a provider.
		{"no formats", providers.Info{Name: "no-formats", New: nop}, "Formats"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if msg, _ := r.(string); !strings.Contains(msg, tc.want) {
					t.Fatalf("Register panicked with %v, want %q", r, tc.want)
				}
			}()
			providers.Register(tc.info)
		})
	}
}

// What `hookrunner send` asks the signer to carry, the provider reads back:
// the event type and delivery id headers live with the provider.
func TestSignCarriesIdentity(t *testing.T) {
	tests := []struct {
		provider string
		s        providers.Settings
		want     providers.Identity
	}{
		{"github", providers.Settings{Secrets: []string{"s"}}, providers.Identity{Event: "push", DeliveryID: "d1"}},
		{"gitlab", providers.Settings{Secrets: []string{"s"}}, providers.Identity{Event: "Push Hook", DeliveryID: "d1"}},
		{"gitea", providers.Settings{Secrets: []string{"s"}}, providers.Identity{Event: "push", DeliveryID: "d1"}},
		{"gogs", providers.Settings{Secrets: []string{"s"}}, providers.Identity{Event: "push", DeliveryID: "d1"}},
		{"bitbucket", providers.Settings{Secrets: []string{"s"}}, providers.Identity{Event: "repo:push", DeliveryID: "d1"}},
		{"shopify", providers.Settings{Secrets: []string{"s"}}, providers.Identity{Event: "orders/create", DeliveryID: "d1"}},
		{"generic", providers.Settings{Verify: "hmac", Header: "X-Sig", Secrets: []string{"s"}, EventHeader: "X-Ev", IDHeader: "X-Id"},
			providers.Identity{Event: "thing.done", DeliveryID: "d1"}},
		{"twilio", providers.Settings{Secrets: []string{"s"}}, providers.Identity{Event: "message", DeliveryID: "d1"}}, // event from the form
	}
	for _, tt := range tests {
		t.Run(tt.provider, func(t *testing.T) {
			p := mustNew(t, tt.provider, tt.s)
			ct := map[string]string{"Content-Type": "application/json"}
			body := `{"x":1}`
			if tt.provider == "twilio" {
				ct, body = map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, "MessageSid=SM1&Body=hi"
			}
			r := req(ct, body, time.Now())
			p.(providers.Signer).Sign(r, tt.want)
			if _, err := p.Verify(r); err != nil {
				t.Fatalf("signed request refused: %v", err)
			}
			if got := p.Identify(r, nil); got != tt.want {
				t.Fatalf("Identify after Sign = %+v, want %+v", got, tt.want)
			}
			// Nothing to carry: no empty headers.
			r = req(ct, body, time.Now())
			p.(providers.Signer).Sign(r, providers.Identity{})
			if got := p.Identify(r, nil); got.DeliveryID != "" {
				t.Fatalf("empty identity signed as %+v", got)
			}
		})
	}
}
