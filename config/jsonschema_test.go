package config_test

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"github.com/hookrunner/hookrunner/actions"
	// Every provider and action is in the committed schema, as the binary registers them.
	_ "github.com/hookrunner/hookrunner/actions/crm"
	_ "github.com/hookrunner/hookrunner/actions/forward"
	_ "github.com/hookrunner/hookrunner/actions/httpcall"
	_ "github.com/hookrunner/hookrunner/actions/shell"
	"github.com/hookrunner/hookrunner/config"
	"github.com/hookrunner/hookrunner/providers"
	_ "github.com/hookrunner/hookrunner/providers/builtin"
)

// The committed hooks.schema.json must be what the structs generate:
// regenerate with `go run ./cmd/hookrunner schema > hooks.schema.json`.
func TestSchemaInSync(t *testing.T) {
	got := config.JSONSchema(providers.Names(), actions.ConfigTypes())
	want, err := os.ReadFile("../hooks.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("hooks.schema.json is stale: run `go run ./cmd/hookrunner schema > hooks.schema.json`")
	}
	var s map[string]any
	if err := json.Unmarshal(got, &s); err != nil {
		t.Fatal(err)
	}
	rule := s["properties"].(map[string]any)["rules"].(map[string]any)["items"].(map[string]any)["properties"].(map[string]any)
	for _, k := range []string{"name", "source", "events", "if", "actions", "retry", "concurrency"} {
		if _, ok := rule[k]; !ok {
			t.Errorf("rule schema lacks %s", k)
		}
	}
	if tests, ok := s["properties"].(map[string]any)["tests"].(map[string]any); !ok || tests["type"] != "array" {
		t.Errorf("schema lacks tests: a list of files (%v)", tests)
	}
	if _, ok := rule["trigger_rule"]; ok {
		t.Error("schema accepts trigger_rule")
	}
}
