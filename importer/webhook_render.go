package importer

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// adnanhErrorBody is what adnanh/webhook answers, with status 500, when a
// command whose output it captures fails and
// include-command-output-in-response-on-error is not set.
const adnanhErrorBody = "Error occurred while executing the hook's command. Please check your logs for more details."

// envName is what the shell action accepts as an environment variable name.
var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*$`)

// convert writes one hook as a source (to sources) and a rule running its
// command (to rules). path is the source's URL path when it is not name.
func (c *conv) convert(name, path string, sources, rules *strings.Builder) error {
	h := c.hook
	for _, p := range h.ParseJSON {
		if p.Source == sourcePayload {
			c.jsonParams = append(c.jsonParams, p.Name)
		} else {
			c.warn("parse-parameters-as-json on %s %q is not supported: only payload fields are decoded", p.Source, p.Name)
		}
	}
	if len(c.jsonParams) > 0 {
		c.warn("parse-parameters-as-json: numbers inside the JSON a field holds are read as floating point (1.50 reads 1.5, integers beyond 2^53 lose digits; adnanh keeps them as sent), unless hookrunner decoded the JSON itself (a form whose only field is payload=)")
	}
	if err := c.refuseMarkers(); err != nil {
		return err
	}
	pl, err := c.planRule()
	if err != nil {
		return err
	}
	if pl.provider == "generic" && slices.Contains(pl.lines, "verify: none") {
		fmt.Fprintf(sources, "  # WARNING: %s is not verified: anyone who can reach its URL can run it; add a secret\n", name)
	}
	fmt.Fprintf(sources, "  %s:\n    provider: %s\n", name, pl.provider)
	if path != "" {
		fmt.Fprintf(sources, "    path: %s\n", q(path))
	}
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
	if cond := c.condition(pl.conds); cond != "" {
		fmt.Fprintf(rules, "    if: %s\n", q(cond))
	}
	sync := h.IncludeOutput
	if sync {
		rules.WriteString("    respond: sync\n")
	}
	// adnanh runs a command once; so does the imported rule (raise
	// attempts for retries with backoff).
	rules.WriteString("    retry: { attempts: 1 }\n")
	c.noteAnswers(pl, sync)
	c.became = describe(name, path, pl, sync)

	rules.WriteString("    actions:\n      - shell:\n")
	argv := []string{q(esc(c.command()))}
	var errs []error
	for i, arg := range h.Args {
		a, err := c.template(arg, fmt.Sprintf("pass-arguments-to-command[%d]", i))
		if err != nil {
			errs = append(errs, err)
		}
		argv = append(argv, q(a))
	}
	fmt.Fprintf(rules, "          command: [%s]\n", strings.Join(argv, ", "))
	if h.WorkingDirectory != "" {
		fmt.Fprintf(rules, "          dir: %s\n", q(esc(h.WorkingDirectory)))
	}
	if sync {
		// The answer is the command's output as adnanh sends it: stdout
		// and stderr; a failure is 500 with adnanh's message unless
		// include-command-output-in-response-on-error shows the output.
		rules.WriteString("          respond_stderr: true\n")
		if !h.IncludeOutputOnError {
			fmt.Fprintf(rules, "          error_body: %s\n", q(esc(adnanhErrorBody)))
		}
		if h.SuccessCode != 0 && h.SuccessCode != 200 {
			fmt.Fprintf(rules, "          status: { \"0\": %d }\n", h.SuccessCode)
		}
	}
	env, err := c.envVars()
	if err = errors.Join(append(errs, err)...); err != nil {
		return err
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
		// adnanh sets no variable for a value it cannot find.
		rules.WriteString("          omit_missing_env: true\n          env:\n")
		for _, k := range keys {
			fmt.Fprintf(rules, "            %s: %s\n", q(k), q(env[k]))
		}
	}
	return nil
}

// command is the program adnanh runs: execute-command, relative to
// command-working-directory when it is a relative path and a directory is
// set. A command with a space is kept whole: adnanh finds no such program
// and answers 500, and so does hookrunner.
func (c *conv) command() string {
	h := c.hook
	cmd := h.ExecuteCommand
	if anyTmpl.MatchString(cmd) {
		c.warn("execute-command %q holds a {{ }} template: adnanh renders it when started with -template; here it is the literal program name", cmd)
	}
	if strings.ContainsAny(cmd, " \t") {
		c.warn("execute-command %q holds a space: it is one program name (arguments go in pass-arguments-to-command), which adnanh cannot find either", cmd)
	}
	if h.WorkingDirectory != "" && !filepath.IsAbs(cmd) {
		cmd = filepath.Join(h.WorkingDirectory, cmd)
	}
	if !filepath.IsAbs(h.WorkingDirectory) && h.WorkingDirectory != "" {
		c.warn("command-working-directory %q is relative: adnanh reads it from its own working directory, hookrunner from the config file's directory", h.WorkingDirectory)
	}
	return cmd
}

// envVars are the command's variables, named as adnanh names them
// (envname, else HOOK_ and the parameter's name, dots kept).
func (c *conv) envVars() (map[string]string, error) {
	env := map[string]string{}
	var errs []error
	for i, e := range c.hook.Env {
		n := e.EnvName
		if n == "" {
			n = "HOOK_" + e.Name
		}
		if !envName.MatchString(n) || strings.HasPrefix(n, "HOOKRUNNER_") {
			fixed := strings.Map(func(r rune) rune {
				if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' {
					return r
				}
				return '_'
			}, n)
			if strings.HasPrefix(fixed, "HOOKRUNNER_") || fixed == "" || fixed[0] >= '0' && fixed[0] <= '9' {
				fixed = "HOOK_" + fixed
			}
			c.warn("environment variable %q is named %q: a name holds letters, digits, '_', '.' and '-' only, and HOOKRUNNER_ is reserved", n, fixed)
			n = fixed
		}
		v, err := c.template(e, fmt.Sprintf("pass-environment-to-command[%d]", i))
		if err != nil {
			errs = append(errs, err)
		}
		env[n] = v
	}
	return env, errors.Join(errs...)
}

// noteAnswers records how hookrunner's answer differs from adnanh's:
// what README documents as a note, anything else as a warning.
func (c *conv) noteAnswers(pl *plan, sync bool) {
	h := c.hook
	var notes, d []string
	if !sync {
		msg := "200"
		if h.SuccessCode != 0 {
			msg = fmt.Sprint(h.SuccessCode)
		}
		if h.ResponseMessage != "" {
			msg += " " + q(h.ResponseMessage)
		}
		notes = append(notes, "it answers 202 with the event id once the event is stored, and runs the command after (adnanh answers "+msg+" at once)")
	}
	if pl.provider != "generic" || !slices.Contains(pl.lines, "verify: none") {
		notes = append(notes, "a request that fails verification is answered 401 and not stored (adnanh: 500, or 200 Hook rules were not satisfied when the signature is missing)")
	}
	if len(pl.conds) > 0 || h.MismatchCode != 0 {
		code := "200"
		if h.MismatchCode >= 100 && h.MismatchCode <= 599 {
			code = fmt.Sprint(h.MismatchCode)
		}
		notes = append(notes, "a request that does not satisfy the rule is stored and answered 202 with matched: [] (adnanh: "+code+" Hook rules were not satisfied.)")
	}
	if len(h.HTTPMethods) == 0 {
		notes = append(notes, "only POST is accepted (adnanh accepts any method when http-methods is not set)")
	} else {
		post := false
		for _, m := range h.HTTPMethods {
			post = post || strings.EqualFold(strings.TrimSpace(m), "POST")
		}
		if !post {
			d = append(d, fmt.Sprintf("only POST is accepted (http-methods %v)", h.HTTPMethods))
		}
	}
	if len(h.ResponseHeaders) > 0 {
		d = append(d, "response-headers are not sent")
	}
	if h.IncomingContentType != "" {
		d = append(d, "incoming-payload-content-type is not supported: the body is decoded by its own Content-Type")
	}
	if !sync && h.IncludeOutputOnError {
		d = append(d, "include-command-output-in-response-on-error has no effect without include-command-output-in-response (nor has it in adnanh)")
	}
	if !sync && h.SuccessCode != 0 {
		d = append(d, fmt.Sprintf("success-http-response-code %d: an asynchronous hook answers 202", h.SuccessCode))
	}
	if len(notes) > 0 {
		c.note("%s", strings.Join(notes, "; "))
	}
	if len(d) > 0 {
		c.warn("%s", strings.Join(d, "; "))
	}
}

// refuseMarkers refuses a {{ getenv }} action anywhere but in a secret:
// only a secret is read from the environment when hooks.yaml loads.
func (c *conv) refuseMarkers() error {
	h := c.hook
	vals := map[string]string{"id": h.ID, "execute-command": h.ExecuteCommand, "command-working-directory": h.WorkingDirectory, "response-message": h.ResponseMessage}
	for _, list := range [][]whArg{h.Args, h.Env, h.Files, h.ParseJSON} {
		for _, a := range list {
			vals["parameter "+a.Name] = a.Name + a.EnvName
		}
	}
	var probs []string
	for k, v := range vals {
		if c.envs.within(v) {
			probs = append(probs, fmt.Sprintf("%s: %q: a {{ getenv }} template can be converted in a secret only (it becomes ${NAME}); write the value out", k, c.envs.show(v)))
		}
	}
	if len(probs) > 0 {
		sort.Strings(probs)
		return fmt.Errorf("%s", strings.Join(probs, "\n"))
	}
	return nil
}
