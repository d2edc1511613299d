package ruletest

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/hookrunner/hookrunner/actions"
	"github.com/hookrunner/hookrunner/internal/redact"
	"github.com/hookrunner/hookrunner/internal/textdiff"
	"github.com/hookrunner/hookrunner/ruleset"
)

// check compares what a case expects with what the rules decided. It
// returns one readable line per problem (with why a rule did not match)
// and, when something differs, the expected and actual answers as a
// unified diff. Expected values are redacted as the actual ones are, so a
// secret written in a test file is neither shown nor needed.
func check(c *testCase, out *outcome, red *redact.Redactor) (problems []string, diff string) {
	byName := map[string]*ruleset.Decision{}
	var matched []string
	for i := range out.decisions {
		d := &out.decisions[i]
		byName[d.Rule] = d
		if d.Matched {
			matched = append(matched, d.Rule)
		}
	}
	switch {
	case out.refused != "" && c.refused == "":
		problems = append(problems, "ingest would refuse this request: "+out.refused)
	case out.refused != "" && !strings.Contains(out.refused, c.refused):
		problems = append(problems, fmt.Sprintf("refused: ingest refuses the request, but with %q", out.refused))
	case out.refused == "" && c.refused != "":
		problems = append(problems, fmt.Sprintf("refused: %q expected, but ingest accepts the request", c.refused))
	}
	unknown := func(key, name string, line int) bool {
		if byName[name] != nil || out.refused != "" || out.handshake != "" {
			return false // without decisions (refused, handshake) no rule is known to be missing
		}
		problems = append(problems, fmt.Sprintf("%s (line %d): no rule %q on source %q", key, line, name, c.source))
		return true
	}
	missing := func(name string) {
		d := byName[name]
		msg := fmt.Sprintf("missing match: %s did not match", name)
		if out.handshake != "" {
			msg += " — the request is " + out.handshake
		}
		if d != nil {
			msg += " — " + d.Reason
			for _, t := range d.Terms {
				msg += "\n    " + strings.ReplaceAll(t.String(), "\n", "\n    ")
			}
		}
		problems = append(problems, msg)
	}
	if c.match != nil {
		for i, name := range c.match.names {
			if !unknown("match", name, c.match.lines[i]) && !slices.Contains(matched, name) {
				missing(name)
			}
		}
		for _, name := range matched {
			if !slices.Contains(c.match.names, name) {
				problems = append(problems, fmt.Sprintf("unexpected match: %s (match: does not list it)", name))
			}
		}
	}
	if c.noMatch != nil {
		for i, name := range c.noMatch.names {
			if !unknown("no_match", name, c.noMatch.lines[i]) && slices.Contains(matched, name) {
				problems = append(problems, fmt.Sprintf("unexpected match: %s (no_match lists it)", name))
			}
		}
	}
	for _, ra := range c.actions {
		if unknown("actions", ra.rule, ra.line) {
			continue
		}
		d := byName[ra.rule]
		if d == nil || !d.Matched {
			if c.match == nil || !slices.Contains(c.match.names, ra.rule) {
				problems = append(problems, fmt.Sprintf("actions: %s did not match, so it runs nothing", ra.rule))
			}
			continue
		}
		if len(d.Plans) != len(ra.plans) {
			problems = append(problems, fmt.Sprintf("actions: %s has %d actions, the test lists %d", ra.rule, len(d.Plans), len(ra.plans)))
			continue
		}
		for i, ep := range ra.plans {
			want := project(ep.plan.Redacted(red), ep.keys)
			got := project(d.Plans[i], ep.keys)
			if yamlText(want) != yamlText(got) {
				problems = append(problems, fmt.Sprintf("actions: %s[%d] (line %d) differs", ra.rule, i, ep.line))
			}
		}
	}
	if len(problems) == 0 {
		return nil, ""
	}
	want, got := answers(c, out, matched, byName, red)
	diff, err := textdiff.Unified("expected", "actual", yamlText(want), yamlText(got), 3)
	if err != nil {
		diff = err.Error()
	}
	return problems, diff
}

