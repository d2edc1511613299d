// Package textdiff computes line-based unified diffs (Myers' O(ND)
// algorithm) of small texts such as config files. The work is bounded: a
// pair of texts that needs more than MaxEdits inserted and deleted lines
// (after their common head and tail are set aside) is reported as
// ErrTooLarge instead of diffed.
package textdiff

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// MaxEdits bounds the edit distance (lines inserted plus lines deleted)
// Unified computes; memory grows with its square, time with it times the
// length of the texts.
const MaxEdits = 1000

// ErrTooLarge means the texts differ in more than MaxEdits lines.
var ErrTooLarge = errors.New("textdiff: too many differences to show")

// Op is the kind of an edit.
type Op byte

// Edit kinds.
const (
	Equal  Op = ' '
	Delete Op = '-'
	Insert Op = '+'
)

// Edit is one line of a diff: a line of a kept (Equal), of a only
// (Delete) or of b only (Insert). Lines keep their "\n"; the last line of
// a text without a final newline has none.
type Edit struct {
	Op   Op
	Line string
}

// Lines splits text into lines, each with its "\n" (the last one without,
// when the text does not end in a newline).
func Lines(text string) []string {
	if text == "" {
		return nil
	}
	ls := strings.SplitAfter(text, "\n")
	if ls[len(ls)-1] == "" {
		ls = ls[:len(ls)-1]
	}
	return ls
}

// Diff returns the edits that turn a into b: a shortest edit script, or
// ErrTooLarge when it would be longer than maxEdits lines.
func Diff(a, b []string, maxEdits int) ([]Edit, error) {
	// The common head and tail cost nothing to find and are most of a
	// config edit.
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	out := make([]Edit, 0, len(a)+len(b))
	for _, l := range a[:pre] {
		out = append(out, Edit{Equal, l})
	}
	mid, err := myers(a[pre:len(a)-suf], b[pre:len(b)-suf], maxEdits)
	if err != nil {
		return nil, err
	}
	out = append(out, mid...)
	for _, l := range a[len(a)-suf:] {
		out = append(out, Edit{Equal, l})
	}
	return out, nil
}

// myers is Myers' greedy shortest edit script. trace[d] keeps, for every
// diagonal k in [-d, d], the furthest x reached with d edits; the script is
// read back from it.
func myers(a, b []string, maxEdits int) ([]Edit, error) {
	n, m := len(a), len(b)
	if n == 0 && m == 0 {
		return nil, nil
	}
	// Compare small integers, not strings.
	ids := map[string]int32{}
	id := func(ls []string) []int32 {
		out := make([]int32, len(ls))
		for i, l := range ls {
			v, ok := ids[l]
			if !ok {
				v = int32(len(ids))
				ids[l] = v
			}
			out[i] = v
		}
		return out
	}
	ai, bi := id(a), id(b)
	limit := n + m
	if limit > maxEdits {
		limit = maxEdits
	}
	off := n + m + 1
	v := make([]int32, 2*(n+m)+3)
	var trace [][]int32
	for d := 0; d <= limit; d++ {
		for k := -d; k <= d; k += 2 {
			var x int32
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				x = v[off+k+1] // down: insert b[y]
			} else {
				x = v[off+k-1] + 1 // right: delete a[x]
			}
			y := x - int32(k)
			for int(x) < n && int(y) < m && ai[x] == bi[y] {
				x, y = x+1, y+1
			}
			v[off+k] = x
			if int(x) >= n && int(y) >= m {
				trace = append(trace, append([]int32(nil), v[off-d:off+d+1]...))
				return backtrack(a, b, trace), nil
			}
		}
		trace = append(trace, append([]int32(nil), v[off-d:off+d+1]...))
	}
	return nil, ErrTooLarge
}

func backtrack(a, b []string, trace [][]int32) []Edit {
	var rev []Edit
	x, y := len(a), len(b)
	for d := len(trace) - 1; d > 0; d-- {
		prev := trace[d-1] // diagonals -(d-1)..d-1
		at := func(k int) int { return int(prev[k+d-1]) }
		k := x - y
		var pk int
		if k == -d || (k != d && at(k-1) < at(k+1)) {
			pk = k + 1
		} else {
			pk = k - 1
		}
		px := at(pk)
		py := px - pk
		for x > px && y > py {
			x, y = x-1, y-1
			rev = append(rev, Edit{Equal, a[x]})
		}
		if x == px {
			y--
			rev = append(rev, Edit{Insert, b[y]})
		} else {
			x--
			rev = append(rev, Edit{Delete, a[x]})
		}
	}
	for x > 0 && y > 0 {
		x, y = x-1, y-1
		rev = append(rev, Edit{Equal, a[x]})
	}
	out := make([]Edit, len(rev))
	for i, e := range rev {
		out[len(rev)-1-i] = e
	}
	return out
}

