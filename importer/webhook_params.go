package importer

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Values and parameters: how a webhook literal, secret or parameter
// becomes a hooks.yaml value, a condition or a {{ }} template.

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
