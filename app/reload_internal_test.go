package app

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookrunner/hookrunner/engine"
	"github.com/hookrunner/hookrunner/ruleset"
	"github.com/hookrunner/hookrunner/store/sqlite"
)

// TestReloadKeepsNonLoopbackAdminToken: the admin token follows reloads,
// so a reload that drops it is refused when the bound admin address is not
// loopback (it would open the admin to the network); on loopback it is
// accepted as at start-up. Nothing is bound: the reloader only sees the
// address.
func TestReloadKeepsNonLoopbackAdminToken(t *testing.T) {
	for _, tt := range []struct {
		listen  string
		refused bool
	}{
		{"0.0.0.0:8081", true},
		{"192.0.2.10:8081", true},
		{"127.0.0.1:8081", false},
		{"localhost:8081", false},
	} {
		t.Run(tt.listen, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "hooks.yaml")
			cfg := func(admin string) string {
				return "admin: { listen: \"" + tt.listen + "\"" + admin + " }\nsources: { hook: { provider: generic, verify: none } }\n"
			}
			if err := os.WriteFile(path, []byte(cfg(", token: keep-me")), 0o600); err != nil {
				t.Fatal(err)
			}
			snap, err := ruleset.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			st, err := sqlite.Open(context.Background(), filepath.Join(dir, "hr.db"), sqlite.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			eng := engine.New(snap, engine.Options{Store: st})
			r := newReloader(path, eng, slog.New(slog.DiscardHandler), func(string) {}, tt.listen)
			if err := os.WriteFile(path, []byte(cfg("")), 0o600); err != nil {
				t.Fatal(err)
			}
			err = r.reload(context.Background())
			tok := eng.Snapshot().Config.Admin.Token.Reveal()
			if tt.refused {
				if err == nil || !strings.Contains(err.Error(), "admin.token: required") || tok != "keep-me" {
					t.Fatalf("reload dropping the token: err %v, token in force %q", err, tok)
				}
				return
			}
			if err != nil || tok != "" {
				t.Fatalf("loopback reload: err %v, token in force %q", err, tok)
			}
		})
	}
}
