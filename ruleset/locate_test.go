package ruleset

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every problem of a rule names the file, the 1-based line and the rule
// (its 0-based index, as in a JSON path, and its name), whether the loader
// or the build step finds it, in the main file or an included one.
func TestRuleErrorsNameFileLineAndRule(t *testing.T) {
	const head = `sources:
  github: { provider: github, secret: s3cr3t-locate }
include: ["hooks.d/*.yaml"]
rules:
  - name: first
    source: github
    actions: [ { shell: { command: ["/bin/true"] } } ]
`
	// The rule under test is rules[1]; its first line is line 8.
	tests := []struct {
		name, rule, include, want string
	}{
		{"unknown key", `  - name: deploy-api
    source: github
    trigger_rule: x
    actions: [ { shell: { command: ["/bin/true"] } } ]
`, "", `hooks.yaml:10: rules[1] (deploy-api).trigger_rule: unknown key (did you mean "if"?)`},
		{"wrong type", `  - name: deploy-api
    source: github
    concurrency: lots
    actions: [ { shell: { command: ["/bin/true"] } } ]
`, "", `hooks.yaml:10: rules[1] (deploy-api).concurrency: expected type 'int'`},
		{"unknown source", `  - name: deploy-api
    source: gitub
    actions: [ { shell: { command: ["/bin/true"] } } ]
`, "", `hooks.yaml:9: rules[1] (deploy-api).source: unknown source "gitub" (did you mean "github"?)`},
		{"empty event", `  - name: deploy-api
    source: github
    events:
      - push
      - ""
    actions: [ { shell: { command: ["/bin/true"] } } ]
`, "", `hooks.yaml:12: rules[1] (deploy-api).events[1]: empty event name`},
		{"condition does not compile", `  - name: deploy-api
    source: github
    if: payload.ref ==
    actions: [ { shell: { command: ["/bin/true"] } } ]
`, "", `hooks.yaml:10: rules[1] (deploy-api).if: compile`},
		{"unknown action type", `  - name: deploy-api
    source: github
    actions:
      - shel: { command: ["/bin/true"] }
`, "", `hooks.yaml:11: rules[1] (deploy-api).actions[0]: unknown action type "shel" (did you mean "shell"?)`},
		{"payload as code", `  - name: deploy-api
    source: github
    actions:
      - shell:
          command:
            - /bin/sh
            - -c
            - "deploy {{ payload.ref }}"
`, "", `hooks.yaml:15: rules[1] (deploy-api).actions[0].shell.command[2]: "deploy {{ payload.ref }}" would be read as code by sh -c`},
		{"bad env name", `  - name: deploy-api
    source: github
    actions:
      - shell:
          command: ["/bin/true"]
          env:
            1BAD: x
`, "", `hooks.yaml:14: rules[1] (deploy-api).actions[0].shell.env.1BAD: not a valid environment variable name`},
		{"unnamed rule", `  - source: github
    actions: [ { shell: { command: ["/bin/true"] } } ]
`, "", `hooks.yaml:8: rules[1].name: required`},
		{"in an included file", "", `rules:
  - name: inc
    source: github
    if: payload.ref ==
    actions: [ { shell: { command: ["/bin/true"] } } ]
`, `hooks.d/a.yaml:4: rules[0] (inc).if: compile`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			os.MkdirAll(filepath.Join(dir, "hooks.d"), 0o755)
			os.WriteFile(filepath.Join(dir, "hooks.yaml"), []byte(head+tt.rule), 0o600)
			if tt.include != "" {
				os.WriteFile(filepath.Join(dir, "hooks.d", "a.yaml"), []byte(tt.include), 0o600)
			}
			s, err := Load(filepath.Join(dir, "hooks.yaml"))
			if err == nil {
				s.Close()
				t.Fatal("config accepted")
			}
			var line string
			for _, l := range strings.Split(err.Error(), "\n") {
				if strings.HasPrefix(l, strings.SplitN(tt.want, ": ", 2)[0]) {
					line = l
				}
			}
			if !strings.HasPrefix(line, tt.want) {
				t.Errorf("want a line starting %q in:\n%v", tt.want, err)
			}
		})
	}
}
