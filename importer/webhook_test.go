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
		"github.json":      {"github", []string{`secret: "mysecret"`, `if: "payload.ref == \"refs/heads/master\""`, `"{{ payload.head_commit?.id }}"`, `dir: "/home/adnan/go"`}, nil},
		"bitbucket.json":   {"generic", []string{`allow_ips: ["104.192.143.0/24"]`, "verify: none"}, []string{"verify: none"}},
		"gitlab.json":      {"gitlab", []string{`secret: "<YOUR-GENERATED-TOKEN>"`}, []string{"response-message"}},
		"gogs.json":        {"gogs", []string{`secret: "mysecret"`}, nil},
		"gitea.json":       {"generic", []string{`payload.secret == \"mysecret\"`}, []string{"verify: none"}},
		"slack.json":       {"generic", []string{`payload.token == \"<YOUR-GENERATED-TOKEN>\"`}, []string{"verify: none"}},
		"query-token.json": {"generic", []string{"verify: token", `query_param: "token"`, `secret: "42"`}, nil},
		"pass-file.json":   {"generic", []string{"respond: sync"}, []string{"pass-file-to-command"}},
		"travis.json":      {"generic", []string{`payload.state == \"passed\" && payload.branch == \"master\"`}, nil},
		"xml.json":         {"generic", []string{`payload.app?.users?.user[0][\"-name\"] == \"Jeff\"`}, nil},
		"multipart.json":   {"generic", []string{`payload.event == \"media.play\"`}, nil},
		"form-data.yaml":   {"generic", []string{"verify: hmac", `header: "X-Signature"`, `secret: "${FORM_SECRET}"`, `(payload.user matches \"^(alice|bob)$\" || !(query[\"role\"] == \"guest\"))`, `"--verbose"`, `"{{ toJSON(payload) }}"`, `HOOK_X_Request_Id: "{{ headers[\"x-request-id\"] }}"`}, []string{"http-methods"}},
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
			all := strings.Join(res.Warnings, "\n")
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
