// Package importer converts other tools' configs to hooks.yaml. Today:
// adnanh/webhook's hooks.json / hooks.yaml.
package importer

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

type whHook struct {
	ID                   string   `yaml:"id"`
	ExecuteCommand       string   `yaml:"execute-command"`
	WorkingDirectory     string   `yaml:"command-working-directory"`
	ResponseMessage      string   `yaml:"response-message"`
	ResponseHeaders      []whKV   `yaml:"response-headers"`
	IncludeOutput        bool     `yaml:"include-command-output-in-response"`
	IncludeOutputOnError bool     `yaml:"include-command-output-in-response-on-error"`
	Args                 []whArg  `yaml:"pass-arguments-to-command"`
	Env                  []whArg  `yaml:"pass-environment-to-command"`
	Files                []whArg  `yaml:"pass-file-to-command"`
	ParseJSON            []whArg  `yaml:"parse-parameters-as-json"`
	TriggerRule          *whRule  `yaml:"trigger-rule"`
	MismatchCode         int      `yaml:"trigger-rule-mismatch-http-response-code"`
	HTTPMethods          []string `yaml:"http-methods"`
	IncomingContentType  string   `yaml:"incoming-payload-content-type"`
	SuccessCode          int      `yaml:"success-http-response-code"`
	CaptureCommandOutput bool     `yaml:"capture-command-output"`
	StreamCommandOutput  bool     `yaml:"stream-command-output"`
	JSONStringParameters []whArg  `yaml:"json-string-parameters"`
	KeepFileEnvironment  bool     `yaml:"keep-file-environment"`
	PassArgsPrefix       string   `yaml:"pass-arguments-prefix"`
}

type whKV struct {
	Name  string `yaml:"name"`
	Value string `yaml:"value"`
}

type whArg struct {
	Source       string `yaml:"source"`
	Name         string `yaml:"name"`
	EnvName      string `yaml:"envname"`
	Base64Decode bool   `yaml:"base64decode"`
}

type whRule struct {
	And   []whRule `yaml:"and"`
	Or    []whRule `yaml:"or"`
	Not   *whRule  `yaml:"not"`
	Match *whMatch `yaml:"match"`
}

type whMatch struct {
	Type      string `yaml:"type"`
	Regex     string `yaml:"regex"`
	Secret    string `yaml:"secret"`
	Value     string `yaml:"value"`
	IPRange   string `yaml:"ip-range"`
	Parameter whArg  `yaml:"parameter"`
}

// Result is a converted config and what could not be converted.
type Result struct {
	YAML     string
	Warnings []string
}

var getenvTmpl = regexp.MustCompile(`^\{\{\s*getenv\s+"([A-Za-z_][A-Za-z0-9_]*)"\s*(\|\s*js\s*)?\}\}$`)

// secretValue turns a literal or a `{{ getenv "X" }}` template into a
// hooks.yaml value (${X} for environment variables).
func secretValue(s string) string {
	if m := getenvTmpl.FindStringSubmatch(strings.TrimSpace(s)); m != nil {
		return "${" + m[1] + "}"
	}
	return strings.ReplaceAll(s, "${", "$${")
}

var nonName = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// FromWebhook converts an adnanh/webhook hooks file (JSON or YAML).
func FromWebhook(data []byte) (*Result, error) {
	var hooks []whHook
	if err := yaml.Unmarshal(data, &hooks); err != nil {
		return nil, fmt.Errorf("read adnanh/webhook hooks: %w", err)
	}
	res := &Result{}
	var sources, rules strings.Builder
	used := map[string]bool{}
	for i, h := range hooks {
		c := &conv{hook: h, res: res}
		if h.ID == "" {
			c.warn("hook %d has no id; skipped", i)
			continue
		}
		name := strings.Trim(nonName.ReplaceAllString(h.ID, "-"), "-.")
		if name == "" || used[name] {
			name = fmt.Sprintf("hook-%d", i)
		}
		used[name] = true
		if h.ExecuteCommand == "" {
			c.warn("no execute-command; skipped")
			continue
		}
		c.convert(name, &sources, &rules)
	}
	var b strings.Builder
	b.WriteString("# yaml-language-server: $schema=hooks.schema.json\n# Converted from adnanh/webhook by `hookrunner import --from webhook`.\n")
	if len(res.Warnings) > 0 {
		b.WriteString("# Not converted (check these by hand):\n")
		for _, w := range res.Warnings {
			b.WriteString("#   - " + strings.ReplaceAll(w, "\n", " ") + "\n")
		}
	}
	b.WriteString("sources:\n")
	b.WriteString(sources.String())
	b.WriteString("rules:\n")
	b.WriteString(rules.String())
	res.YAML = b.String()
	return res, nil
}

type conv struct {
	hook whHook
	res  *Result
	// stripPayload: parse-parameters-as-json on "payload" (Travis): the
	// payload in hookrunner is already that JSON document.
	stripPayload bool
}

func (c *conv) warn(format string, args ...any) {
	c.res.Warnings = append(c.res.Warnings, fmt.Sprintf("hook %q: ", c.hook.ID)+fmt.Sprintf(format, args...))
}

