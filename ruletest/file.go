package ruletest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/hookrunner/hookrunner/actions"
	"github.com/hookrunner/hookrunner/config"
)

// A test file:
//
//	cases:
//	  - name: a push to main redeploys
//	    source: github
//	    event: push                      # or what the headers / payload say
//	    headers: {X-GitHub-Delivery: 72d3162e-cc78-11e3-81ab-4c9367dc0958}
//	    payload_file: ../payloads/github-push.json   # or payload: <YAML/JSON value or string>
//	    match: [redeploy-api]            # exactly these rules match
//	    no_match: [release-notes]        # these do not
//	    actions:                         # what each listed rule would run
//	      redeploy-api:
//	        - shell: {argv: [./redeploy.sh, 0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c]}

// DefaultReceivedAt is the receive time of a case without received_at:
// fixed, so a template that reads received_at renders the same every run.
var DefaultReceivedAt = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Error is a problem with a test file, at a line (and column) of it.
type Error struct {
	File string
	Line int
	Col  int
	Msg  string
}

func (e *Error) Error() string {
	switch {
	case e.Line > 0 && e.Col > 0:
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return e.File + ": " + e.Msg
}

// testFile is a parsed test file; doc is kept for --update.
type testFile struct {
	path  string
	doc   *yaml.Node
	cases []*testCase
}

// testCase is one case: the request, and the answers expected.
type testCase struct {
	name       string
	line       int
	node       *yaml.Node // the case's mapping
	source     string
	event      string
	headers    map[string]string
	query      string
	body       []byte
	structured bool   // payload was a YAML/JSON value (sent as JSON)
	ext        string // of payload_file, for its content type
	receivedAt time.Time

	refused string    // ingest must refuse the request, saying this
	match   *nameList // nil: not checked
	noMatch *nameList
	actions []ruleActions // nil: not checked
}

type nameList struct {
	names []string
	lines []int
}

// ruleActions is what one rule's actions are expected to be.
type ruleActions struct {
	rule  string
	line  int
	plans []expectedPlan
}

// expectedPlan is one expected action: the plan as written, and which of
// its keys the test gives (the others are not checked).
type expectedPlan struct {
	plan actions.Plan
	line int
	keys []planKey
}

// planKey is a key given at the top of an expected action (shell, http,
// crm, describe, error) with, for the kinds, the fields given below it.
type planKey struct {
	name   string
	fields []string
}

var caseKeys = []string{"name", "source", "event", "headers", "query", "payload", "payload_file", "received_at", "refused", "match", "no_match", "actions"}

// parseFile reads and checks a test file. Every problem is an *Error with
// the file and line; all of a file's problems are returned together.
func parseFile(path string) (*testFile, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{File: path, Msg: fmt.Sprintf("read: %v", err)}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, yamlError(path, err)
	}
	f := &testFile{path: path, doc: &doc}
	p := &parser{file: path, dir: filepath.Dir(path)}
	if len(doc.Content) == 0 {
		return nil, &Error{File: path, Msg: "file is empty (expected cases: [...])"}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, p.err(root, "expected a mapping with cases: at the top")
	}
	if valueOf(root, "rules") != nil || valueOf(root, "sources") != nil {
		return nil, p.err(root, "this is a config, not a test file (give the config with --config)")
	}
	var cases *yaml.Node
	p.keys(root, []string{"cases"}, func(k, v *yaml.Node) { cases = v })
	switch {
	case cases == nil:
		p.add(root, "cases: required (a list of test cases)")
	case cases.Kind != yaml.SequenceNode:
		p.add(cases, "cases: expected a list")
	case len(cases.Content) == 0:
		p.add(cases, "cases: empty (a test file without cases tests nothing)")
	default:
		names := map[string]int{}
		for _, n := range cases.Content {
			c := p.parseCase(n)
			if c == nil {
				continue
			}
			if first, dup := names[c.name]; dup {
				p.add(n, fmt.Sprintf("duplicate case name %q (first at line %d)", c.name, first))
			}
			names[c.name] = c.line
			f.cases = append(f.cases, c)
		}
	}
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	return f, nil
}

// yamlError turns a YAML syntax error ("yaml: line 3: …") into an Error.
func yamlError(path string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	var line int
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if n, after, ok := strings.Cut(rest, ":"); ok {
			if l, e := strconv.Atoi(n); e == nil {
				line, msg = l, strings.TrimSpace(after)
			}
		}
	}
	return &Error{File: path, Line: line, Msg: "YAML syntax: " + msg}
}

type parser struct {
	file string
	dir  string
	errs []error
}

