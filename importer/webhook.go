// Package importer converts other tools' configs to hooks.yaml. Today:
// adnanh/webhook's hooks.json / hooks.yaml.
package importer

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// whHook is one adnanh/webhook hook; every key is in whHookShape too.
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
	SoftFailures         bool     `yaml:"trigger-signature-soft-failures"`
	HTTPMethods          []string `yaml:"http-methods"`
	IncomingContentType  string   `yaml:"incoming-payload-content-type"`
	SuccessCode          int      `yaml:"success-http-response-code"`
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
	// Unverified holds the warnings (also in Warnings) about sources
	// written with verify: none, for whoever prints them to shout.
	Unverified []string
}

// Refusal is the error FromWebhook returns when a hook cannot be converted
// without losing a check: an unknown key, an unknown match type or source,
// or an auth check hookrunner cannot express exactly. Nothing is converted.
type Refusal struct {
	Problems []string // each names the hook, the key path and the reason
}

func (r *Refusal) Error() string {
	return "import refused, nothing was converted:\n  " + strings.Join(r.Problems, "\n  ")
}

var getenvTmpl = regexp.MustCompile(`^\{\{\s*getenv\s+"([A-Za-z_][A-Za-z0-9_]*)"\s*(\|\s*js\s*)?\}\}$`)

var anyTmpl = regexp.MustCompile(`\{\{.*\}\}`)

// esc keeps a literal from being read as ${ENV} when hooks.yaml loads.
func esc(s string) string { return strings.ReplaceAll(s, "${", "$${") }

// secretValue turns a literal or a `{{ getenv "X" }}` template into a
// hooks.yaml value (${X} for environment variables). Any other template
// (cat, credential, ...) cannot be resolved here.
func secretValue(s, path string) (string, error) {
	if m := getenvTmpl.FindStringSubmatch(strings.TrimSpace(s)); m != nil {
		return "${" + m[1] + "}", nil
	}
	if anyTmpl.MatchString(s) {
		return "", fmt.Errorf("%s: the secret %q is a template the importer cannot resolve; write it as {{ getenv \"NAME\" }} or as the literal value", path, s)
	}
	if s == "" {
		return "", fmt.Errorf("%s: the secret is empty", path)
	}
	return esc(s), nil
}

// literal is a value compared in a condition: conditions cannot read the
// environment, so a template there cannot be converted exactly.
func literal(s, path string) (string, error) {
	if anyTmpl.MatchString(s) {
		return "", fmt.Errorf("%s: %q is a template; a hookrunner condition compares literal values only (a token in a header or query parameter can become the source's secret instead)", path, s)
	}
	return q(esc(s)), nil
}

