package importer

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// convert writes one hook as a source (to sources) and a rule running its
// command (to rules).
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