func (p *parser) err(n *yaml.Node, msg string) *Error {
	return &Error{File: p.file, Line: n.Line, Col: n.Column, Msg: msg}
}

func (p *parser) add(n *yaml.Node, msg string) { p.errs = append(p.errs, p.err(n, msg)) }

// decode decodes n into v, reporting a failure at n's line.
func (p *parser) decode(n *yaml.Node, key string, v any) bool {
	if err := n.Decode(v); err != nil {
		msg := strings.TrimPrefix(err.Error(), "yaml: unmarshal errors:\n")
		msg = strings.TrimSpace(strings.ReplaceAll(msg, "\n", "; "))
		p.add(n, key+": "+msg)
		return false
	}
	return true
}

// keys calls each for every key of mapping m, refusing keys not in known
// and keys given twice.
func (p *parser) keys(m *yaml.Node, known []string, each func(k, v *yaml.Node)) {
	seen := map[string]bool{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		switch {
		case !slices.Contains(known, k.Value):
			p.add(k, fmt.Sprintf("unknown key %q%s", k.Value, config.Suggest(k.Value, append([]string(nil), known...))))
		case seen[k.Value]:
			p.add(k, fmt.Sprintf("key %q given twice", k.Value))
		default:
			seen[k.Value] = true
			each(k, v)
		}
	}
}

func (p *parser) parseCase(n *yaml.Node) *testCase {
	if n.Kind != yaml.MappingNode {
		p.add(n, "a case is a mapping (name:, source:, payload: …)")
		return nil
	}
	c := &testCase{line: n.Line, node: n, receivedAt: DefaultReceivedAt}
	var payload, payloadFile *yaml.Node
	p.keys(n, caseKeys, func(k, v *yaml.Node) {
		switch k.Value {
		case "name":
			p.decode(v, "name", &c.name)
		case "source":
			p.decode(v, "source", &c.source)
		case "event":
			p.decode(v, "event", &c.event)
		case "query":
			p.decode(v, "query", &c.query)
		case "headers":
			p.decode(v, "headers", &c.headers)
		case "received_at":
			var s string
			if p.decode(v, "received_at", &s) {
				t, err := time.Parse(time.RFC3339Nano, s)
				if err != nil {
					p.add(v, fmt.Sprintf("received_at: %q is not an RFC 3339 time", s))
				}
				c.receivedAt = t
			}
		case "refused":
			p.decode(v, "refused", &c.refused)
		case "payload":
			payload = v
		case "payload_file":
			payloadFile = v
		case "match":
			c.match = p.names(v, "match")
		case "no_match":
			c.noMatch = p.names(v, "no_match")
		case "actions":
			c.actions = p.ruleActions(v)
			if c.actions == nil {
				c.actions = []ruleActions{}
			}
		}
	})
	if c.name == "" {
		p.add(n, "name: required")
	}
	if c.source == "" {
		p.add(n, "source: required (the source the request is sent to)")
	}
	switch {
	case payload != nil && payloadFile != nil:
		p.add(payloadFile, "give payload or payload_file, not both")
	case payload != nil:
		p.payload(c, payload)
	case payloadFile != nil:
		var rel string
		if p.decode(payloadFile, "payload_file", &rel) {
			path := rel
			if !filepath.IsAbs(path) {
				path = filepath.Join(p.dir, rel)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				p.add(payloadFile, fmt.Sprintf("payload_file: %v", err))
			}
			c.body, c.ext = b, strings.ToLower(filepath.Ext(path))
		}
	default:
		p.add(n, "payload or payload_file: required (the body the sender sends)")
	}
	if c.match != nil && c.noMatch != nil {
		for i, name := range c.noMatch.names {
			if slices.Contains(c.match.names, name) {
				p.errs = append(p.errs, &Error{File: p.file, Line: c.noMatch.lines[i], Msg: fmt.Sprintf("no_match: %q is also in match", name)})
			}
		}
	}
	return c
}

// payload takes an inline payload: a string is the body as sent; any other
// value is sent as JSON, numbers as written.
func (p *parser) payload(c *testCase, n *yaml.Node) {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" {
		c.body = []byte(n.Value)
		return
	}
	var b bytes.Buffer
	if err := writeJSON(&b, n); err != nil {
		p.add(n, "payload: "+err.Error())
		return
	}
	c.body, c.structured = b.Bytes(), true
}

