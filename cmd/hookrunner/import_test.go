package main

import (
	"strings"
	"testing"
)

// `hookrunner import --from webhook hooks.json > hooks.yaml` with a misspelt
// trigger_rule fails and writes nothing that could land in hooks.yaml.
// (Before, it wrote a source with verify: none and no condition.)
func TestImportRefusesMisspeltTriggerRule(t *testing.T) {
	dir := t.TempDir()
	tests := map[string]string{
		"hooks.json": `[{"id": "redeploy", "execute-command": "/opt/redeploy.sh",
  "trigger_rule": {"match": {"type": "payload-hmac-sha256", "secret": "s3cr3t", "parameter": {"source": "header", "name": "X-Hub-Signature-256"}}}}]`,
		"hooks.yaml": "- id: redeploy\n  execute-command: /opt/redeploy.sh\n  trigger_rule:\n    match: {type: payload-hmac-sha256, secret: s3cr3t, parameter: {source: header, name: X-Hub-Signature-256}}\n",
	}
	for name, body := range tests {
		t.Run(name, func(t *testing.T) {
			stdout, stderr, code := runSplit("import", "--from", "webhook", writeFile(t, dir, name, body))
			if code == 0 {
				t.Fatalf("exit 0; stdout:\n%s", stdout)
			}
			if stdout != "" {
				t.Fatalf("a refused import wrote to stdout:\n%s", stdout)
			}
			if want := `hook "redeploy": unknown key "trigger_rule" (did you mean "trigger-rule"?)`; !strings.Contains(stderr, want) {
				t.Fatalf("stderr lacks %s:\n%s", want, stderr)
			}
		})
	}
}

// A hook without a trigger rule converts, with verify: none written out and
// a loud warning naming it on stderr; the output passes validate.
func TestImportUnverifiedHookWarnsLoudly(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "hooks.json", `[
  {"id": "open", "execute-command": "/bin/true"},
  {"id": "signed", "execute-command": "/bin/true", "trigger-rule": {"match": {"type": "payload-hmac-sha256", "secret": "s3cr3t", "parameter": {"source": "header", "name": "X-Signature"}}}}]`)
	stdout, stderr, code := runSplit("import", "--from", "webhook", in)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := `WARNING: UNVERIFIED SOURCE: hook "open" had no trigger rule in adnanh/webhook either: anyone who knows the URL can run it; add a secret`
	if !strings.Contains(stderr, want) || strings.Contains(stderr, `hook "signed" had no`) {
		t.Fatalf("stderr:\n%s", stderr)
	}
	if strings.Count(stdout, "\n    verify: none\n") != 1 || !strings.Contains(stdout, "verify: hmac") {
		t.Fatalf("stdout:\n%s", stdout)
	}
	out, code := runCmd(t, "validate", "--config", writeFile(t, dir, "hooks.yaml", stdout))
	if code != 0 {
		t.Fatalf("converted config does not validate: %s\n%s", out, stdout)
	}
}
