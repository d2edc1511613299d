package ruleset_test

import (
	"strings"
	"testing"

	"github.com/hookrunner/hookrunner/config"
	"github.com/hookrunner/hookrunner/ruleset"
)

// A shell action that hands a payload value to a program as code is
// refused when the config is built (validate and reload), naming the rule,
// the action and the element, with the safe form.
func TestBuildRefusesPayloadAsCode(t *testing.T) {
	const y = `
sources:
  github: { provider: github, secret: "s3cr3t" }
rules:
  - name: ok
    source: github
    actions: [ { shell: { command: ["/bin/sh", "-c", "deploy \"$1\"", "sh", "{{ payload.after }}"] } } ]
  - name: notify
    source: github
    actions: [ { shell: { command: ["/bin/true"] } } ]
  - name: deploy
    source: github
    actions:
      - shell: { command: ["timeout", "5", "bash", "-lc", "deploy {{ payload.ref }}"] }
      - shell: { command: ["/opt/x"], env: { LD_PRELOAD: "{{ payload.lib }}" } }
`
	cfg, err := config.Parse("hooks.yaml", []byte(y), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	_, err = ruleset.Build(cfg)
	if err == nil {
		t.Fatal("built a rule that runs a payload value as code")
	}
	for _, want := range []string{
		`hooks.yaml:14: rules[2] (deploy).actions[0].shell.command[4]: "deploy {{ payload.ref }}" would be read as code by bash -c; pass the value as a positional argument after the script (["bash","-c","deploy \"$1\"","bash","{{ payload.ref }}"]) or through env:`,
		`hooks.yaml:15: rules[2] (deploy).actions[1].shell.env.LD_PRELOAD: "{{ payload.lib }}"`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks\n%s\ngot:\n%s", want, err)
		}
	}
	if strings.Contains(err.Error(), "rules[0]") || strings.Contains(err.Error(), "rules[1]") {
		t.Errorf("the safe rules were refused too:\n%s", err)
	}
}