// writeJSON writes a YAML value as JSON, keeping numbers as written when
// they are valid JSON numbers.
func writeJSON(b *bytes.Buffer, n *yaml.Node) error {
	switch n.Kind {
	case yaml.AliasNode:
		return writeJSON(b, n.Alias)
	case yaml.DocumentNode:
		return writeJSON(b, n.Content[0])
	case yaml.MappingNode:
		b.WriteByte('{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			if i > 0 {
				b.WriteByte(',')
			}
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode {
				return fmt.Errorf("line %d: a JSON object key must be a string", k.Line)
			}
			kb, _ := json.Marshal(k.Value)
			b.Write(kb)
			b.WriteByte(':')
			if err := writeJSON(b, n.Content[i+1]); err != nil {
				return err
			}
		}
		b.WriteByte('}')
		return nil
	case yaml.SequenceNode:
		b.WriteByte('[')
		for i, e := range n.Content {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := writeJSON(b, e); err != nil {
				return err
			}
		}
		b.WriteByte(']')
		return nil
	}
	switch n.ShortTag() {
	case "!!null":
		b.WriteString("null")
		return nil
	case "!!bool", "!!int", "!!float":
		if json.Valid([]byte(n.Value)) {
			b.WriteString(n.Value)
			return nil
		}
		var v any
		if err := n.Decode(&v); err != nil {
			return err
		}
		vb, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("line %d: %q has no JSON form", n.Line, n.Value)
		}
		b.Write(vb)
		return nil
	}
	sb, _ := json.Marshal(n.Value)
	b.Write(sb)
	return nil
}

func (p *parser) names(n *yaml.Node, key string) *nameList {
	l := &nameList{}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return l
	}
	if n.Kind != yaml.SequenceNode {
		p.add(n, key+": expected a list of rule names")
		return l
	}
	for _, e := range n.Content {
		var s string
		if !p.decode(e, key, &s) {
			continue
		}
		if slices.Contains(l.names, s) {
			p.add(e, fmt.Sprintf("%s: %q listed twice", key, s))
			continue
		}
		l.names = append(l.names, s)
		l.lines = append(l.lines, e.Line)
	}
	return l
}

// ruleActions reads actions: {rule: [action, …], …}.
func (p *parser) ruleActions(n *yaml.Node) []ruleActions {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		p.add(n, "actions: expected a mapping of rule name to the list of its actions")
		return nil
	}
	var out []ruleActions
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if seen[k.Value] {
			p.add(k, fmt.Sprintf("actions: rule %q given twice", k.Value))
			continue
		}
		seen[k.Value] = true
		ra := ruleActions{rule: k.Value, line: k.Line}
		if v.Kind != yaml.SequenceNode {
			p.add(v, fmt.Sprintf("actions.%s: expected a list, one entry per action of the rule", k.Value))
			continue
		}
		for _, a := range v.Content {
			if ep, ok := p.expectedPlan(a, "actions."+k.Value); ok {
				ra.plans = append(ra.plans, ep)
			}
		}
		out = append(out, ra)
	}
	return out
}

// planKinds are the keys of an expected action, with the type of the
// fields below each kind.
var planKinds = map[string]reflect.Type{
	"shell": reflect.TypeOf(actions.ShellPlan{}), "http": reflect.TypeOf(actions.HTTPPlan{}),
	"crm": reflect.TypeOf(actions.CRMPlan{}), "describe": nil, "error": nil,
}

func (p *parser) expectedPlan(n *yaml.Node, path string) (expectedPlan, bool) {
	ep := expectedPlan{line: n.Line}
	if n.Kind != yaml.MappingNode || len(n.Content) == 0 {
		p.add(n, path+": an action is a mapping such as shell: {argv: [...]}, http: {...}, crm: {...} or error: \"...\"")
		return ep, false
	}
	n0 := len(p.errs)
	kinds := make([]string, 0, len(planKinds))
	for k := range planKinds {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	p.keys(n, kinds, func(k, v *yaml.Node) {
		pk := planKey{name: k.Value}
		if t := planKinds[k.Value]; t != nil {
			if v.Kind != yaml.MappingNode {
				p.add(v, fmt.Sprintf("%s.%s: expected a mapping of its fields (%s)", path, k.Value, strings.Join(yamlFields(t), ", ")))
				return
			}
			p.keys(v, yamlFields(t), func(fk, _ *yaml.Node) { pk.fields = append(pk.fields, fk.Value) })
		}
		ep.keys = append(ep.keys, pk)
	})
	if len(p.errs) > n0 || !p.decode(n, path, &ep.plan) {
		return ep, false
	}
	return ep, true
}

// yamlFields lists the yaml names of a plan type's fields.
func yamlFields(t reflect.Type) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name != "" && name != "-" {
			out = append(out, name)
		}
	}
	return out
}
