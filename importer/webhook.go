// Package importer converts other tools' configs to hooks.yaml. Today:
// adnanh/webhook's hooks.json / hooks.yaml.
package importer

import (
	"fmt"
	"regexp"
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
	Type      string   `yaml:"type"`
	Regex     whScalar `yaml:"regex"`
	Secret    whScalar `yaml:"secret"`
	Value     whScalar `yaml:"value"`
	IPRange   string   `yaml:"ip-range"`
	Parameter whArg    `yaml:"parameter"`
}

// Result is a converted config and what could not be converted.
type Result struct {
	YAML     string
	Warnings []string
	// Unverified holds the warnings (also in Warnings) about sources
	// written with verify: none, for whoever prints them to shout.
	Unverified []string
	// Notes are the differences README's "Coming from adnanh/webhook"
	// documents as the way hookrunner answers (202 once stored, 401 for a
	// refused signature, 202 without a match, POST only), per hook; they
	// are not warnings, so --strict allows them.
	Notes []string
	// Hooks says what each hook became and how it differs (see Report).
	Hooks []HookReport
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

var nonName = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// FromWebhook converts an adnanh/webhook hooks file (JSON or YAML). Every
// key is checked against the keys adnanh/webhook knows, at every depth; a
// hook that cannot be converted without losing a check refuses the whole
// import with a *Refusal.
func FromWebhook(data []byte) (*Result, error) {
	data, envs, err := substituteEnv(data)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		hint := ""
		if strings.Contains(string(data), "{{") {
			hint = " (a -template file converts only {{ getenv \"NAME\" }} actions, with or without | js)"
		}
		return nil, fmt.Errorf("read adnanh/webhook hooks: %w%s", err, hint)
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
	used := map[string]bool{}      // hook ids
	usedNames := map[string]bool{} // source names
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
		c := &conv{hook: h, res: res, envs: envs}
		if h.ID == "" {
			c.warn("hook %d has no id; skipped", i)
			res.Hooks = append(res.Hooks, HookReport{ID: fmt.Sprintf("#%d (no id)", i+1), Became: "skipped", Differences: c.diffs})
			continue
		}
		if used[h.ID] {
			refusal.Problems = append(refusal.Problems, label+": a second hook with this id (adnanh/webhook refuses it too)")
			continue
		}
		used[h.ID] = true
		name, path := sourceNameFor(h.ID, i, usedNames)
		if path == "" && name != h.ID {
			c.warn("its id is not a valid URL path here: its source is %q, so its URL is /hooks/%s", name, name)
		}
		if h.ExecuteCommand == "" {
			c.warn("no execute-command; skipped")
			res.Hooks = append(res.Hooks, HookReport{ID: h.ID, Became: "skipped", Differences: c.diffs})
			continue
		}
		if err := c.convert(name, path, &sources, &rules); err == nil {
			res.Hooks = append(res.Hooks, HookReport{ID: h.ID, Became: c.became, Differences: c.diffs})
		} else {
			for _, e := range strings.Split(err.Error(), "\n") {
				refusal.Problems = append(refusal.Problems, label+": "+e)
			}
		}
	}
	if len(refusal.Problems) > 0 {
		return nil, refusal
	}
	if len(res.Hooks) > 0 {
		res.Notes = append(res.Notes, generalNotes...)
	}
	var b strings.Builder
	b.WriteString("# yaml-language-server: $schema=hooks.schema.json\n# Converted from adnanh/webhook by `hookrunner import --from webhook`.\n")
	if len(res.Warnings) > 0 {
		b.WriteString("# Differences from adnanh/webhook (check these by hand):\n")
		for _, w := range res.Warnings {
			b.WriteString("#   - " + strings.ReplaceAll(w, "\n", " ") + "\n")
		}
	}
	if len(res.Notes) > 0 {
		b.WriteString("# How hookrunner answers (README, Coming from adnanh/webhook):\n")
		for _, w := range res.Notes {
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
	envs envRefs
	// jsonParams are the payload names of parse-parameters-as-json: a
	// path under one reads the JSON it holds (see payloadBase).
	jsonParams []string
	// diffs are this hook's warnings, and became what it was converted
	// to, for the report.
	diffs  []string
	became string
	// tokenConds: header or URL token checks kept in the condition
	// because they sit inside or/not.
	tokenConds []string
}

func (c *conv) warn(format string, args ...any) {
	d := fmt.Sprintf(format, args...)
	c.res.Warnings = append(c.res.Warnings, fmt.Sprintf("hook %q: ", c.hook.ID)+d)
	c.diffs = append(c.diffs, d)
}

// note records a documented difference (see Result.Notes).
func (c *conv) note(format string, args ...any) {
	d := fmt.Sprintf(format, args...)
	c.res.Notes = append(c.res.Notes, fmt.Sprintf("hook %q: ", c.hook.ID)+d)
	c.diffs = append(c.diffs, "(documented) "+d)
}

// loud records a warning about a source written with verify: none.
func (c *conv) loud(format string, args ...any) {
	w := fmt.Sprintf(format, args...)
	c.res.Warnings = append(c.res.Warnings, w)
	c.res.Unverified = append(c.res.Unverified, w)
	c.diffs = append(c.diffs, "UNVERIFIED: "+w)
}

func q(s string) string { return strconv.Quote(s) }

// sourceNameFor names the source of a hook: its id when that is a valid
// source name; else, for an id with '/' that is a valid path
// (sendgrid/dir), a name made from it and the id as the source's path:,
// so the sender's URL /hooks/<id> stays; else a name made from the id.
func sourceNameFor(id string, i int, used map[string]bool) (name, path string) {
	name = strings.Trim(nonName.ReplaceAllString(id, "-"), "-.")
	if name != id && validPath.MatchString(id) {
		path = id
	}
	if name == "" || used[name] {
		name = fmt.Sprintf("hook-%d", i+1)
	}
	used[name] = true
	return name, path
}

var validPath = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*(/[A-Za-z0-9][A-Za-z0-9_.-]*)*$`)
