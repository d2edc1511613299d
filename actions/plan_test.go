package actions_test

import (
	"strings"
	"testing"

	"github.com/hookrunner/hookrunner/actions"
	"github.com/hookrunner/hookrunner/internal/redact"
)

// TestPlanRedacted: every known secret, credential-named header and
// environment variable, and URL credential is masked in a plan.
func TestPlanRedacted(t *testing.T) {
	const secret = "sk-plan-secret-0042"
	r := redact.New(secret)
	p := actions.Plan{
		Shell: &actions.ShellPlan{Argv: []string{"/bin/x", "--key=" + secret}, Env: map[string]string{"API_TOKEN": "short", "NAME": "ada " + secret}, Stdin: secret},
		HTTP: &actions.HTTPPlan{Method: "POST", URL: "https://u:pw-in-url@h.example/x?api_key=k1&page=2",
			Headers: map[string]string{"Authorization": "Bearer t", "X-Trace": "1"}, Body: `{"k": "` + secret + `"}`},
		CRM:   &actions.CRMPlan{Driver: "sql", Key: []string{"email"}, Fields: map[string]string{"email": "a@b", "password": "pw1"}},
		Error: "failed with " + secret,
	}
	got := p.Redacted(r)
	all := strings.Join([]string{strings.Join(got.Shell.Argv, " "), got.Shell.Env["API_TOKEN"], got.Shell.Env["NAME"], got.Shell.Stdin,
		got.HTTP.URL, got.HTTP.Headers["Authorization"], got.HTTP.Body, got.CRM.Fields["password"], got.Error}, "\n")
	for _, leak := range []string{secret, "short", "pw-in-url", "k1", "Bearer t", "pw1"} {
		if strings.Contains(all, leak) {
			t.Errorf("%q is in the redacted plan:\n%s", leak, all)
		}
	}
	for _, kept := range []string{"/bin/x", "page=2", "a@b"} {
		if !strings.Contains(all+got.CRM.Fields["email"], kept) {
			t.Errorf("%q was lost:\n%s", kept, all)
		}
	}
	if got.HTTP.Headers["X-Trace"] != "1" || p.Shell.Stdin != secret {
		t.Error("Redacted changed what it should not (or the original)")
	}
}
