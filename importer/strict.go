package importer

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// shape describes what one node of a foreign config may hold. Importers
// check a whole document against its shape before converting anything, so a
// misspelt or misplaced key is an error naming its path instead of a setting
// silently dropped (which, for a trigger rule, would open the hook).
type shape struct {
	kind   yaml.Kind         // yaml.MappingNode, yaml.SequenceNode or yaml.ScalarNode
	fields map[string]*shape // mapping: the accepted keys
	elem   *shape            // sequence: the shape of every element
	// scalar: the accepted values (any when empty), and what one is called
	// in messages ("match type").
	values []string
	what   string
	// mapping: the key whose value selects a variant, the variants by that
	// value, and whether the key must be present.
	tag         string
	tagRequired bool
	variants    map[string]variant
	// mapping: exactly one of its keys must be set (a rule is one of
	// and/or/not/match).
	exactlyOne bool
	// sequence: an empty list is refused with this reason.
	nonEmpty string
}

// variant narrows a mapping's keys for one value of its tag key: a key the
// variant does not use is refused too, since it is most often a value put
// under the wrong name (`secret` on a `value` match).
type variant struct {
	keys     []string // the keys this variant uses; nil: every field
	required []string
}

func mapping(fields map[string]*shape) *shape { return &shape{kind: yaml.MappingNode, fields: fields} }
func list(elem *shape) *shape                 { return &shape{kind: yaml.SequenceNode, elem: elem} }
func scalar() *shape                          { return &shape{kind: yaml.ScalarNode} }
func oneOf(what string, values ...string) *shape {
	return &shape{kind: yaml.ScalarNode, what: what, values: values}
}

// problem is one place where a document does not fit its shape.
type problem struct {
	path string // dotted key path, "" for the document root
	msg  string
	line int
}

func (p problem) String() string {
	s := p.msg
	if p.path != "" {
		s = p.path + ": " + s
	}
	if p.line > 0 {
		s += fmt.Sprintf(" [line %d]", p.line)
	}
	return s
}

// resolve follows YAML aliases.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return "a single value"
	}
	return "something else"
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// mappingPairs returns the key/value pairs of a mapping with YAML merge keys
// (`<<: *base`) expanded; explicit keys win over merged ones.
func mappingPairs(n *yaml.Node) (pairs [][2]*yaml.Node, merged [][2]*yaml.Node) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Value == "<<" && k.Tag == "!!merge" {
			v = resolve(v)
			var srcs []*yaml.Node
			if v.Kind == yaml.SequenceNode {
				for _, s := range v.Content {
					srcs = append(srcs, resolve(s))
				}
			} else {
				srcs = []*yaml.Node{v}
			}
			for _, s := range srcs {
				if s != nil && s.Kind == yaml.MappingNode {
					p, m := mappingPairs(s)
					merged = append(merged, p...)
					merged = append(merged, m...)
				}
			}
			continue
		}
		pairs = append(pairs, [2]*yaml.Node{k, v})
	}
	return pairs, merged
}

// check reports every place where n does not fit s. A null is accepted
// anywhere (the key is then as good as absent).
func check(n *yaml.Node, s *shape, path string) []problem {
	n = resolve(n)
	if isNull(n) || s == nil {
		return nil
	}
	if n.Kind != s.kind {
		return []problem{{path, fmt.Sprintf("expected %s, got %s", kindName(s.kind), kindName(n.Kind)), n.Line}}
	}
	var out []problem
	switch s.kind {
	case yaml.ScalarNode:
		if len(s.values) > 0 && !slices.Contains(s.values, n.Value) {
			msg := fmt.Sprintf("unknown %s %q", s.what, n.Value)
			out = append(out, problem{path, msg + hint(n.Value, s.values), n.Line})
		}
	case yaml.SequenceNode:
		if len(n.Content) == 0 && s.nonEmpty != "" {
			out = append(out, problem{path, "empty list: " + s.nonEmpty, n.Line})
		}
		for i, e := range n.Content {
			out = append(out, check(e, s.elem, fmt.Sprintf("%s[%d]", path, i))...)
		}
	case yaml.MappingNode:
		pairs, merged := mappingPairs(n)
		known := make([]string, 0, len(s.fields))
		for k := range s.fields {
			known = append(known, k)
		}
		sort.Strings(known)
		seen := map[string]bool{}
		unknown := false
		present := map[string]*yaml.Node{}
		for i, kv := range append(pairs, merged...) {
			k, v := kv[0], kv[1]
			explicit := i < len(pairs)
			if explicit && seen[k.Value] {
				out = append(out, problem{path, fmt.Sprintf("duplicate key %q", k.Value), k.Line})
				continue
			}
			if !explicit && seen[k.Value] {
				continue // overridden by an explicit key
			}
			seen[k.Value] = true
			fs, ok := s.fields[k.Value]
			if !ok {
				out = append(out, problem{path, fmt.Sprintf("unknown key %q", k.Value) + hint(k.Value, known), k.Line})
				unknown = true
				continue
			}
			if !isNull(resolve(v)) {
				present[k.Value] = k
			}
			out = append(out, check(v, fs, join(path, k.Value))...)
		}
		if unknown {
			// What the mapping lacks follows from the unknown key; say
			// that one only.
			return out
		}
		out = append(out, s.checkVariant(n, present, path)...)
		if s.exactlyOne && len(present) != 1 {
			keys := make([]string, 0, len(present))
			for k := range present {
				keys = append(keys, strconv.Quote(k))
			}
			sort.Strings(keys)
			if len(keys) == 0 {
				out = append(out, problem{path, "empty: needs exactly one of " + strings.Join(known, ", "), n.Line})
			} else {
				out = append(out, problem{path, "has " + strings.Join(keys, " and ") + " together: needs exactly one of " + strings.Join(known, ", ") +
					" (the others would be silently ignored)", n.Line})
			}
		}
	}
	return out
}

