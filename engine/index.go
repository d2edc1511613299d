package engine

import (
	"sort"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"

	"github.com/hookrunner/hookrunner/expression"
)

// bucket holds the rules of one (source, event type), indexed by an
// equality test their conditions require. A rule whose `if` is
// `… && payload.repository.full_name == "acme/api" && …` can only match
// when that path equals that literal, so the path is evaluated once per
// event and only the rules filed under its value are evaluated in full.
// The index is a sound pre-filter: every candidate still runs its whole
// condition.
type bucket struct {
	groups []keyGroup
	rest   []*Rule // rules without an indexable equality
}

type keyGroup struct {
	path  *expression.Value
	byLit map[string][]*Rule
}

// eqTerm is `path == "literal"` found at the top level of a condition.
type eqTerm struct{ path, lit string }

// equalities returns the top-level conjuncts of src of the form
// <member path> == "string literal" (either side).
func equalities(src string) []eqTerm {
	if src == "" {
		return nil
	}
	tree, err := parser.Parse(src)
	if err != nil {
		return nil
	}
	var out []eqTerm
	var walk func(n ast.Node)
	walk = func(n ast.Node) {
		b, ok := n.(*ast.BinaryNode)
		if !ok {
			return
		}
		switch b.Operator {
		case "&&", "and":
			walk(b.Left)
			walk(b.Right)
		case "==":
			if lit, ok := b.Right.(*ast.StringNode); ok && isPath(b.Left) {
				out = append(out, eqTerm{b.Left.String(), lit.Value})
			} else if lit, ok := b.Left.(*ast.StringNode); ok && isPath(b.Right) {
				out = append(out, eqTerm{b.Right.String(), lit.Value})
			}
		}
	}
	walk(tree.Node)
	return out
}

// isPath reports whether n is a plain variable or member chain (no calls).
func isPath(n ast.Node) bool {
	switch x := n.(type) {
	case *ast.IdentifierNode:
		return true
	case *ast.MemberNode:
		if _, ok := x.Property.(*ast.StringNode); !ok {
			return false
		}
		return isPath(x.Node)
	case *ast.ChainNode:
		return isPath(x.Node)
	}
	return false
}

// newBucket indexes rs (file order) by the most selective equality each
// rule has: the path with the most distinct literals in the bucket.
func newBucket(rs []*Rule) *bucket {
	b := &bucket{}
	terms := make([][]eqTerm, len(rs))
	distinct := map[string]map[string]bool{}
	for i, r := range rs {
		terms[i] = equalities(r.Cond.Source)
		for _, t := range terms[i] {
			if distinct[t.path] == nil {
				distinct[t.path] = map[string]bool{}
			}
			distinct[t.path][t.lit] = true
		}
	}
	groups := map[string]*keyGroup{}
	var order []string
	for i, r := range rs {
		best, bestN := eqTerm{}, 1 // a path with one literal filters nothing
		for _, t := range terms[i] {
			if n := len(distinct[t.path]); n > bestN {
				best, bestN = t, n
			}
		}
		if best.path == "" {
			b.rest = append(b.rest, r)
			continue
		}
		g := groups[best.path]
		if g == nil {
			v, err := expression.CompileValue(best.path)
			if err != nil {
				b.rest = append(b.rest, r)
				continue
			}
			g = &keyGroup{path: v, byLit: map[string][]*Rule{}}
			groups[best.path] = g
			order = append(order, best.path)
		}
		g.byLit[best.lit] = append(g.byLit[best.lit], r)
	}
	for _, p := range order {
		b.groups = append(b.groups, *groups[p])
	}
	return b
}

// candidates returns the rules of the bucket that may match env.
func (b *bucket) candidates(env *expression.Env, budget *expression.Budget, out []*Rule) []*Rule {
	for _, g := range b.groups {
		v, err := g.path.EvalBudget(env, budget) // a plain path: no steps
		if err != nil {
			continue // the equality errors, so the condition cannot hold
		}
		var key string
		switch x := v.(type) {
		case string:
			key = x
		default:
			continue // a string literal never equals a non-string
		}
		out = append(out, g.byLit[key]...)
	}
	return append(out, b.rest...)
}

// sortByIndex restores file order.
func sortByIndex(rs []*Rule) {
	if len(rs) > 1 {
		sort.Slice(rs, func(i, j int) bool { return rs[i].Index < rs[j].Index })
	}
}
