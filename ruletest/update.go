package ruletest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"go.yaml.in/yaml/v3"

	"github.com/hookrunner/hookrunner/actions"
)

// answer is what --update writes for a case.
type answer struct {
	refused string
	matched []string
	plans   map[string][]actions.Plan
}

// update rewrites the answers of every case in f (refused, match,
// no_match, actions) from what ingest and the rules decided, keeping the inputs, the order of
// keys and the comments around them: only the values of those three keys
// are replaced. no_match keeps the rules it lists that still do not match
// (it is removed when none is left); actions lists every matched rule.
// The file is replaced atomically, with its mode kept.
func update(f *testFile, answers map[*testCase]answer) error {
	for _, c := range f.cases {
		a, ok := answers[c]
		if !ok {
			continue
		}
		if a.refused != "" {
			setKey(c.node, "refused", scalar(a.refused))
		} else {
			deleteKey(c.node, "refused")
		}
		setKey(c.node, "match", strList(a.matched))
		flowShortLists(valueOf(c.node, "match"))
		if c.noMatch != nil {
			var still []string
			for _, n := range c.noMatch.names {
				if !slices.Contains(a.matched, n) {
					still = append(still, n)
				}
			}
			if len(still) == 0 {
				deleteKey(c.node, "no_match")
			} else {
				setKey(c.node, "no_match", strList(still))
				flowShortLists(valueOf(c.node, "no_match"))
			}
		}
		if len(a.matched) == 0 {
			deleteKey(c.node, "actions")
			continue
		}
		c.node.Style &^= yaml.FlowStyle // a case written {name: …} takes its plans in block style
		acts := mapping()
		for _, rule := range a.matched {
			l := seq()
			for _, p := range a.plans[rule] {
				l.Content = append(l.Content, planNode(p))
			}
			addPair(acts, rule, l)
		}
		setKey(c.node, "actions", acts)
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(f.doc); err != nil {
		return fmt.Errorf("%s: encode: %w", f.path, err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("%s: encode: %w", f.path, err)
	}
	return writeAtomic(f.path, b.Bytes())
}

func valueOf(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// setKey replaces the value of key in mapping m (its key node, with the
// comments on it, stays), or appends the pair.
func setKey(m *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			old := m.Content[i+1]
			v.LineComment, v.FootComment = old.LineComment, old.FootComment
			m.Content[i+1] = v
			return
		}
	}
	addPair(m, key, v)
}

func deleteKey(m *yaml.Node, key string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content = append(m.Content[:i], m.Content[i+2:]...)
			return
		}
	}
}

func writeAtomic(path string, data []byte) error {
	mode := os.FileMode(0o644)
	if st, err := os.Stat(path); err == nil {
		mode = st.Mode().Perm()
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("update %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing left to remove
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("update %s: %w", path, err)
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("update %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("update %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("update %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("update %s: %w", path, err)
	}
	return nil
}
