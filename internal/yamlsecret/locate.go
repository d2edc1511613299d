package yamlsecret

import (
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxPlainLines bounds the lines a plain scalar is looked for on.
const maxPlainLines = 200

// locate finds the source of scalar n: from its position past any tag or
// anchor, to the end its style gives, read back to the same value.
func (w *walker) locate(n *yaml.Node, flow bool) (from, to int, ok bool) {
	t := w.text
	from, ok = w.offset(n.Line, n.Column)
	if !ok {
		return 0, 0, false
	}
	// Node properties (!tag, &anchor) come first.
	for from < len(t) && (t[from] == '!' || t[from] == '&') {
		for from < len(t) && !isBlank(t[from]) {
			from++
		}
		for from < len(t) && isBlank(t[from]) {
			from++
		}
	}
	var ends []int
	switch {
	case n.Style&yaml.DoubleQuotedStyle != 0:
		ends = quotedEnd(t, from, '"')
	case n.Style&yaml.SingleQuotedStyle != 0:
		ends = quotedEnd(t, from, '\'')
	case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		ends = blockEnds(t, from)
	default:
		ends = plainEnds(t, from, flow)
	}
	block := n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0
	for _, end := range ends {
		// A block scalar's last line break is its value's (it stays in the
		// text, after the replacement).
		if end > from && (readsAs(t[from:end], n.Value) || block && readsAs(t[from:end]+"\n", n.Value)) {
			return from, end, true
		}
	}
	return 0, 0, false
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// quotedEnd returns the end of the quoted scalar that opens at t[from].
func quotedEnd(t string, from int, q byte) []int {
	if from >= len(t) || t[from] != q {
		return nil
	}
	for i := from + 1; i < len(t); i++ {
		switch {
		case q == '"' && t[i] == '\\':
			i++
		case t[i] == q && q == '\'' && i+1 < len(t) && t[i+1] == '\'':
			i++ // '' is a quote inside
		case t[i] == q:
			return []int{i + 1}
		}
	}
	return nil
}

// blockEnds returns the ends a block scalar (| or >) that opens at
// t[from] may have: after its last line indented at least as its first,
// then also after the blank lines that follow (kept by "|+").
func blockEnds(t string, from int) []int {
	if from >= len(t) || (t[from] != '|' && t[from] != '>') {
		return nil
	}
	nl := strings.IndexByte(t[from:], '\n')
	if nl < 0 {
		return []int{len(t)}
	}
	i := from + nl + 1
	indent, end, blankEnd := -1, from+nl, from+nl
	for i < len(t) {
		lineEnd := strings.IndexByte(t[i:], '\n')
		if lineEnd < 0 {
			lineEnd = len(t)
		} else {
			lineEnd += i
		}
		line := strings.TrimRight(t[i:lineEnd], "\r")
		ind := len(line) - len(strings.TrimLeft(line, " "))
		if strings.TrimSpace(line) == "" {
			blankEnd = lineEnd
			i = lineEnd + 1
			continue
		}
		if indent < 0 {
			indent = ind
		}
		if ind < indent || indent == 0 {
			break
		}
		end, blankEnd = lineEnd, lineEnd
		i = lineEnd + 1
	}
	if end > len(t) {
		end = len(t)
	}
	if blankEnd > len(t) {
		blankEnd = len(t)
	}
	return []int{end, blankEnd}
}

// plainEnds returns the ends a plain scalar that starts at t[from] may
// have: the end of its text on each of the lines it may run on (a plain
// scalar may be folded over lines), nearest first.
func plainEnds(t string, from int, flow bool) []int {
	var out []int
	i := from
	for lines := 0; i < len(t) && lines < maxPlainLines; lines++ {
		end, stop := plainLineEnd(t, i, flow)
		out = append(out, end)
		if stop {
			break
		}
		nl := strings.IndexByte(t[i:], '\n')
		if nl < 0 {
			break
		}
		i += nl + 1
	}
	return out
}

// plainLineEnd returns where the plain text of the line from i ends:
// before " #", ": ", a ":" at the end of the line, a flow indicator in a
// flow collection, or the line break; trailing blanks excluded. stop says
// the scalar cannot go on past it.
func plainLineEnd(t string, i int, flow bool) (end int, stop bool) {
	j := i
	for ; j < len(t) && t[j] != '\n'; j++ {
		c := t[j]
		if c == '#' && j > i && (t[j-1] == ' ' || t[j-1] == '\t') {
			stop = true
			break
		}
		if c == ':' && (j+1 == len(t) || isBlank(t[j+1]) || (flow && strings.IndexByte(",[]{}", t[j+1]) >= 0)) {
			stop = true
			break
		}
		if flow && strings.IndexByte(",[]{}", c) >= 0 {
			stop = true
			break
		}
	}
	for j > i && (t[j-1] == ' ' || t[j-1] == '\t' || t[j-1] == '\r') {
		j--
	}
	return j, stop
}

// readsAs reports whether token, alone, is a YAML scalar of value v.
func readsAs(token, v string) bool {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(token), &doc); err != nil {
		return false
	}
	return doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 &&
		doc.Content[0].Kind == yaml.ScalarNode && doc.Content[0].Value == v
}
