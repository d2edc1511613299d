package config

import (
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Problems name where they are: the file, the 1-based line the YAML parser
// gives the deepest key of the path it knows, and the key path, whose list
// indexes are 0-based like a JSON path; a problem under a rule names the
// rule beside its index:
//
//	hooks.yaml:14: rules[1] (deploy-api).events[0]: empty event name

// nodeTrees holds the parsed YAML of each file of a config, keyed as
// Problem.File names it (the main file by its base name, includes by their
// path relative to the main file's folder).
type nodeTrees map[string]*yaml.Node

// add parses data as file; a file that does not parse is left out (its
// syntax error is reported on its own).
func (t nodeTrees) add(file string, data []byte) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil || len(doc.Content) == 0 {
		return
	}
	t[file] = doc.Content[0]
}

// Locate adds to each problem the line of its path and, for a path under
// rules[N], the rule's name; problems already located are left alone.
// Load, Parse and ruleset.Build return located problems.
func (c *Config) Locate(errs Errors) Errors {
	if c == nil {
		return errs
	}
	return c.trees.locate(errs)
}

var rulePrefix = regexp.MustCompile(`^rules\[(\d+)\]`)

func (t nodeTrees) locate(errs Errors) Errors {
	out := make(Errors, len(errs))
	for i, p := range errs {
		out[i] = p
		root := t[p.File]
		if root == nil || p.Path == "" {
			continue
		}
		path := p.Path
		if m := rulePrefix.FindStringSubmatch(path); m != nil {
			n, _ := strconv.Atoi(m[1])
			name := ruleName(root, n)
			rest := path[len(m[0]):]
			if name != "" && strings.HasPrefix(rest, " ("+name+")") {
				rest = rest[len(" ("+name+")"):] // already named
			}
			path = m[0] + rest
			if name != "" {
				out[i].Path = m[0] + " (" + name + ")" + rest
			}
		}
		if p.Line == 0 {
			out[i].Line = lineOf(root, path)
		}
	}
	return out
}

// ruleName is the name: of the n-th rule of the file, as written.
func ruleName(root *yaml.Node, n int) string {
	rules := child(root, "rules")
	if rules == nil || rules.Kind != yaml.SequenceNode || n >= len(rules.Content) {
		return ""
	}
	name := child(deref(rules.Content[n]), "name")
	if name == nil || name.Kind != yaml.ScalarNode {
		return ""
	}
	return name.Value
}

func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func child(n *yaml.Node, key string) *yaml.Node {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return deref(n.Content[i+1])
		}
	}
	return nil
}

// lineOf follows path ("rules[2].actions[0].shell.command[3]") as far as
// the tree goes and returns the line of the last node reached: a key's
// own line for a mapping key. Keys may hold dots (header names): the
// longest key that fits is taken.
func lineOf(root *yaml.Node, path string) int {
	n, line := deref(root), 0
	for path != "" && n != nil {
		switch {
		case strings.HasPrefix(path, "["):
			end := strings.IndexByte(path, ']')
			idx, err := strconv.Atoi(path[1:max(end, 1)])
			if end < 0 || err != nil || n.Kind != yaml.SequenceNode || idx < 0 || idx >= len(n.Content) {
				return line
			}
			n = deref(n.Content[idx])
			line = n.Line
			path = path[end+1:]
		default:
			path = strings.TrimPrefix(path, ".")
			if n.Kind != yaml.MappingNode {
				return line
			}
			var best *yaml.Node
			bestKey := -1
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i].Value
				if strings.HasPrefix(path, k) && (len(path) == len(k) || path[len(k)] == '.' || path[len(k)] == '[') && len(k) > bestKey {
					best, bestKey = n.Content[i], len(k)
				}
			}
			if best == nil {
				return line
			}
			line = best.Line
			for i := 0; i < len(n.Content); i += 2 {
				if n.Content[i] == best {
					n = deref(n.Content[i+1])
				}
			}
			path = path[bestKey:]
		}
	}
	return line
}