func q(s string) string { return strconv.Quote(s) }

// auth is what a hook's trigger rule says about verification.
type auth struct {
	lines    []string // source keys
	provider string
}

func (c *conv) convert(name string, sources, rules *strings.Builder) {
	h := c.hook
	for _, p := range h.ParseJSON {
		if p.Source == "payload" && p.Name == "payload" {
			c.stripPayload = true
		} else {
			c.warn("parse-parameters-as-json on %s %q is not needed or supported: JSON bodies and payload=<JSON> forms are decoded already", p.Source, p.Name)
		}
	}
	var conjuncts []whRule
	if r := h.TriggerRule; r != nil {
		if len(r.And) > 0 && r.Match == nil && r.Not == nil && len(r.Or) == 0 {
			conjuncts = r.And
		} else {
			conjuncts = []whRule{*r}
		}
	}
	var a auth
	var conds []string
	var allowIPs []string
	for _, r := range conjuncts {
		if m := r.Match; m != nil && len(r.And) == 0 && len(r.Or) == 0 && r.Not == nil {
			if a.provider == "" && c.authFrom(m, &a) {
				continue
			}
			if m.Type == "ip-whitelist" {
				allowIPs = append(allowIPs, m.IPRange)
				continue
			}
		}
		conds = append(conds, c.expr(r))
	}
	if a.provider == "" {
		a.provider = "generic"
		a.lines = []string{"verify: none"}
		c.warn("no signature or token check was found at the top level of its trigger-rule: the source accepts unsigned requests (verify: none); add a secret")
	}
	fmt.Fprintf(sources, "  %s:\n    provider: %s\n", name, a.provider)
	for _, l := range a.lines {
		fmt.Fprintf(sources, "    %s\n", l)
	}
	if len(allowIPs) > 0 {
		quoted := make([]string, len(allowIPs))
		for i, ip := range allowIPs {
			quoted[i] = q(ip)
		}
		fmt.Fprintf(sources, "    allow_ips: [%s]\n", strings.Join(quoted, ", "))
	}

	fmt.Fprintf(rules, "  - name: %s\n    source: %s\n", name, name)
	if len(conds) > 0 {
		fmt.Fprintf(rules, "    if: %s\n", q(strings.Join(conds, " && ")))
	}
	if h.IncludeOutput || h.IncludeOutputOnError || h.StreamCommandOutput {
		fmt.Fprintf(rules, "    respond: sync\n")
		if h.StreamCommandOutput {
			c.warn("stream-command-output became respond: sync (the whole output, once the command ends)")
		}
	} else if h.ResponseMessage != "" {
		c.warn("response-message %q: hookrunner answers 202 with the event id instead (use respond: sync to answer with the command's output)", h.ResponseMessage)
	}
	if len(h.ResponseHeaders) > 0 {
		c.warn("response-headers are not supported")
	}
	if len(h.HTTPMethods) > 0 {
		post := false
		for _, m := range h.HTTPMethods {
			post = post || strings.EqualFold(strings.TrimSpace(m), "POST")
		}
		if !post {
			c.warn("http-methods %v: hookrunner receives webhooks with POST only", h.HTTPMethods)
		}
	}
	if h.SuccessCode != 0 && h.SuccessCode != 200 {
		c.warn("success-http-response-code %d: hookrunner answers 202 (or the sync status map)", h.SuccessCode)
	}
	if h.MismatchCode != 0 {
		c.warn("trigger-rule-mismatch-http-response-code %d: a non-matching event is stored and answered 202 with matched: []", h.MismatchCode)
	}
	if h.IncomingContentType != "" && !strings.Contains(h.IncomingContentType, "json") && !strings.Contains(h.IncomingContentType, "form") {
		c.warn("incoming-payload-content-type %s: hookrunner decodes JSON and urlencoded forms; other bodies are the raw text in payload", h.IncomingContentType)
	}
	if h.PassArgsPrefix != "" {
		c.warn("pass-arguments-prefix is not supported")
	}

	rules.WriteString("    actions:\n      - shell:\n")
	argv := []string{q(h.ExecuteCommand)}
	for _, arg := range h.Args {
		argv = append(argv, q(c.template(arg)))
	}
	fmt.Fprintf(rules, "          command: [%s]\n", strings.Join(argv, ", "))
	if h.WorkingDirectory != "" {
		fmt.Fprintf(rules, "          dir: %s\n", q(h.WorkingDirectory))
	}
	env := map[string]string{}
	for _, e := range h.Env {
		n := e.EnvName
		if n == "" {
			n = "HOOK_" + strings.Map(func(r rune) rune {
				if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
					return r
				}
				return '_'
			}, e.Name)
		}
		env[n] = c.template(e)
	}
	for _, f := range h.Files {
		c.warn("pass-file-to-command %s %q: hookrunner does not write temporary files; use stdin: body (the raw request body on standard input) or an env var", f.Source, f.Name)
	}
	if len(h.Files) == 1 && h.Files[0].Source == "entire-payload" {
		rules.WriteString("          stdin: body\n")
	}
	if len(env) > 0 {
		keys := make([]string, 0, len(env))
		for k := range env {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		rules.WriteString("          env:\n")
		for _, k := range keys {
			fmt.Fprintf(rules, "            %s: %s\n", k, q(env[k]))
		}
	}
}

