package main

import (
	"strings"
	"testing"

	"github.com/hookrunner/hookrunner/providers"
)

// `hookrunner providers` prints the registry: every provider imports.go
// registers, with its Doc; names give the detail; --markdown the README table.
func TestProvidersCommand(t *testing.T) {
	out, code := runCmd(t, "providers")
	if code != 0 {
		t.Fatalf("providers: exit %d\n%s", code, out)
	}
	names := providers.Names()
	if len(names) < 15 {
		t.Fatalf("only %d providers registered: %v (is imports.go importing providers/builtin?)", len(names), names)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != len(names)+1 || !strings.HasPrefix(lines[0], "PROVIDER") {
		t.Fatalf("want a header and %d rows, got:\n%s", len(names), out)
	}
	for i, n := range names {
		if f := strings.Fields(lines[i+1]); f[0] != n {
			t.Errorf("row %d is %q, want %s", i+1, f[0], n)
		}
	}
	if !strings.Contains(out, "X-GitHub-Delivery") || strings.Contains(out, "`") {
		t.Errorf("rows are not the Docs in plain text:\n%s", out)
	}

	out, code = runCmd(t, "providers", "twilio")
	if code != 0 || !strings.Contains(out, "https://www.twilio.com/docs/usage/webhooks/webhooks-security") || !strings.Contains(out, "samples        message") {
		t.Errorf("providers twilio: exit %d\n%s", code, out)
	}
	if out, code = runCmd(t, "providers", "githb"); code != 1 || !strings.Contains(out, `did you mean "github"`) {
		t.Errorf("unknown provider: exit %d\n%s", code, out)
	}
	if out, _ = runCmd(t, "providers", "--markdown"); out != providers.MarkdownTable() {
		t.Errorf("--markdown is not the registry's table:\n%s", out)
	}
}