// answers returns the expected answers of c and the actual ones, shaped
// alike (the actual plans cut down to the keys the test gives), for the
// diff.
func answers(c *testCase, out *outcome, matched []string, byName map[string]*ruleset.Decision, red *redact.Redactor) (want, got *yaml.Node) {
	want, got = mapping(), mapping()
	if out.refused != "" || c.refused != "" {
		addPair(want, "refused", scalar(c.refused))
		addPair(got, "refused", scalar(out.refused))
	}
	if c.match != nil {
		addPair(want, "match", strList(c.match.names))
		addPair(got, "match", strList(matched))
	}
	if c.noMatch != nil {
		var still []string
		for _, n := range c.noMatch.names {
			if !slices.Contains(matched, n) {
				still = append(still, n)
			}
		}
		addPair(want, "no_match", strList(c.noMatch.names))
		addPair(got, "no_match", strList(still))
	}
	if c.actions != nil {
		wa, ga := mapping(), mapping()
		for _, ra := range c.actions {
			wl, gl := seq(), seq()
			var plans []actions.Plan
			if d := byName[ra.rule]; d != nil && d.Matched {
				plans = d.Plans
			}
			for i, ep := range ra.plans {
				wl.Content = append(wl.Content, project(ep.plan.Redacted(red), ep.keys))
				if i < len(plans) {
					gl.Content = append(gl.Content, project(plans[i], ep.keys))
				}
			}
			for i := len(ra.plans); i < len(plans); i++ {
				gl.Content = append(gl.Content, planNode(plans[i]))
			}
			addPair(wa, ra.rule, wl)
			addPair(ga, ra.rule, gl)
		}
		addPair(want, "actions", wa)
		addPair(got, "actions", ga)
	}
	return want, got
}

// project shows the keys of p a test gives, in its order: describe and
// error as text, a kind as the fields given (null when p is not of that
// kind).
func project(p actions.Plan, keys []planKey) *yaml.Node {
	m := mapping()
	for _, k := range keys {
		switch k.name {
		case "describe":
			addPair(m, k.name, scalar(p.Describe))
			continue
		case "error":
			addPair(m, k.name, scalar(p.Error))
			continue
		}
		kind := reflect.ValueOf(p).FieldByNameFunc(func(n string) bool { return strings.EqualFold(n, k.name) })
		if kind.IsNil() {
			if p.Error != "" { // the action would refuse the event: say why
				addPair(m, "error", scalar(p.Error))
			} else {
				addPair(m, k.name, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"})
			}
			continue
		}
		fields := mapping()
		for _, f := range k.fields {
			addPair(fields, f, valueNode(fieldByTag(kind.Elem(), f)))
		}
		addPair(m, k.name, fields)
	}
	return m
}

// planNode is the whole of a plan, for --update and for actions a test
// does not list.
func planNode(p actions.Plan) *yaml.Node {
	n := &yaml.Node{}
	_ = n.Encode(p)
	flowShortLists(n)
	return n
}

func fieldByTag(v reflect.Value, tag string) reflect.Value {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ","); name == tag {
			return v.Field(i)
		}
	}
	return reflect.Value{}
}

// valueNode encodes a plan field; nil and empty lists and maps alike.
func valueNode(v reflect.Value) *yaml.Node {
	n := &yaml.Node{}
	switch {
	case !v.IsValid():
		return scalar("")
	case v.Kind() == reflect.Map && v.Len() == 0:
		return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Style: yaml.FlowStyle}
	case v.Kind() == reflect.Slice && v.Len() == 0:
		return &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
	}
	_ = n.Encode(v.Interface())
	return n
}

// flowShortLists writes lists of short one-line strings on one line
// ([a, b]), as people write argv.
func flowShortLists(n *yaml.Node) {
	if n.Kind == yaml.SequenceNode {
		total, flow := 0, true
		for _, e := range n.Content {
			if e.Kind != yaml.ScalarNode || strings.ContainsAny(e.Value, "\n") {
				flow = false
				break
			}
			total += len(e.Value) + 2
		}
		if flow && total < 100 {
			n.Style = yaml.FlowStyle
		}
	}
	for _, c := range n.Content {
		flowShortLists(c)
	}
}

func mapping() *yaml.Node { return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"} }
func seq() *yaml.Node     { return &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"} }
func scalar(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
}

func strList(l []string) *yaml.Node {
	n := seq()
	for _, s := range l {
		n.Content = append(n.Content, scalar(s))
	}
	if len(l) == 0 {
		n.Style = yaml.FlowStyle
	}
	return n
}

func addPair(m *yaml.Node, k string, v *yaml.Node) { m.Content = append(m.Content, scalar(k), v) }

func yamlText(n *yaml.Node) string {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(n); err != nil {
		return err.Error()
	}
	_ = enc.Close()
	return b.String()
}
