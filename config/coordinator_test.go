package config_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookrunner/hookrunner/config"
)

// TestCoordinator: a reload applies a changed file, skips one whose hash
// is in force, and keeps the config in force when reading, building,
// checking or applying fails; each outcome is reported once.
func TestCoordinator(t *testing.T) {
	const good = "sources: { hook: { provider: generic, verify: none } }\n"
	const other = "sources: { other: { provider: generic, verify: none } }\n"
	tests := []struct {
		name       string
		file       string // "" removes the file
		check      error
		apply      error
		wantErr    string
		wantChange bool
		wantSame   bool
	}{
		{name: "changed", file: other, wantChange: true},
		{name: "identical", file: good, wantSame: true},
		{name: "unreadable", file: "", wantErr: "read:"},
		{name: "invalid", file: "sources: { hook: { provider: nosuch } }\n", wantErr: "nosuch"},
		{name: "refused by check", file: other, check: errors.New("no token"), wantErr: "no token"},
		{name: "apply fails", file: other, apply: errors.New("store down"), wantErr: "store down"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "hooks.yaml")
			if err := os.WriteFile(path, []byte(good), 0o600); err != nil {
				t.Fatal(err)
			}
			build := func(c *config.Config) (*config.Config, error) {
				for _, s := range c.Sources {
					if s.Provider != "generic" {
						return nil, errors.New("unknown provider " + s.Provider)
					}
				}
				return c, nil
			}
			current, err := config.LoadBuilt(path, build)
			if err != nil {
				t.Fatal(err)
			}
			var failed []error
			changed, same := 0, 0
			co := config.NewCoordinator(path, config.CoordinatorOptions[*config.Config]{
				Build:   build,
				Check:   func(*config.Config) error { return tt.check },
				Current: func() *config.Config { return current },
				Hash:    func(c *config.Config) string { return c.Hash },
				Apply: func(_ context.Context, next, prev *config.Config) error {
					if prev != current {
						t.Error("apply got another previous config")
					}
					if tt.apply != nil {
						return tt.apply
					}
					current = next
					changed++
					return nil
				},
				Failed:    func(err error) { failed = append(failed, err) },
				Unchanged: func() { same++ },
			})
			if tt.file == "" {
				os.Remove(path)
			} else if err := os.WriteFile(path, []byte(tt.file), 0o600); err != nil {
				t.Fatal(err)
			}
			before := current
			err = co.Reload(context.Background())
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || len(failed) != 1 || current != before {
					t.Fatalf("err %v (failures %d), config changed %v; want %q and the config kept", err, len(failed), current != before, tt.wantErr)
				}
				return
			}
			if err != nil || len(failed) != 0 {
				t.Fatalf("reload: %v", err)
			}
			if (changed == 1) != tt.wantChange || (same == 1) != tt.wantSame {
				t.Fatalf("applied %d, unchanged %d", changed, same)
			}
		})
	}
}
