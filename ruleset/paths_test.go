package ruleset

import (
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/hookrunner/hookrunner/actions"
	"github.com/hookrunner/hookrunner/config"
	"github.com/hookrunner/hookrunner/expression"
)

// actionNotPaths are the string fields of the registered actions' YAML
// that hold no path. A new string field of an action fails
// TestEveryActionPathFieldIsTagged until it is tagged path:"…" (resolved
// against the config's folder by config.DecodeIn) or listed here.
var actionNotPaths = map[string]bool{
	"ShellConfig.stdin": true, "ShellConfig.error_body": true, "ShellConfig.content_type": true, "ShellConfig.user": true, "ShellConfig.group": true,
	"Config.driver": true, "Config.key": true, "Config.only_if_newer": true, "Config.table": true, "Config.base_url": true,
	"Config.token": true, "Config.object": true, "Config.api_version": true, "Config.external_id_field": true,
	"HTTPConfig.method": true, "HTTPConfig.url": true, "HTTPConfig.body": true,
}

func TestEveryActionPathFieldIsTagged(t *testing.T) {
	var problems []string
	seen := map[string]bool{}
	for kind, cfg := range actions.ConfigTypes() {
		for name, tag := range config.StringFields(reflect.TypeOf(cfg)) {
			seen[name] = true
			switch {
			case tag == "" && !actionNotPaths[name]:
				problems = append(problems, kind+": "+name+": a string field neither tagged path:\"file|program|dsn\" nor listed in actionNotPaths")
			case tag != "" && actionNotPaths[name]:
				problems = append(problems, kind+": "+name+": tagged as a path and listed in actionNotPaths")
			}
		}
	}
	for name := range actionNotPaths {
		if !seen[name] {
			problems = append(problems, name+": listed in actionNotPaths but no such field")
		}
	}
	sort.Strings(problems)
	for _, p := range problems {
		t.Error(p)
	}
}

// A shell action's relative program and dir, and a crm's SQLite dsn, are
// relative to the config's folder whatever the working directory.
func TestActionPathsRelativeToConfigFolder(t *testing.T) {
	root := t.TempDir()
	cfgDir := filepath.Join(root, "conf")
	os.MkdirAll(cfgDir, 0o755)
	y := `
sources:
  github: { provider: github, secret: s3cr3t-paths }
rules:
  - name: relative
    source: github
    actions:
      - shell: { command: ["./deploy.sh", "./arg-as-written"], dir: work }
      - shell: { command: ["git", "status"] }
      - shell: { command: ["bin/tool"], dir: /tmp }
      - crm: { driver: sql, dsn: data/crm.db, table: contacts, key: [email], fields: { email: payload.email } }
`
	os.WriteFile(filepath.Join(cfgDir, "hooks.yaml"), []byte(y), 0o600)
	t.Chdir(root)
	snap, err := Load("conf/hooks.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	env := &expression.Env{Payload: map[string]any{"email": "a@example.com"}}
	want := []string{
		`shell ["` + filepath.Join(cfgDir, "deploy.sh") + `" "./arg-as-written"] in ` + filepath.Join(cfgDir, "work"),
		`shell ["git" "status"] in ` + cfgDir,
		`shell ["` + filepath.Join(cfgDir, "bin/tool") + `"] in /tmp`,
		filepath.Join(cfgDir, "data/crm.db"),
	}
	for i, st := range snap.Rules["relative"].Steps {
		got, err := st.Action.Describe(env)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(got, want[i]) {
			t.Errorf("actions[%d]: %s\nwant it to contain %s", i, got, want[i])
		}
	}
}