// authFrom turns a top-level match into the source's verification.
func (c *conv) authFrom(m *whMatch, a *auth) bool {
	p := m.Parameter
	switch m.Type {
	case "payload-hmac-sha1", "payload-hash-sha1", "payload-hmac-sha256", "payload-hash-sha256", "payload-hmac-sha512", "payload-hash-sha512":
		alg := m.Type[strings.LastIndex(m.Type, "-")+1:]
		secret := "secret: " + q(secretValue(m.Secret))
		header := strings.ToLower(p.Name)
		switch {
		case p.Source != "header":
			c.warn("%s on %s %q: hookrunner reads signatures from headers only", m.Type, p.Source, p.Name)
			return false
		case header == "x-hub-signature" || header == "x-hub-signature-256":
			// GitHub sends both headers; the github provider checks the
			// SHA-256 one.
			a.provider, a.lines = "github", []string{secret}
		case header == "x-gogs-signature" && alg == "sha256":
			a.provider, a.lines = "gogs", []string{secret}
		case header == "x-gitea-signature" && alg == "sha256":
			a.provider, a.lines = "gitea", []string{secret}
		default:
			a.provider = "generic"
			a.lines = []string{"verify: hmac", "header: " + q(p.Name), "algorithm: " + alg, "encoding: hex", secret}
		}
		return true
	case "value":
		secret := "secret: " + q(secretValue(m.Value))
		switch {
		case p.Source == "header" && strings.EqualFold(p.Name, "X-Gitlab-Token"):
			a.provider, a.lines = "gitlab", []string{secret}
		case p.Source == "header":
			a.provider, a.lines = "generic", []string{"verify: token", "header: " + q(p.Name), secret}
		case p.Source == "url" || p.Source == "query":
			a.provider, a.lines = "generic", []string{"verify: token", "query_param: " + q(p.Name), secret}
		default:
			return false // a value in the payload stays a condition
		}
		c.warn("its token check (%s %q) became a %s source's secret; prefer a signing scheme where the sender offers one", p.Source, p.Name, a.provider)
		return true
	case "scalr-signature":
		c.warn("scalr-signature has no hookrunner provider: the source accepts unsigned requests until you add one (generic hmac cannot express Scalr's date-in-signature scheme)")
	}
	return false
}

// param renders a webhook parameter as an expression.
func (c *conv) param(p whArg) string {
	switch p.Source {
	case "payload":
		name := p.Name
		if c.stripPayload {
			name = strings.TrimPrefix(name, "payload.")
		}
		e := "payload"
		for _, part := range strings.Split(name, ".") {
			if n, err := strconv.Atoi(part); err == nil {
				e += "[" + strconv.Itoa(n) + "]"
			} else if regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`).MatchString(part) {
				e += "?." + part
			} else {
				e += "[" + q(part) + "]"
			}
		}
		return strings.Replace(e, "payload?.", "payload.", 1)
	case "header":
		return "headers[" + q(strings.ToLower(p.Name)) + "]"
	case "url", "query":
		return "query[" + q(p.Name) + "]"
	case "string":
		return q(p.Name)
	case "entire-payload":
		return "toJSON(payload)"
	case "entire-headers":
		return "toJSON(headers)"
	case "entire-query":
		return "toJSON(query)"
	case "request":
		switch strings.ToLower(p.Name) {
		case "remote-addr":
			return "remote_ip"
		case "method":
			return `"POST"`
		}
	}
	c.warn("parameter source %q (%s) is not supported", p.Source, p.Name)
	return `""`
}

func (c *conv) template(p whArg) string {
	if p.Source == "string" {
		return strings.ReplaceAll(p.Name, "{{", "{ {")
	}
	return "{{ " + c.param(p) + " }}"
}

// expr converts a rule tree to an expr condition.
func (c *conv) expr(r whRule) string {
	switch {
	case len(r.And) > 0:
		parts := make([]string, len(r.And))
		for i, x := range r.And {
			parts[i] = c.expr(x)
		}
		return "(" + strings.Join(parts, " && ") + ")"
	case len(r.Or) > 0:
		parts := make([]string, len(r.Or))
		for i, x := range r.Or {
			parts[i] = c.expr(x)
		}
		return "(" + strings.Join(parts, " || ") + ")"
	case r.Not != nil:
		return "!(" + c.expr(*r.Not) + ")"
	case r.Match != nil:
		m := r.Match
		switch m.Type {
		case "value":
			return c.param(m.Parameter) + " == " + q(m.Value)
		case "regex":
			return c.param(m.Parameter) + " matches " + q(m.Regex)
		case "ip-whitelist":
			c.warn("ip-whitelist %s inside and/or/not cannot be expressed; use allow_ips on the source", m.IPRange)
			return "false"
		default:
			c.warn("%s inside and/or/not cannot be converted (verification is not optional in hookrunner); the condition is false until fixed", m.Type)
			return "false"
		}
	}
	return "true"
}
