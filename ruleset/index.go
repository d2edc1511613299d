package ruleset

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

func (src *Source) add(r *Rule) {
	src.rules = append(src.rules, r)
	if len(r.Events) == 0 {
		src.any = append(src.any, r)
		return
	}
	glob := false
	for _, e := range r.Events {
		if expression.IsGlob(e) {
			glob = true
			continue
		}
		src.byEvent[e] = append(src.byEvent[e], r)
	}
	if glob {
		src.globs = append(src.globs, r)
	}
}

// Rules returns every rule of the source in file order.
func (src *Source) Rules() []*Rule { return src.rules }

// Candidates returns the rules whose events select the event type, in file
// order, without scanning rules indexed under other event types.
func (src *Source) Candidates(event string) []*Rule {
	exact := src.byEvent[event]
	if len(src.globs) == 0 && len(src.any) == 0 {
		return exact
	}
	out := make([]*Rule, 0, len(exact)+len(src.any)+len(src.globs))
	out = append(out, exact...)
	out = append(out, src.any...)
	for _, r := range src.globs {
		if r.MatchesEvent(event) && !contains(exact, r) {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Index < out[j].Index })
	return out
}

func contains(rs []*Rule, r *Rule) bool {
	for _, x := range rs {
		if x == r {
			return true
		}
	}
	return false
}

// MatchesEvent reports whether the rule's events select the event type.
func (r *Rule) MatchesEvent(event string) bool {
	if len(r.Events) == 0 {
		return true
	}
	for _, e := range r.Events {
		if e == event || expression.IsGlob(e) && expression.Glob(e, event) {
			return true
		}
	}
	return false
}

// Match returns the rules that fire for env, in file order. Only the
// rules indexed under the event type (and, within those, under the values
// their equalities require) are evaluated.
func (src *Source) Match(env *expression.Env) []*Rule {
	return src.MatchReporting(env, nil)
}

// MatchReporting is Match, calling onErr for each candidate whose
// condition failed at run time (a missing field, or expression.ErrBudgetExceeded
// once the event's budget is spent): it does not match.
func (src *Source) MatchReporting(env *expression.Env, onErr func(*Rule, error)) []*Rule {
	budget := expression.NewBudget(src.MatchBudget)
	env = expression.WithBudget(env, budget)
	cands := src.candidates(env, budget)
	out := cands[:0]
	for _, r := range cands {
		ok, err := r.Cond.EvalBudget(env, budget)
		if err != nil && onErr != nil {
			onErr(r, err)
		}
		if ok {
			out = append(out, r)
		}
	}
	return out
}

// candidates returns, in file order, the rules whose events select the
// event type and that the index does not rule out: the rules Match
// evaluates, in the order it evaluates them.
func (src *Source) candidates(env *expression.Env, budget *expression.Budget) []*Rule {
	var cands []*Rule
	if b := src.buckets[env.Event]; b != nil {
		cands = b.candidates(env, budget, nil)
	}
	if len(src.any) > 0 || len(src.globs) > 0 {
		cands = append(cands, src.any...)
		for _, r := range src.globs {
			if r.MatchesEvent(env.Event) && !contains(cands, r) {
				cands = append(cands, r)
			}
		}
	}
	sortByIndex(cands)
	return cands
}
