package app_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestMatchBudgetEndToEnd sends the matching attack of the security review
// (a condition comparing two 20,000-element arrays pairwise, 34 s of CPU
// per event before) to a real hookrunner: it is answered 202, the event is
// stored, the rule does not match and the admin API and the console say
// "evaluation budget exceeded"; the same delivery again is a duplicate,
// and valid traffic is still served.
func TestMatchBudgetEndToEnd(t *testing.T) {
	in := start(t, `
sources:
  github: { provider: github, secret: "gh-test-secret" }
rules:
  - name: hostile
    source: github
    events: [push]
    if: 'any(payload.a, # in payload.b)'
    actions: [ { shell: { command: ["/bin/true"] } } ]
  - name: deploy
    source: github
    events: [push]
    if: payload.ref == "refs/heads/main"
    actions: [ { shell: { command: ["/bin/true"] } } ]
`, false)
	a, b := make([]int, 20000), make([]int, 20000)
	for i := range a {
		a[i], b[i] = i, 20000+i
	}
	body, _ := json.Marshal(map[string]any{"a": a, "b": b})

	began := time.Now()
	code, ans := in.postGitHub(t, "gh-test-secret", "push", "attack-1", body)
	t.Logf("hostile event answered in %v", time.Since(began)) // for the reader; not asserted
	if code != http.StatusAccepted {
		t.Fatalf("hostile event: %d %v", code, ans)
	}
	id, _ := ans["id"].(string)
	if m, _ := ans["matched"].([]any); id == "" || len(m) != 0 {
		t.Fatalf("hostile event answer: %v", ans)
	}

	var detail struct {
		Event struct {
			ID      string   `json:"id"`
			Matched []string `json:"matched"`
		} `json:"event"`
		Decisions []struct {
			Rule    string `json:"rule"`
			Matched bool   `json:"matched"`
			Reason  string `json:"reason"`
		} `json:"decisions"`
	}
	in.getJSON(t, "/api/events/"+id, &detail)
	if detail.Event.ID != id || len(detail.Event.Matched) != 0 {
		t.Fatalf("stored event: %+v", detail.Event)
	}
	var hostile string
	for _, d := range detail.Decisions {
		if d.Rule == "hostile" {
			hostile = d.Reason
			if d.Matched {
				t.Fatal("explain: the hostile rule matches")
			}
		}
	}
	if !strings.Contains(hostile, "evaluation budget exceeded") {
		t.Fatalf("explain of the hostile rule: %q (decisions %+v)", hostile, detail.Decisions)
	}
	resp, err := http.Get(in.adm + "/ui/events/" + id)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), "evaluation budget exceeded") {
		t.Fatalf("console event page: %d, no \"evaluation budget exceeded\" in it", resp.StatusCode)
	}

	evaluated := strings.Count(in.logs.String(), "condition error")
	if evaluated == 0 {
		t.Fatal("the budget-stopped condition was not logged")
	}
	code, ans = in.postGitHub(t, "gh-test-secret", "push", "attack-1", body)
	if dup, _ := ans["duplicate"].(bool); code != http.StatusOK || !dup || ans["id"] != id {
		t.Fatalf("replayed delivery: %d %v", code, ans)
	}
	if !strings.Contains(in.logs.String(), "duplicate delivery") {
		t.Fatal("no duplicate logged")
	}
	if n := strings.Count(in.logs.String(), "condition error"); n != evaluated {
		t.Fatalf("the replayed delivery evaluated %d conditions", n-evaluated)
	}

	code, ans = in.postGitHub(t, "gh-test-secret", "push", "valid-1", pushBody("refs/heads/main", "abc"))
	if m, _ := ans["matched"].([]any); code != http.StatusAccepted || len(m) != 1 || m[0] != "deploy" {
		t.Fatalf("valid event: %d %v", code, ans)
	}
}
