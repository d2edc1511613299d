package importer_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookrunner/hookrunner/config"
	"github.com/hookrunner/hookrunner/importer"
	"github.com/hookrunner/hookrunner/ruleset"
)

// Every example of adnanh/webhook's Hook-Examples page converts to a
// config that hookrunner loads; what cannot be converted is a warning.
func TestImportDocumentedExamples(t *testing.T) {
	tests := map[string]struct {
		provider string
		want     []string
		warn     []string
	}{
		"github.json":      {"generic", []string{"verify: hmac", `header: "X-Hub-Signature"`, "algorithm: sha1", `prefix: "sha1="`, "prefix_optional: true", `secret: "mysecret"`, `event_header: "X-GitHub-Event"`, `string(v) == \"refs/heads/master\"`, `"{{ lookup(payload, \"head_commit.id\") }}"`, `dir: "/home/adnan/go"`}, nil},
		"bitbucket.json":   {"generic", []string{`allow_ips: ["104.192.143.0/24"]`, "verify: none"}, []string{"verify: none"}},
		"gitlab.json":      {"generic", []string{"verify: token", `header: "X-Gitlab-Token"`, `secret: "<YOUR-GENERATED-TOKEN>"`, `event_header: "X-Gitlab-Event"`}, []string{"Executing redeploy script"}},
		"gogs.json":        {"generic", []string{`header: "X-Gogs-Signature"`, "algorithm: sha256", `secret: "mysecret"`, `event_header: "X-Gogs-Event"`}, nil},
		"gitea.json":       {"generic", []string{`lookup(payload, \"secret\"); v != nil && string(v) == \"mysecret\"`}, []string{"verify: none"}},
		"slack.json":       {"generic", []string{`lookup(payload, \"token\"); v != nil && string(v) == \"<YOUR-GENERATED-TOKEN>\"`}, []string{"verify: none"}},
		"query-token.json": {"generic", []string{"verify: token", `query_param: "token"`, `secret: "42"`}, nil},
		"pass-file.json":   {"generic", []string{"respond: sync", "stdin: body"}, []string{"pass-file-to-command"}},
		"travis.json":      {"generic", []string{`fromJSON(lookup(payload, \"payload\"))`, `\"state\"); v != nil && string(v) == \"passed\"`}, nil},
		"xml.json":         {"generic", []string{`lookup(payload, \"app.users.user.0.-name\") ?? lookup(payload, \"app.users.user.0.@name\")`}, nil},
		"multipart.json":   {"generic", []string{`\"event\"); v != nil && string(v) == \"media.play\"`}, nil},
		"form-data.yaml":   {"generic", []string{"verify: hmac", `header: "X-Signature"`, `secret: "${FORM_SECRET}"`, `!(let v = lookup(query, \"role\")`, `"--verbose"`, `"{{ (type(payload) == \"array\" ? {\"root\": payload} : payload) }}"`, `"HOOK_X-Request-Id": "{{ lookup(headers, \"x-request-id\") }}"`, "omit_missing_env: true"}, []string{"http-methods"}},
	}
	for file, tt := range tests {
		t.Run(file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", file))
			if err != nil {
				t.Fatal(err)
			}
			res, err := importer.FromWebhook(data)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(res.YAML, "provider: "+tt.provider) {
				t.Errorf("provider %s expected:\n%s", tt.provider, res.YAML)
			}
			for _, w := range tt.want {
				if !strings.Contains(res.YAML, w) {
					t.Errorf("output lacks %s:\n%s", w, res.YAML)
				}
			}
			all := strings.Join(append(res.Warnings, res.Notes...), "\n")
			for _, w := range tt.warn {
				if !strings.Contains(all, w) {
					t.Errorf("warnings lack %q: %v", w, res.Warnings)
				}
			}
			mustBuild(t, res.YAML)
		})
	}
}

// mustBuild checks that a converted config loads (the whole config compiles).
func mustBuild(t *testing.T, yml string) {
	t.Helper()
	cfg, err := config.Parse("hooks.yaml", []byte(yml), func(k string) (string, bool) { return "x", strings.HasSuffix(k, "SECRET") })
	if err == nil {
		_, err = ruleset.Build(cfg)
	}
	if err != nil {
		t.Fatalf("converted config does not validate: %v\n%s", err, yml)
	}
}
