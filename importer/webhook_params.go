package importer

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/hookrunner/hookrunner/internal/redact"
)

// Values and parameters: how a webhook literal, secret or parameter
// becomes a hooks.yaml value, a condition or a {{ }} template. A parameter
// is read the way adnanh/webhook reads it (internal/hook/hook.go, GetParameter
// and ExtractParameterAsString): the `lookup` function walks the same dotted
// path (a whole key first, then segment by segment, list indexes), a missing
// value is nil (an empty argument, no environment variable, a match that
// fails), and a value is compared as the text adnanh prints it: a string as
// it is, a number as it was sent, true/false.

var anyTmpl = regexp.MustCompile(`\{\{.*\}\}`)

// esc keeps a literal from being read as ${ENV} when hooks.yaml loads.
func esc(s string) string { return strings.ReplaceAll(s, "${", "$${") }

// tmplLiteral is s as a template that renders to exactly s: "{{" is
// written as an expression, "${" is escaped.
func tmplLiteral(s string) string {
	return esc(strings.ReplaceAll(s, "{{", `{{ "{{" }}`))
}

// whScalar is a scalar read as adnanh/webhook reads one into a string
// field (ghodss/yaml): a YAML number or boolean becomes its text, an
// integer in decimal, a float in the shortest form of its float32 value.
type whScalar string

// UnmarshalYAML implements yaml.Unmarshaler.
func (s *whScalar) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: expected a value, got a %s", n.Line, kindName(n.Kind))
	}
	switch n.Tag {
	case "!!int":
		var i int64
		if err := n.Decode(&i); err == nil {
			*s = whScalar(strconv.FormatInt(i, 10))
			return nil
		}
	case "!!float":
		var f float64
		if err := n.Decode(&f); err == nil {
			*s = whScalar(strconv.FormatFloat(f, 'g', -1, 32))
			return nil
		}
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err == nil {
			*s = whScalar(strconv.FormatBool(b))
			return nil
		}
	case "!!null":
		*s = ""
		return nil
	}
	*s = whScalar(n.Value)
	return nil
}

// secretValue turns a literal or a `{{ getenv "X" }}` template (read from
// a -template file, see templates.go) into a hooks.yaml value (${X}). Any
// other template (cat, credential, ...) cannot be resolved here.
func (c *conv) secretValue(s, path string) (string, error) {
	if name, ok := c.envs.whole(s); ok {
		return "${" + name + "}", nil
	}
	if c.envs.within(s) || anyTmpl.MatchString(s) {
		return "", fmt.Errorf("%s: the secret %q is a template the importer cannot resolve; write it as {{ getenv \"NAME\" }} or as the literal value", path, c.envs.show(s))
	}
	if s == "" {
		return "", fmt.Errorf("%s: the secret is empty", path)
	}
	return esc(s), nil
}

// literal is a value compared in a condition: conditions cannot read the
// environment, so a template there cannot be converted exactly.
func (c *conv) literal(s, path string) (string, error) {
	if c.envs.within(s) || anyTmpl.MatchString(s) {
		return "", fmt.Errorf("%s: %q is a template; a hookrunner condition compares literal values only (a token in a header or query parameter can become the source's secret instead)", path, c.envs.show(s))
	}
	return q(esc(s)), nil
}

// wrappedPayload is the payload as adnanh/webhook holds it: a JSON array
// body is {"root": [...]}.
const wrappedPayload = `(type(payload) == "array" ? {"root": payload} : payload)`

// payloadBase is the value a payload parameter's path is read from. A path
// under a parse-parameters-as-json name reads the JSON that name holds: a
// string field (a multipart part, a form field beside others) is decoded;
// an object is used as it is; when hookrunner has already decoded it (a
// form whose only field is payload=<JSON>) it is the payload itself.
func (c *conv) payloadBase(name string) (base, rest string) {
	for _, j := range c.jsonParams {
		if name == j || strings.HasPrefix(name, j+".") {
			at := "lookup(payload, " + q(j) + ")"
			base = "(type(" + at + ") == \"string\" ? fromJSON(" + at + ") : (" + at + " ?? payload))"
			return base, strings.TrimPrefix(strings.TrimPrefix(name, j), ".")
		}
	}
	if name == "root" || strings.HasPrefix(name, "root.") {
		return wrappedPayload, name
	}
	return "payload", name
}

