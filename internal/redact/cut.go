package redact

import (
	"regexp"
	"sort"
	"strings"
)

// Output is often cut to a limit before it is shown (the tail of a
// command's output, the first 300 bytes of an HTTP answer), and a cut may
// fall inside a secret: what is left of it is no whole form, and the
// replacer misses it. Where the sender of a payload chooses the length of
// what comes before, it chooses where the cut falls and can read a secret
// piece by piece. So at each edge of a cut, what is left of a known form
// (a prefix before the edge, a suffix after it) of at least edgeMin bytes
// is masked too.

// cutMarkRe is the note a cut tail starts with (actions.TailBuffer).
var cutMarkRe = regexp.MustCompile(`\[… \d+ bytes cut …\]\n`)

// cutEnd marks the end of a cut head (actions' firstLine, the console).
const cutEnd = "…"

// edgeMin is the shortest piece of a secret masked at a cut edge. Shorter
// pieces are left: masking every 1- or 2-letter match would mark most
// cuts with a mask that hides nothing anyone can use.
const edgeMin = 3

// cutEdges masks the pieces of known forms at the edges of cuts in s.
func (r *Redactor) cutEdges(s string) string {
	if r == nil || len(r.forms) == 0 {
		return s
	}
	type span struct{ from, to int }
	var spans []span
	marks := cutMarkRe.FindAllStringIndex(s, -1)
	inMark := func(i int) bool {
		for _, m := range marks {
			if i >= m[0] && i < m[1] {
				return true
			}
		}
		return false
	}
	for _, m := range marks {
		if k := r.pieceAfter(s[m[1]:]); k > 0 {
			spans = append(spans, span{m[1], m[1] + k})
		}
	}
	for i := 0; ; {
		j := strings.Index(s[i:], cutEnd)
		if j < 0 {
			break
		}
		q := i + j
		if !inMark(q) {
			if k := r.pieceBefore(s[:q]); k > 0 {
				spans = append(spans, span{q - k, q})
			}
		}
		i = q + len(cutEnd)
	}
	if len(spans) == 0 {
		return s
	}
	sort.Slice(spans, func(a, b int) bool { return spans[a].from < spans[b].from })
	var b strings.Builder
	last := 0
	for _, sp := range spans {
		if sp.from < last {
			sp.from = last
		}
		if sp.to <= sp.from {
			continue
		}
		b.WriteString(s[last:sp.from])
		b.WriteString(Mask)
		last = sp.to
	}
	b.WriteString(s[last:])
	return b.String()
}

// pieceAfter is the length of the longest start of t that is a proper
// suffix of a known form (0 when shorter than edgeMin).
func (r *Redactor) pieceAfter(t string) int {
	best := 0
	for _, f := range r.forms {
		for k := min(len(f)-1, len(t)); k >= edgeMin && k > best; k-- {
			if f[len(f)-k:] == t[:k] {
				best = k
				break
			}
		}
	}
	return best
}

// pieceBefore is the length of the longest end of t that is a proper
// prefix of a known form (0 when shorter than edgeMin).
func (r *Redactor) pieceBefore(t string) int {
	best := 0
	for _, f := range r.forms {
		for k := min(len(f)-1, len(t)); k >= edgeMin && k > best; k-- {
			if f[:k] == t[len(t)-k:] {
				best = k
				break
			}
		}
	}
	return best
}