// checkVariant applies the variant selected by the tag key.
func (s *shape) checkVariant(n *yaml.Node, present map[string]*yaml.Node, path string) []problem {
	if s.tag == "" {
		return nil
	}
	tk, ok := present[s.tag]
	if !ok {
		if s.tagRequired {
			return []problem{{path, fmt.Sprintf("missing key %q", s.tag), n.Line}}
		}
		return nil
	}
	tagValue := ""
	pairs, merged := mappingPairs(n)
	for _, kv := range append(pairs, merged...) {
		if kv[0] == tk {
			tagValue = resolve(kv[1]).Value
		}
	}
	v, ok := s.variants[tagValue]
	if !ok {
		return nil // an unknown tag value is reported by the tag's own shape
	}
	var out []problem
	var missing []string
	for _, r := range v.required {
		if _, ok := present[r]; !ok {
			missing = append(missing, r)
		}
	}
	if v.keys != nil {
		keys := make([]string, 0, len(present))
		for k := range present {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if k != s.tag && !slices.Contains(v.keys, k) {
				h := hint(k, v.keys)
				if len(missing) == 1 {
					// Most likely the value meant for the missing key.
					h = fmt.Sprintf(" (did you mean %q?)", missing[0])
				}
				out = append(out, problem{path, fmt.Sprintf("key %q is not used by %s %q", k, s.fields[s.tag].what, tagValue) + h, present[k].Line})
			}
		}
	}
	for _, r := range missing {
		out = append(out, problem{path, fmt.Sprintf("%s %q needs key %q", s.fields[s.tag].what, tagValue, r), n.Line})
	}
	return out
}

// hint is the " (did you mean ...?)" suffix for an unknown name, or the list
// of accepted names when none is close.
func hint(got string, known []string) string {
	if best := suggest(got, known); best != "" {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	if len(known) == 0 {
		return ""
	}
	return " (accepted: " + strings.Join(known, ", ") + ")"
}

// suggest returns the accepted name closest to got, or "" when none is
// close. Case, '_' versus '-' and one transposition count as small slips.
func suggest(got string, known []string) string {
	norm := func(s string) string {
		return strings.NewReplacer("_", "-", " ", "-").Replace(strings.ToLower(s))
	}
	g := norm(got)
	best, bestD := "", -1
	for _, k := range known {
		d := osaDistance(g, norm(k))
		if bestD < 0 || d < bestD {
			best, bestD = k, d
		}
	}
	if bestD < 0 || bestD > max(2, len(g)/3) {
		return ""
	}
	return best
}

// osaDistance is the optimal string alignment distance: insertions,
// deletions, substitutions and transpositions of neighbours each cost one.
func osaDistance(a, b string) int {
	x, y := []rune(a), []rune(b)
	d := make([][]int, len(x)+1)
	for i := range d {
		d[i] = make([]int, len(y)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(x); i++ {
		for j := 1; j <= len(y); j++ {
			cost := 1
			if x[i-1] == y[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && x[i-1] == y[j-2] && x[i-2] == y[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(x)][len(y)]
}