// Unified returns the unified diff of a and b with context lines of
// context around each change, headed "--- aName" and "+++ bName"; "" when
// the texts are equal, ErrTooLarge when they differ too much to diff.
func Unified(aName, bName, a, b string, context int) (string, error) {
	if a == b {
		return "", nil
	}
	edits, err := Diff(Lines(a), Lines(b), MaxEdits)
	if err != nil {
		return "", err
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "--- %s\n+++ %s\n", aName, bName)
	for _, h := range hunks(edits, context) {
		sb.WriteString(h.header())
		for _, e := range edits[h.from:h.to] {
			sb.WriteByte(byte(e.Op))
			sb.WriteString(e.Line)
			if !strings.HasSuffix(e.Line, "\n") {
				sb.WriteString("\n\\ No newline at end of file\n")
			}
		}
	}
	return sb.String(), nil
}

type hunk struct {
	from, to       int // edits[from:to]
	aStart, bStart int // 0-based line of a and b where it starts
	aLen, bLen     int
}

// header is "@@ -l,s +l,s @@" as diff -u writes it: 1-based starts, a
// count of 1 left out, an empty side starting at the line before.
func (h hunk) header() string {
	side := func(start, n int) string {
		switch n {
		case 0:
			return fmt.Sprintf("%d,0", start)
		case 1:
			return fmt.Sprintf("%d", start+1)
		}
		return fmt.Sprintf("%d,%d", start+1, n)
	}
	return fmt.Sprintf("@@ -%s +%s @@\n", side(h.aStart, h.aLen), side(h.bStart, h.bLen))
}

// hunks groups the changes of edits with context lines around them;
// changes closer than 2*context lines share a hunk.
func hunks(edits []Edit, context int) []hunk {
	var changed []int
	for i, e := range edits {
		if e.Op != Equal {
			changed = append(changed, i)
		}
	}
	var out []hunk
	for i := 0; i < len(changed); {
		from := max(changed[i]-context, 0)
		j := i
		for j+1 < len(changed) && changed[j+1]-changed[j] <= 2*context+1 {
			j++
		}
		to := min(changed[j]+context+1, len(edits))
		out = append(out, hunk{from: from, to: to})
		i = j + 1
	}
	// Line numbers: count each side up to every hunk.
	ai, bi, pos := 0, 0, 0
	for hi := range out {
		h := &out[hi]
		for ; pos < h.from; pos++ {
			ai, bi = advance(edits[pos].Op, ai, bi)
		}
		h.aStart, h.bStart = ai, bi
		for ; pos < h.to; pos++ {
			na, nb := advance(edits[pos].Op, ai, bi)
			h.aLen += na - ai
			h.bLen += nb - bi
			ai, bi = na, nb
		}
	}
	return out
}

func advance(op Op, a, b int) (int, int) {
	switch op {
	case Delete:
		return a + 1, b
	case Insert:
		return a, b + 1
	}
	return a + 1, b + 1
}

// Files diffs two sets of named files (a config revision and another):
// the unified diff of every file whose text differs, in name order, a file
// on one side only diffed against /dev/null. A file that differs too much
// to diff is reported as "Files A and B differ".
func Files(aPrefix, bPrefix string, a, b map[string]string, context int) string {
	names := map[string]bool{}
	for n := range a {
		names[n] = true
	}
	for n := range b {
		names[n] = true
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	var sb strings.Builder
	for _, n := range sorted {
		at, inA := a[n]
		bt, inB := b[n]
		an, bn := aPrefix+n, bPrefix+n
		if !inA {
			an = "/dev/null"
		}
		if !inB {
			bn = "/dev/null"
		}
		if inA && inB && at == bt {
			continue
		}
		d, err := Unified(an, bn, at, bt, context)
		if errors.Is(err, ErrTooLarge) {
			fmt.Fprintf(&sb, "Files %s and %s differ (too many changes to show)\n", an, bn)
			continue
		}
		if d == "" && inA != inB { // an empty file added or removed
			d = fmt.Sprintf("--- %s\n+++ %s\n", an, bn)
		}
		sb.WriteString(d)
	}
	return sb.String()
}
