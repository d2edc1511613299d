package importer_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookrunner/hookrunner/importer"
)

// refused runs the importer on in and returns the refusal's problems; the
// import must fail with a *Refusal and no result.
func refused(t *testing.T, in string) string {
	t.Helper()
	res, err := importer.FromWebhook([]byte(in))
	var ref *importer.Refusal
	if !errors.As(err, &ref) {
		t.Fatalf("import not refused (err %v):\n%v", err, res)
	}
	if res != nil {
		t.Fatalf("a refused import returned a result:\n%s", res.YAML)
	}
	return strings.Join(ref.Problems, "\n")
}

const hmacMatch = `{"type": "payload-hmac-sha256", "secret": "s3cr3t", "parameter": {"source": "header", "name": "X-Signature"}}`

// A misspelt or misplaced key anywhere in a hook refuses the import and
// names the hook, the key's path and the key it was probably meant to be.
// (Before, the key was ignored: a misspelt trigger-rule became verify: none.)
func TestImportRefusesUnknownKeys(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"top-level underscore (JSON)",
			`[{"id": "redeploy", "execute-command": "/bin/true", "trigger_rule": {"match": ` + hmacMatch + `}}]`,
			[]string{`hook "redeploy": unknown key "trigger_rule" (did you mean "trigger-rule"?)`}},
		{"top-level truncated (YAML)",
			"- id: redeploy\n  execute-command: /bin/true\n  trigger-rul:\n    match: " + hmacMatch + "\n",
			[]string{`hook "redeploy": unknown key "trigger-rul" (did you mean "trigger-rule"?)`, "[line 3]"}},
		{"top-level case",
			`[{"id": "redeploy", "execute-command": "/bin/true", "Trigger-Rule": {"match": ` + hmacMatch + `}}]`,
			[]string{`hook "redeploy": unknown key "Trigger-Rule" (did you mean "trigger-rule"?)`}},
		{"top-level key from another tool",
			`[{"id": "redeploy", "execute-command": "/bin/true", "stream-command-output": true}]`,
			[]string{`hook "redeploy": unknown key "stream-command-output"`}},
		{"inside and",
			`[{"id": "a", "execute-command": "/bin/true", "trigger-rule": {"and": [{"match": ` + hmacMatch + `}, {"matc": {"type": "value", "value": "x", "parameter": {"source": "payload", "name": "ref"}}}]}}]`,
			[]string{`hook "a": trigger-rule.and[1]: unknown key "matc" (did you mean "match"?)`}},
		{"inside or",
			"- id: o\n  execute-command: /bin/true\n  trigger-rule:\n    or:\n      - match: {type: regex, regex: x, parameter: {source: payload, name: ref}}\n      - nto: {match: {type: value, value: y, parameter: {source: payload, name: ref}}}\n",
			[]string{`hook "o": trigger-rule.or[1]: unknown key "nto" (did you mean "not"?)`}},
		{"inside not",
			"- id: n\n  execute-command: /bin/true\n  trigger-rule:\n    not:\n      adn: []\n",
			[]string{`hook "n": trigger-rule.not: unknown key "adn" (did you mean "and"?)`}},
		{"inside match",
			`[{"id": "m", "execute-command": "/bin/true", "trigger-rule": {"match": {"type": "payload-hmac-sha1", "secert": "s", "parameter": {"source": "header", "name": "X-Hub-Signature"}}}}]`,
			[]string{`hook "m": trigger-rule.match: unknown key "secert" (did you mean "secret"?)`}},
		{"match's parameter key",
			`[{"id": "m", "execute-command": "/bin/true", "trigger-rule": {"match": {"type": "value", "value": "t", "parameterr": {"source": "header", "name": "X-Token"}}}}]`,
			[]string{`hook "m": trigger-rule.match: unknown key "parameterr" (did you mean "parameter"?)`}},
		{"inside parameter",
			`[{"id": "p", "execute-command": "/bin/true", "trigger-rule": {"and": [{"match": {"type": "value", "value": "t", "parameter": {"source": "header", "nmae": "X-Token"}}}]}}]`,
			[]string{`hook "p": trigger-rule.and[0].match.parameter: unknown key "nmae" (did you mean "name"?)`}},
		{"inside argument",
			"- id: g\n  execute-command: /bin/true\n  pass-environment-to-command:\n    - {source: payload, name: ref, envnmae: REF}\n",
			[]string{`hook "g": pass-environment-to-command[0]: unknown key "envnmae" (did you mean "envname"?)`}},
		{"inside response header",
			"- id: r\n  execute-command: /bin/true\n  response-headers:\n    - {name: X-A, vaule: b}\n",
			[]string{`hook "r": response-headers[0]: unknown key "vaule" (did you mean "value"?)`}},
		{"unknown match type",
			`[{"id": "t", "execute-command": "/bin/true", "trigger-rule": {"match": {"type": "payload-hmac-sha265", "secret": "s", "parameter": {"source": "header", "name": "X-Sig"}}}}]`,
			[]string{`hook "t": trigger-rule.match.type: unknown match type "payload-hmac-sha265" (did you mean "payload-hmac-sha256"?)`}},
		{"unknown source",
			`[{"id": "t", "execute-command": "/bin/true", "trigger-rule": {"match": {"type": "value", "value": "t", "parameter": {"source": "heder", "name": "X-Token"}}}}]`,
			[]string{`hook "t": trigger-rule.match.parameter.source: unknown source "heder" (did you mean "header"?)`}},
		{"token under the wrong key",
			`[{"id": "t", "execute-command": "/bin/true", "trigger-rule": {"match": {"type": "value", "secret": "t", "parameter": {"source": "header", "name": "X-Token"}}}}]`,
			[]string{`hook "t": trigger-rule.match: key "secret" is not used by match type "value" (did you mean "value"?)`}},
		{"match without type",
			`[{"id": "t", "execute-command": "/bin/true", "trigger-rule": {"match": {"value": "t", "parameter": {"source": "header", "name": "X-Token"}}}}]`,
			[]string{`hook "t": trigger-rule.match: missing key "type"`}},
		{"duplicate key",
			`[{"id": "d", "execute-command": "/bin/true", "trigger-rule": {"match": ` + hmacMatch + `}, "trigger-rule": null}]`,
			[]string{`hook "d": duplicate key "trigger-rule"`}},
		{"rule with two kinds",
			`[{"id": "k", "execute-command": "/bin/true", "trigger-rule": {"and": [{"match": ` + hmacMatch + `}], "match": ` + hmacMatch + `}}]`,
			[]string{`hook "k": trigger-rule: has "and" and "match" together`}},
		{"empty rule",
			`[{"id": "e", "execute-command": "/bin/true", "trigger-rule": {}}]`,
			[]string{`hook "e": trigger-rule: empty`}},
		{"empty and",
			`[{"id": "e", "execute-command": "/bin/true", "trigger-rule": {"and": []}}]`,
			[]string{`hook "e": trigger-rule.and: empty list`}},
		{"wrong kind",
			`[{"id": "w", "execute-command": "/bin/true", "trigger-rule": {"and": {"match": ` + hmacMatch + `}}}]`,
			[]string{`hook "w": trigger-rule.and: expected a list, got a mapping`}},
		{"merged from an anchor",
			"- &base\n  id: base\n  execute-command: /bin/true\n  trigger_rule: {match: " + hmacMatch + "}\n- <<: *base\n  id: derived\n",
			[]string{`hook "base": unknown key "trigger_rule"`, `hook "derived": unknown key "trigger_rule" (did you mean "trigger-rule"?)`}},
		{"every bad hook is named",
			`[{"id": "good", "execute-command": "/bin/true", "trigger-rule": {"match": ` + hmacMatch + `}},
			  {"execute-command": "/bin/true", "trigger_rule": {}},
			  {"id": "bad", "execute-command": "/bin/true", "trigger-rule": {"match": {"typ": "value"}}}]`,
			[]string{`hook #2 (no id): unknown key "trigger_rule"`, `hook "bad": trigger-rule.match: unknown key "typ" (did you mean "type"?)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := refused(t, tt.in)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("refusal lacks %q:\n%s", w, got)
				}
			}
		})
	}
}

// A check that hookrunner cannot express exactly refuses the hook, with the
// reason, instead of being dropped or turned into an unverified source.
func TestImportRefusesUnconvertibleChecks(t *testing.T) {
	scalr, err := os.ReadFile(filepath.Join("testdata", "scalr.json"))
	if err != nil {
		t.Fatal(err)
	}
	other := `{"match": {"type": "value", "value": "refs/heads/main", "parameter": {"source": "payload", "name": "ref"}}}`
	hook := func(rule string) string {
		return `[{"id": "x", "execute-command": "/bin/true", "trigger-rule": ` + rule + `}]`
	}
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"scalr signature", string(scalr), `hook "redeploy-webhook": trigger-rule.match: scalr-signature cannot be converted`},
		{"signature inside or", hook(`{"or": [{"match": ` + hmacMatch + `}, ` + other + `]}`),
			`hook "x": trigger-rule.or[0].match: payload-hmac-sha256 inside or/not cannot be converted`},
		{"signature inside not", hook(`{"and": [` + other + `, {"not": {"match": ` + hmacMatch + `}}]}`),
			`hook "x": trigger-rule.and[1].not.match: payload-hmac-sha256 inside or/not cannot be converted`},
		{"ip-whitelist inside or", hook(`{"or": [{"match": {"type": "ip-whitelist", "ip-range": "10.0.0.0/8"}}, ` + other + `]}`),
			`hook "x": trigger-rule.or[0].match: ip-whitelist inside or/not cannot be converted`},
		{"signature in a URL parameter", hook(`{"match": {"type": "payload-hmac-sha1", "secret": "s", "parameter": {"source": "url", "name": "sig"}}}`),
			`hook "x": trigger-rule.match: payload-hmac-sha1 reads the signature from url "sig"`},
		{"two signatures", hook(`{"and": [{"match": ` + hmacMatch + `}, {"match": {"type": "payload-hmac-sha1", "secret": "t", "parameter": {"source": "header", "name": "X-Other"}}}]}`),
			`hook "x": trigger-rule.and[1]: a second signature check cannot be converted`},
		{"two ip-whitelists", hook(`{"and": [{"match": {"type": "ip-whitelist", "ip-range": "10.0.0.0/8"}}, {"match": {"type": "ip-whitelist", "ip-range": "10.1.0.0/16"}}]}`),
			`hook "x": trigger-rule.and[1].match: a second ip-whitelist`},
		{"empty secret", hook(`{"match": {"type": "payload-hmac-sha256", "secret": "", "parameter": {"source": "header", "name": "X-Sig"}}}`),
			`hook "x": trigger-rule.match.secret: the secret is empty`},
		{"secret read from a file", hook(`{"match": {"type": "value", "value": "{{ cat \"/run/token\" }}", "parameter": {"source": "header", "name": "X-Token"}}}`),
			`hook "x": trigger-rule.match.value: the secret "{{ cat \"/run/token\" }}" is a template the importer cannot resolve`},
		{"environment in a condition", hook(`{"match": {"type": "value", "value": "{{ getenv \"SLACK_TOKEN\" }}", "parameter": {"source": "payload", "name": "token"}}}`),
			`hook "x": trigger-rule.match.value: "{{ getenv \"SLACK_TOKEN\" }}" is a template`},
		{"ip-range that is no range", hook(`{"match": {"type": "ip-whitelist", "ip-range": "10.0.0.0/8 intranet"}}`),
			`hook "x": trigger-rule.match.ip-range: "intranet" is neither an IP address nor a CIDR range`},
		{"negated source without equivalent", hook(`{"not": {"match": {"type": "value", "value": "x", "parameter": {"source": "request", "name": "host"}}}}`),
			`hook "x": trigger-rule.not.match.parameter: source "request" (name "host") has no hookrunner equivalent`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := refused(t, tt.in); !strings.Contains(got, tt.want) {
				t.Errorf("refusal lacks %q:\n%s", tt.want, got)
			}
		})
	}
}

// verify: none is written only for a hook that had no auth check in
// adnanh/webhook either, and then with a loud warning naming the hook.
func TestImportUnverifiedOnlyWithoutCheck(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		unverified string // the loud warning, "" when the source verifies
		want       []string
	}{
		{"no trigger-rule",
			`[{"id": "deploy", "execute-command": "/bin/true"}]`,
			`hook "deploy" had no trigger rule in adnanh/webhook either: anyone who knows the URL can run it; add a secret`,
			[]string{"verify: none", "# WARNING: deploy is not verified"}},
		{"null trigger-rule",
			"- id: deploy\n  execute-command: /bin/true\n  trigger-rule: ~\n",
			`hook "deploy" had no trigger rule in adnanh/webhook either`,
			[]string{"verify: none"}},
		{"only a payload condition",
			"- id: deploy\n  execute-command: /bin/true\n  trigger-rule: {match: {type: value, value: main, parameter: {source: payload, name: ref}}}\n",
			`hook "deploy" had no signature or header/URL token check in adnanh/webhook either`,
			[]string{"verify: none", `if: "(let v = lookup(payload, \"ref\"); v != nil && string(v) == \"main\")"`}},
		{"only an ip-whitelist",
			"- id: deploy\n  execute-command: /bin/true\n  trigger-rule: {match: {type: ip-whitelist, ip-range: 10.0.0.0/8 192.168.1.1}}\n",
			`guarded only by allow_ips`,
			[]string{"verify: none", `allow_ips: ["10.0.0.0/8", "192.168.1.1"]`}},
		{"an or of tokens on one header is several secrets",
			"- id: deploy\n  execute-command: /bin/true\n  trigger-rule:\n    or:\n      - match: {type: value, value: old, parameter: {source: header, name: X-Token}}\n      - match: {type: value, value: new, parameter: {source: header, name: X-Token}}\n",
			"",
			[]string{"verify: token", `header: "X-Token"`, `secrets: ["old", "new"]`}},
		{"a header check inside or that is no credential stays in the condition",
			"- id: deploy\n  execute-command: /bin/true\n  trigger-rule:\n    or:\n      - match: {type: value, value: old, parameter: {source: header, name: X-Stage}}\n      - match: {type: value, value: new, parameter: {source: header, name: X-Stage}}\n",
			`hook "deploy": its token check (header "X-Stage", header "X-Stage") sits inside or/not, so it stays in the rule's if: condition`,
			[]string{"verify: none", `if: "((let v = lookup(headers, \"x-stage\"); v != nil && string(v) == \"old\") || (let v = lookup(headers, \"x-stage\"); v != nil && string(v) == \"new\"))"`}},
		{"signature nested in ands",
			"- id: deploy\n  execute-command: /bin/true\n  trigger-rule:\n    and:\n      - and:\n          - match: " + hmacMatch + "\n      - match: {type: value, value: main, parameter: {source: payload, name: ref}}\n",
			"",
			[]string{"verify: hmac", `header: "X-Signature"`, `secret: "s3cr3t"`, `if: "(let v = lookup(payload, \"ref\"); v != nil && string(v) == \"main\")"`}},
		{"signature and a header that is no credential",
			"- id: deploy\n  execute-command: /bin/true\n  trigger-rule:\n    and:\n      - match: {type: value, value: prod, parameter: {source: header, name: X-Stage}}\n      - match: " + hmacMatch + "\n",
			"",
			[]string{"verify: hmac", `if: "(let v = lookup(headers, \"x-stage\"); v != nil && string(v) == \"prod\")"`}},
		{"header token",
			"- id: deploy\n  execute-command: /bin/true\n  trigger-rule: {match: {type: value, value: '{{ getenv \"DEPLOY_SECRET\" }}', parameter: {source: header, name: X-Token}}}\n",
			"",
			[]string{"verify: token", `header: "X-Token"`, `secret: "${DEPLOY_SECRET}"`}},
		{"a literal ${ stays literal",
			"- id: deploy\n  execute-command: /bin/true\n  trigger-rule: {match: {type: value, value: 'a${HOME}', parameter: {source: url, name: token}}}\n",
			"",
			[]string{"verify: token", `secret: "a$${HOME}"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := importer.FromWebhook([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(res.YAML, w) {
					t.Errorf("output lacks %s:\n%s", w, res.YAML)
				}
			}
			none := strings.Contains(res.YAML, "verify: none")
			switch {
			case tt.unverified == "" && (none || len(res.Unverified) > 0):
				t.Errorf("a hook with a check became unverified: %v\n%s", res.Unverified, res.YAML)
			case tt.unverified != "" && (len(res.Unverified) != 1 || !strings.Contains(res.Unverified[0], tt.unverified)):
				t.Errorf("loud warning %q expected, got %q", tt.unverified, res.Unverified)
			}
			mustBuild(t, res.YAML)
		})
	}
}

// Whatever the input, a successful import writes verify: none only for
// hooks it warned about loudly.
func FuzzFromWebhook(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`[{"id": "a", "execute-command": "x", "trigger-rule": {"or": [{"not": {"match": {"type": "regex", "regex": "x", "parameter": {"source": "header", "name": "A"}}}}]}}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := importer.FromWebhook(data)
		if err != nil {
			return
		}
		if n := strings.Count(res.YAML, "\n    verify: none\n"); n != len(res.Unverified) {
			t.Fatalf("%d unverified sources, %d loud warnings %q:\n%s", n, len(res.Unverified), res.Unverified, res.YAML)
		}
	})
}
