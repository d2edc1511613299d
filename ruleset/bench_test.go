package ruleset_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/hookrunner/hookrunner/config"
	"github.com/hookrunner/hookrunner/expression"
	"github.com/hookrunner/hookrunner/ruleset"
)

// manyRules returns a config with n rules spread over 100 sources; every
// rule listens to push and compares the repository name.
func manyRules(n int) []byte {
	var b strings.Builder
	b.WriteString("sources:\n")
	for s := 0; s < 100; s++ {
		fmt.Fprintf(&b, "  src%d: { provider: github, secret: \"secret-%d\" }\n", s, s)
	}
	b.WriteString("rules:\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "  - name: rule-%d\n    source: src%d\n    events: [push]\n    if: payload.ref == \"refs/heads/main\" && payload.repository.full_name == \"acme/svc-%d\"\n    actions:\n      - shell: { command: [\"/opt/deploy.sh\", \"{{ payload.after }}\"] }\n", i, i%100, i)
	}
	return []byte(b.String())
}

func build(tb testing.TB, raw []byte) *ruleset.Snapshot {
	tb.Helper()
	cfg, err := config.Parse("hooks.yaml", raw, func(string) (string, bool) { return "", false })
	if err != nil {
		tb.Fatal(err)
	}
	s, err := ruleset.Build(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

const pushJSON = `{"ref":"refs/heads/main","after":"0d1a26e67d8f","repository":{"full_name":"acme/svc-4200","name":"svc"},"pusher":{"name":"ada"},"commits":[{"id":"0d1a26e67d8f","message":"Fix","author":{"name":"Ada","email":"ada@example.com"}}]}`

// BenchmarkMatch measures matching one decoded event against the rules of
// its source (the JSON decode is done once, outside the loop).
func BenchmarkMatch(b *testing.B) {
	for _, n := range []int{10, 1000, 10000} {
		b.Run(fmt.Sprintf("rules=%d", n), func(b *testing.B) {
			snap := build(b, manyRules(n))
			var payload any
			_ = json.Unmarshal([]byte(pushJSON), &payload)
			src := snap.Sources["src0"]
			env := &expression.Env{Source: "src0", Provider: "github", Event: "push", Payload: payload}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				_ = src.Match(env)
			}
		})
	}
}

// BenchmarkReload measures parse + validate + compile of a whole config
// (every expression and template): the work done before the atomic swap.
func BenchmarkReload(b *testing.B) {
	for _, n := range []int{100, 10000} {
		raw := manyRules(n)
		b.Run(fmt.Sprintf("rules=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				build(b, raw)
			}
		})
	}
}

func TestMatchUsesIndexAndConditions(t *testing.T) {
	snap := build(t, manyRules(1000))
	var payload any
	_ = json.Unmarshal([]byte(strings.Replace(pushJSON, "svc-4200", "svc-300", 1)), &payload)
	env := &expression.Env{Source: "src0", Event: "push", Payload: payload}
	got := snap.Sources["src0"].Match(env)
	if len(got) != 1 || got[0].Name != "rule-300" {
		t.Fatalf("matched %v", got)
	}
	env.Event = "pull_request"
	if got := snap.Sources["src0"].Match(env); len(got) != 0 {
		t.Fatalf("pull_request matched %d rules", len(got))
	}
	if n := len(snap.Sources["src0"].Candidates("release")); n != 0 {
		t.Fatalf("release has %d candidates", n)
	}
}

// The index never changes what matches: for varied events, Match equals a
// full scan of every rule of the source.
func TestIndexIsSound(t *testing.T) {
	raw := `
sources:
  s: { provider: generic, verify: none }
rules:
  - { name: a, source: s, events: [push], if: 'payload.repo == "x" && payload.ref == "main"', actions: [ { shell: { command: ["/bin/true"] } } ] }
  - { name: b, source: s, events: [push], if: 'payload.repo == "y"', actions: [ { shell: { command: ["/bin/true"] } } ] }
  - { name: c, source: s, events: [push], if: '"x" == payload.repo || payload.n > 3', actions: [ { shell: { command: ["/bin/true"] } } ] }
  - { name: d, source: s, events: [push], if: 'payload.meta?.team == "ops" && payload.repo == "x"', actions: [ { shell: { command: ["/bin/true"] } } ] }
  - { name: e, source: s, events: [push], actions: [ { shell: { command: ["/bin/true"] } } ] }
  - { name: f, source: s, events: ["pu*"], if: 'payload.repo == "z"', actions: [ { shell: { command: ["/bin/true"] } } ] }
  - { name: g, source: s, if: 'payload.repo == "x"', actions: [ { shell: { command: ["/bin/true"] } } ] }
  - { name: h, source: s, events: [push], if: 'payload.repo == 1', actions: [ { shell: { command: ["/bin/true"] } } ] }
`
	snap := build(t, []byte(raw))
	src := snap.Sources["s"]
	payloads := []string{`{"repo":"x","ref":"main"}`, `{"repo":"y"}`, `{"repo":"z","n":5}`, `{"repo":"x","meta":{"team":"ops"}}`,
		`{"repo":1}`, `{}`, `{"n":4}`, `"text"`, `{"repo":"x","ref":"dev","meta":null}`}
	for _, p := range payloads {
		var payload any
		_ = json.Unmarshal([]byte(p), &payload)
		for _, ev := range []string{"push", "pull", "release"} {
			env := &expression.Env{Source: "s", Event: ev, Payload: payload}
			var want []string
			for _, r := range src.Rules() {
				if ok, _ := r.Cond.Eval(env); ok && r.MatchesEvent(ev) {
					want = append(want, r.Name)
				}
			}
			var got []string
			for _, r := range src.Match(env) {
				got = append(got, r.Name)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("payload %s event %s: index matched %v, full scan %v", p, ev, got, want)
			}
		}
	}
}