var nonName = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// FromWebhook converts an adnanh/webhook hooks file (JSON or YAML). Every
// key is checked against the keys adnanh/webhook knows, at every depth; a
// hook that cannot be converted without losing a check refuses the whole
// import with a *Refusal.
func FromWebhook(data []byte) (*Result, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("read adnanh/webhook hooks: %w", err)
	}
	var hookNodes []*yaml.Node
	if len(doc.Content) > 0 {
		root := resolve(doc.Content[0])
		switch {
		case isNull(root):
		case root.Kind == yaml.SequenceNode:
			hookNodes = root.Content
		default:
			return nil, fmt.Errorf("read adnanh/webhook hooks: expected a list of hooks, got %s [line %d]", kindName(root.Kind), root.Line)
		}
	}
	res := &Result{}
	refusal := &Refusal{}
	var sources, rules strings.Builder
	used := map[string]bool{}
	for i, hn := range hookNodes {
		hn = resolve(hn)
		label := hookLabel(hn, i)
		if probs := check(hn, whHookShape, ""); len(probs) > 0 {
			for _, p := range probs {
				refusal.Problems = append(refusal.Problems, label+": "+p.String())
			}
			continue
		}
		var h whHook
		if err := hn.Decode(&h); err != nil {
			refusal.Problems = append(refusal.Problems, fmt.Sprintf("%s: %v", label, err))
			continue
		}
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
		if err := c.convert(name, &sources, &rules); err != nil {
			for _, e := range strings.Split(err.Error(), "\n") {
				refusal.Problems = append(refusal.Problems, label+": "+e)
			}
		}
	}
	if len(refusal.Problems) > 0 {
		return nil, refusal
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

// hookLabel names a hook in errors by its id, before it is decoded.
func hookLabel(n *yaml.Node, i int) string {
	if n != nil && n.Kind == yaml.MappingNode {
		pairs, merged := mappingPairs(n)
		for _, kv := range append(pairs, merged...) {
			if v := resolve(kv[1]); kv[0].Value == "id" && v != nil && v.Kind == yaml.ScalarNode && v.Value != "" {
				return fmt.Sprintf("hook %q", v.Value)
			}
		}
	}
	return fmt.Sprintf("hook #%d (no id)", i+1)
}

type conv struct {
	hook whHook
	res  *Result
	// stripPayload: parse-parameters-as-json on "payload" (Travis): the
	// payload in hookrunner is already that JSON document.
	stripPayload bool
	// tokenConds: header or URL token checks kept in the condition
	// because they sit inside or/not.
	tokenConds []string
}

func (c *conv) warn(format string, args ...any) {
	c.res.Warnings = append(c.res.Warnings, fmt.Sprintf("hook %q: ", c.hook.ID)+fmt.Sprintf(format, args...))
}

// loud records a warning about a source written with verify: none.
func (c *conv) loud(format string, args ...any) {
	w := fmt.Sprintf(format, args...)
	c.res.Warnings = append(c.res.Warnings, w)
	c.res.Unverified = append(c.res.Unverified, w)
}

func q(s string) string { return strconv.Quote(s) }

// plan is what a hook's trigger rule becomes: the source's verification
// and the rule's condition.
type plan struct {
	provider string
	lines    []string // source keys
	allowIPs []string
	conds    []string
}

// check kinds of a match rule.
const (
	kindCondition = iota // value or regex on anything: a condition
	kindToken            // value on a header or URL parameter: a token check
	kindSignature        // payload-hmac-* / payload-hash-*
	kindIP               // ip-whitelist
	kindScalr            // scalr-signature
)

func matchKind(m *whMatch) int {
	switch {
	case strings.HasPrefix(m.Type, hmacTypePfx), strings.HasPrefix(m.Type, hashTypePfx):
		return kindSignature
	case m.Type == matchIP:
		return kindIP
	case m.Type == matchScalr:
		return kindScalr
	case m.Type == matchValue && (m.Parameter.Source == sourceHeader || m.Parameter.Source == "url" || m.Parameter.Source == "query"):
		return kindToken
	}
	return kindCondition
}

// conjunct is one part of a trigger rule's top-level and, with its path.
type conjunct struct {
	rule whRule
	path string
}

// conjuncts flattens nested ands: every element must hold, so each can
// become the source's verification or one part of the condition.
func conjuncts(r whRule, path string, out *[]conjunct) {
	if len(r.And) > 0 {
		for i, x := range r.And {
			conjuncts(x, fmt.Sprintf("%s.and[%d]", path, i), out)
		}
		return
	}
	*out = append(*out, conjunct{r, path})
}

// planRule turns the trigger rule into verification and a condition. Every
// check of the rule is kept: one that hookrunner cannot express exactly is
// an error, never dropped.
func (c *conv) planRule() (*plan, error) {
	p := &plan{}
	if c.hook.TriggerRule == nil {
		p.provider, p.lines = "generic", []string{"verify: none"}
		c.loud("hook %q had no trigger rule in adnanh/webhook either: anyone who knows the URL can run it; add a secret (its source is written with verify: none)", c.hook.ID)
		return p, nil
	}
	var parts []conjunct
	conjuncts(*c.hook.TriggerRule, "trigger-rule", &parts)
	var errs []error
	var sig, ip *conjunct
	var tokens []conjunct
	for i := range parts {
		part := &parts[i]
		m := part.rule.Match
		if m == nil {
			e, err := c.expr(part.rule, part.path)
			if err != nil {
				errs = append(errs, err)
			}
			p.conds = append(p.conds, e)
			continue
		}
		mpath := part.path + ".match"
		switch matchKind(m) {
		case kindSignature:
			if sig != nil {
				errs = append(errs, fmt.Errorf("%s: a second signature check (%s) cannot be converted: a hookrunner source verifies one signature (first one at %s.match)", mpath, m.Type, sig.path))
				continue
			}
			sig = part
		case kindIP:
			if ip != nil {
				errs = append(errs, fmt.Errorf("%s: a second ip-whitelist that must hold too cannot be converted: allow_ips accepts any one of its ranges (first one at %s.match)", mpath, ip.path))
				continue
			}
			ip = part
		case kindScalr:
			errs = append(errs, fmt.Errorf("%s: scalr-signature cannot be converted: no hookrunner provider checks Scalr's signature, and the hook would accept unsigned requests", mpath))
		case kindToken:
			tokens = append(tokens, *part)
		default:
			e, err := c.matchExpr(m, mpath)
			if err != nil {
				errs = append(errs, err)
			}
			p.conds = append(p.conds, e)
		}
	}
	if sig != nil {
		if err := c.signatureSource(sig.rule.Match, sig.path+".match", p); err != nil {
			errs = append(errs, err)
		}
	}
	for i, t := range tokens {
		tpath := t.path + ".match"
		if i == 0 && sig == nil {
			if err := c.tokenSource(t.rule.Match, tpath, p); err != nil {
				errs = append(errs, err)
			}
			continue
		}
		// The source verifies something else already: the token check
		// stays, as an exact comparison in the condition.
		e, err := c.matchExpr(t.rule.Match, tpath)
		if err != nil {
			errs = append(errs, err)
		}
		p.conds = append(p.conds, e)
	}
	if ip != nil {
		p.allowIPs = strings.Fields(ip.rule.Match.IPRange)
		if len(p.allowIPs) == 0 {
			errs = append(errs, fmt.Errorf("%s.match: ip-range is empty", ip.path))
		}
		for _, r := range p.allowIPs {
			if _, err := netip.ParsePrefix(r); err != nil {
				if _, err := netip.ParseAddr(r); err != nil {
					errs = append(errs, fmt.Errorf("%s.match.ip-range: %q is neither an IP address nor a CIDR range", ip.path, r))
				}
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if p.provider == "" {
		p.provider, p.lines = "generic", []string{"verify: none"}
		var guards []string
		if len(p.allowIPs) > 0 {
			guards = append(guards, "allow_ips")
		}
		if len(p.conds) > 0 {
			guards = append(guards, "the rule's if: condition")
		}
		if len(c.tokenConds) > 0 {
			c.loud("hook %q: its token check (%s) sits inside or/not, so it stays in the rule's if: condition, compared exactly; the source itself accepts unsigned requests (verify: none); move the token to the top level of the trigger-rule or add a secret", c.hook.ID, strings.Join(c.tokenConds, ", "))
		} else {
			c.loud("hook %q had no signature or header/URL token check in adnanh/webhook either: its source accepts unsigned requests (verify: none), guarded only by %s; anyone who can reach the URL and satisfy that can run the command; add a secret", c.hook.ID, strings.Join(guards, " and "))
		}
	}
	if c.hook.SoftFailures {
		c.warn("trigger-signature-soft-failures has no effect: hookrunner verifies the source's signature on every request")
	}
	return p, nil
}

// signatureSource turns a top-level payload-hmac-* match into the source's
// verification.
func (c *conv) signatureSource(m *whMatch, path string, pl *plan) error {
	p := m.Parameter
	if p.Source != sourceHeader {
		return fmt.Errorf("%s: %s reads the signature from %s %q; hookrunner reads signatures from a header only", path, m.Type, p.Source, p.Name)
	}
	sv, err := secretValue(m.Secret, path+".secret")
	if err != nil {
		return err
	}
	alg := m.Type[strings.LastIndex(m.Type, "-")+1:]
	secret := "secret: " + q(sv)
	header := strings.ToLower(p.Name)
	switch {
	case header == "x-hub-signature" || header == "x-hub-signature-256":
		// GitHub sends both headers; the github provider checks the
		// SHA-256 one.
		pl.provider, pl.lines = "github", []string{secret}
	case header == "x-gogs-signature" && alg == "sha256":
		pl.provider, pl.lines = "gogs", []string{secret}
	case header == "x-gitea-signature" && alg == "sha256":
		pl.provider, pl.lines = "gitea", []string{secret}
	default:
		pl.provider = "generic"
		pl.lines = []string{"verify: hmac", "header: " + q(esc(p.Name)), "algorithm: " + alg, "encoding: hex", secret}
	}
	return nil
}

// tokenSource turns a top-level value match on a header or URL parameter
// into a token-verifying source.
func (c *conv) tokenSource(m *whMatch, path string, pl *plan) error {
	p := m.Parameter
	sv, err := secretValue(m.Value, path+".value")
	if err != nil {
		return err
	}
	secret := "secret: " + q(sv)
	switch {
	case p.Source == sourceHeader && strings.EqualFold(p.Name, "X-Gitlab-Token"):
		pl.provider, pl.lines = "gitlab", []string{secret}
	case p.Source == sourceHeader:
		pl.provider, pl.lines = "generic", []string{"verify: token", "header: " + q(esc(p.Name)), secret}
	default: // url, query
		pl.provider, pl.lines = "generic", []string{"verify: token", "query_param: " + q(esc(p.Name)), secret}
	}
	c.warn("its token check (%s %q) became a %s source's secret; prefer a signing scheme where the sender offers one", p.Source, p.Name, pl.provider)
	return nil
}

func (c *conv) convert(name string, sources, rules *strings.Builder) error {
	h := c.hook
	for _, p := range h.ParseJSON {
		if p.Source == sourcePayload && p.Name == "payload" {
			c.stripPayload = true
		} else {
			c.warn("parse-parameters-as-json on %s %q is not needed or supported: JSON bodies and payload=<JSON> forms are decoded already", p.Source, p.Name)
		}
	}
	pl, err := c.planRule()
	if err != nil {
		return err
	}
	if pl.provider == "generic" && slices.Contains(pl.lines, "verify: none") {
		fmt.Fprintf(sources, "  # WARNING: %s is not verified: anyone who can reach its URL can run it; add a secret\n", name)
	}
	fmt.Fprintf(sources, "  %s:\n    provider: %s\n", name, pl.provider)
	for _, l := range pl.lines {
		fmt.Fprintf(sources, "    %s\n", l)
	}
	if len(pl.allowIPs) > 0 {
		quoted := make([]string, len(pl.allowIPs))
		for i, ip := range pl.allowIPs {
			quoted[i] = q(esc(ip))
		}
		fmt.Fprintf(sources, "    allow_ips: [%s]\n", strings.Join(quoted, ", "))
	}

	fmt.Fprintf(rules, "  - name: %s\n    source: %s\n", name, name)
	if len(pl.conds) > 0 {
		fmt.Fprintf(rules, "    if: %s\n", q(strings.Join(pl.conds, " && ")))
	}
	if h.IncludeOutput || h.IncludeOutputOnError {
		fmt.Fprintf(rules, "    respond: sync\n")
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

	rules.WriteString("    actions:\n      - shell:\n")
	argv := []string{q(esc(h.ExecuteCommand))}
	for _, arg := range h.Args {
		argv = append(argv, q(c.template(arg)))
	}
	fmt.Fprintf(rules, "          command: [%s]\n", strings.Join(argv, ", "))
	if h.WorkingDirectory != "" {
		fmt.Fprintf(rules, "          dir: %s\n", q(esc(h.WorkingDirectory)))
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
	return nil
}

var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// param renders a webhook parameter as an expression; ok is false when
// hookrunner has no equivalent.
func (c *conv) param(p whArg) (string, bool) {
	switch p.Source {
	case sourcePayload:
		name := p.Name
		if c.stripPayload {
			name = strings.TrimPrefix(name, "payload.")
		}
		e := "payload"
		for _, part := range strings.Split(name, ".") {
			if n, err := strconv.Atoi(part); err == nil {
				e += "[" + strconv.Itoa(n) + "]"
			} else if identifier.MatchString(part) {
				e += "?." + part
			} else {
				e += "[" + q(part) + "]"
			}
		}
		return strings.Replace(e, "payload?.", "payload.", 1), true
	case sourceHeader:
		return "headers[" + q(strings.ToLower(p.Name)) + "]", true
	case "url", "query":
		return "query[" + q(p.Name) + "]", true
	case "string":
		return q(p.Name), true
	case "entire-payload":
		return "toJSON(payload)", true
	case "entire-headers":
		return "toJSON(headers)", true
	case "entire-query":
		return "toJSON(query)", true
	case "request":
		switch strings.ToLower(p.Name) {
		case "remote-addr":
			return "remote_ip", true
		case "method":
			return `"POST"`, true
		}
	}
	return "", false
}

// template renders a command argument or environment value. What has no
// equivalent is a warning: it changes the command's input, not who may run it.
func (c *conv) template(p whArg) string {
	if p.Source == "string" {
		return esc(strings.ReplaceAll(p.Name, "{{", "{ {"))
	}
	e, ok := c.param(p)
	if !ok {
		c.warn("parameter source %q (%s) is not supported; the value is empty", p.Source, p.Name)
		return ""
	}
	return esc("{{ " + e + " }}")
}

// matchExpr converts a value or regex match to an exact condition.
func (c *conv) matchExpr(m *whMatch, path string) (string, error) {
	e, ok := c.param(m.Parameter)
	if !ok {
		return "false", fmt.Errorf("%s.parameter: source %q (name %q) has no hookrunner equivalent in a condition", path, m.Parameter.Source, m.Parameter.Name)
	}
	switch m.Type {
	case matchValue:
		v, err := literal(m.Value, path+".value")
		return e + " == " + v, err
	case matchRegex:
		v, err := literal(m.Regex, path+".regex")
		return e + " matches " + v, err
	}
	return "false", fmt.Errorf("%s: match type %q cannot be a condition", path, m.Type)
}

// expr converts an and/or/not tree to an exact condition. Signature, IP
// and Scalr checks cannot stand inside or/not: hookrunner verifies on the
// source, for every request, so such a check is refused, never dropped.
func (c *conv) expr(r whRule, path string) (string, error) {
	join := func(rs []whRule, key, op string) (string, error) {
		parts := make([]string, len(rs))
		var errs []error
		for i, x := range rs {
			e, err := c.expr(x, fmt.Sprintf("%s.%s[%d]", path, key, i))
			parts[i] = e
			if err != nil {
				errs = append(errs, err)
			}
		}
		return "(" + strings.Join(parts, op) + ")", errors.Join(errs...)
	}
	switch {
	case len(r.And) > 0:
		return join(r.And, "and", " && ")
	case len(r.Or) > 0:
		return join(r.Or, "or", " || ")
	case r.Not != nil:
		e, err := c.expr(*r.Not, path+".not")
		return "!(" + e + ")", err
	case r.Match != nil:
		m, mpath := r.Match, path+".match"
		switch matchKind(m) {
		case kindSignature, kindScalr:
			return "false", fmt.Errorf("%s: %s inside or/not cannot be converted: hookrunner verifies the signature on the source for every request, so it cannot be optional or negated; move it to the top level of the trigger-rule (an and)", mpath, m.Type)
		case kindIP:
			return "false", fmt.Errorf("%s: ip-whitelist inside or/not cannot be converted: use allow_ips on the source (a top-level ip-whitelist becomes one)", mpath)
		}
		if matchKind(m) == kindToken {
			c.tokenConds = append(c.tokenConds, fmt.Sprintf("%s %q", m.Parameter.Source, m.Parameter.Name))
		}
		return c.matchExpr(m, mpath)
	}
	// Refused by the shape check (a rule needs exactly one key).
	return "false", fmt.Errorf("%s: empty rule", path)
}