// lookupExpr reads path from base; a segment "-attr" (an XML attribute as
// adnanh's XML decoder names it) is also tried as hookrunner's "@attr".
func lookupExpr(base, path string) string {
	if path == "" {
		return base
	}
	e := "lookup(" + base + ", " + q(path) + ")"
	segs := strings.Split(path, ".")
	alt := false
	for i, s := range segs {
		if len(s) > 1 && s[0] == '-' {
			segs[i], alt = "@"+s[1:], true
		}
	}
	if alt {
		e = "(" + e + " ?? lookup(" + base + ", " + q(strings.Join(segs, ".")) + "))"
	}
	return e
}

// param renders a webhook parameter as an expression whose value is nil
// when adnanh finds none; ok is false when hookrunner has no equivalent.
func (c *conv) param(p whArg) (string, bool) {
	if len(p.Name) > 256 { // lookup's bound
		return "", false
	}
	switch p.Source {
	case sourcePayload:
		base, rest := c.payloadBase(p.Name)
		return lookupExpr(base, rest), true
	case sourceHeader:
		return "lookup(headers, " + q(strings.ToLower(p.Name)) + ")", true
	case "url", "query":
		return "lookup(query, " + q(p.Name) + ")", true
	case "string":
		return q(p.Name), true
	case "entire-payload":
		return wrappedPayload, true
	case "entire-headers":
		return "headers", true
	case "entire-query":
		return "query", true
	case "raw-request-body":
		return "body", true
	case "request":
		switch strings.ToLower(p.Name) {
		case "remote-addr":
			return "remote_addr", true
		case "method":
			return `"POST"`, true
		}
	}
	return "", false
}

// credential reports whether p is a header or URL parameter that carries
// a credential by its name. hookrunner redacts those before rules and
// actions see them (headers and query read [REDACTED]), so such a value
// can be neither compared in a condition nor passed to a command. The
// question is the redactor's own, so the two cannot disagree.
func credential(p whArg) bool {
	switch p.Source {
	case sourceHeader:
		return redact.IsSecretHeader(p.Name)
	case "url", "query":
		return redact.IsSecretQueryParam(p.Name)
	}
	return false
}

// noteParam warns about a parameter whose value differs from adnanh's.
func (c *conv) noteParam(p whArg) {
	switch p.Source {
	case "entire-headers":
		c.warn("entire-headers: hookrunner's header names are lower-case (adnanh writes them canonical, X-Hub-Signature), and credential headers (Authorization, *-Token, *-Key, ...) read [REDACTED]")
	case "entire-query":
		c.warn("entire-query: credential parameters (token, key, sig, ...) read [REDACTED]")
	}
}

// template renders a command argument or environment value (path names
// it in errors). What has no equivalent is a warning: it changes the
// command's input, not who may run it. A credential header or parameter
// is refused: the command would get [REDACTED].
func (c *conv) template(p whArg, path string) (string, error) {
	if p.Source == "string" {
		return tmplLiteral(p.Name), nil
	}
	if credential(p) {
		return "", fmt.Errorf("%s: %s %q carries a credential, which hookrunner redacts before actions see it, so the command would get [REDACTED]; give the command the secret from the environment instead (env: {NAME: \"${SECRET}\"} on the shell action)", path, p.Source, p.Name)
	}
	c.noteParam(p)
	e, ok := c.param(p)
	if !ok || strings.Contains(e, "}}") {
		c.warn("parameter %s %q cannot be read here (no equivalent, a name over 256 bytes or holding \"}}\"); the value is empty", p.Source, p.Name)
		return "", nil
	}
	return esc("{{ " + e + " }}"), nil
}
