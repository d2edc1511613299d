package yamlsecret

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Scalar is one scalar of a YAML text: a mapping key, a mapping value or
// a list item.
type Scalar struct {
	// Key is the mapping key the scalar is the value of, or whose list it
	// is in; for a key, the key itself.
	Key   string
	IsKey bool
	Value string
	// Line and Column (1-based) are where its source starts.
	Line, Column int
}

// Rewrite returns text with the source of every scalar for which repl
// returns true replaced by the token it returns (a YAML scalar, e.g.
// Quote(v)). The source of a scalar is found from the position the parser
// gives and the scalar's style, and read back: it fails when text does not
// parse, or when a scalar to replace cannot be located exactly (it then
// names its line and column).
func Rewrite(text string, repl func(Scalar) (string, bool)) (string, error) {
	w := &walker{text: text, repl: repl, lines: lineStarts(text)}
	dec := yaml.NewDecoder(strings.NewReader(text))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", fmt.Errorf("YAML: %w", err)
		}
		if err := w.walk(&doc, "", false); err != nil {
			return "", err
		}
	}
	if len(w.edits) == 0 {
		return text, nil
	}
	sort.Slice(w.edits, func(i, j int) bool { return w.edits[i].from < w.edits[j].from })
	var b strings.Builder
	last := 0
	for _, e := range w.edits {
		if e.from < last {
			return "", fmt.Errorf("line %d: overlapping scalars", e.line)
		}
		b.WriteString(text[last:e.from])
		b.WriteString(e.token)
		last = e.to
	}
	b.WriteString(text[last:])
	return b.String(), nil
}

// Quote returns v as a double-quoted YAML scalar (JSON's string syntax,
// which YAML reads the same, on one line).
func Quote(v string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return strings.TrimSuffix(b.String(), "\n")
}

type edit struct {
	from, to, line int
	token          string
}

type walker struct {
	text  string
	lines []int
	repl  func(Scalar) (string, bool)
	edits []edit
}

func (w *walker) walk(n *yaml.Node, key string, flow bool) error {
	flow = flow || n.Style&yaml.FlowStyle != 0
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for _, c := range n.Content {
			if err := w.walk(c, key, flow); err != nil {
				return err
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind == yaml.ScalarNode {
				if err := w.scalar(k, k.Value, true, flow); err != nil {
					return err
				}
			}
			if err := w.walk(v, k.Value, flow); err != nil {
				return err
			}
		}
	case yaml.ScalarNode:
		return w.scalar(n, key, false, flow)
	}
	return nil
}

func (w *walker) scalar(n *yaml.Node, key string, isKey, flow bool) error {
	token, ok := w.repl(Scalar{Key: key, IsKey: isKey, Value: n.Value, Line: n.Line, Column: n.Column})
	if !ok {
		return nil
	}
	from, to, found := w.locate(n, flow)
	if !found {
		return fmt.Errorf("line %d column %d: the source of this %s scalar cannot be located", n.Line, n.Column, styleName(n.Style))
	}
	w.edits = append(w.edits, edit{from: from, to: to, line: n.Line, token: token})
	return nil
}

func styleName(s yaml.Style) string {
	switch {
	case s&yaml.DoubleQuotedStyle != 0:
		return "double-quoted"
	case s&yaml.SingleQuotedStyle != 0:
		return "single-quoted"
	case s&yaml.LiteralStyle != 0:
		return "literal block"
	case s&yaml.FoldedStyle != 0:
		return "folded block"
	}
	return "plain"
}

// lineStarts returns the byte offset of every line of text.
func lineStarts(text string) []int {
	out := []int{0}
	for i := 0; i < len(text); i++ {
		if text[i] == '\n' {
			out = append(out, i+1)
		}
	}
	return out
}

// offset turns the parser's 1-based line and column (in characters) into
// a byte offset.
func (w *walker) offset(line, col int) (int, bool) {
	if line < 1 || line > len(w.lines) || col < 1 {
		return 0, false
	}
	off := w.lines[line-1]
	for c := 1; c < col; c++ {
		if off >= len(w.text) || w.text[off] == '\n' {
			return 0, false
		}
		_, size := utf8.DecodeRuneInString(w.text[off:])
		off += size
	}
	return off, true
}
