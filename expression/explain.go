package expression

import (
	"fmt"
	"strconv"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
)

// Term is one deciding part of a condition with the value it had.
type Term struct {
	Expr   string
	Result string
	// Operands shows the values of a comparison's two sides.
	Operands []string
}

func (t Term) String() string {
	s := t.Expr + "  →  " + t.Result
	for _, o := range t.Operands {
		s += "\n      " + o
	}
	return s
}

// Explain evaluates the condition's terms (the parts joined by && / || /
// not) one by one, with the values of each comparison's operands, so a
// user sees which part decided the outcome. The terms share b: once it is
// spent the remaining ones read "error: evaluation budget exceeded".
func (c *Condition) Explain(env *Env, b *Budget) []Term {
	if c == nil || c.program == nil {
		return nil
	}
	tree, err := parser.Parse(c.Source)
	if err != nil {
		return []Term{{Expr: c.Source, Result: "error: " + err.Error()}}
	}
	var out []Term
	var walk func(n ast.Node)
	walk = func(n ast.Node) {
		switch x := n.(type) {
		case *ast.BinaryNode:
			switch x.Operator {
			case "&&", "||", "and", "or":
				walk(x.Left)
				walk(x.Right)
				return
			}
			t := Term{Expr: x.String(), Result: evalString(x.String(), env, b)}
			switch x.Operator {
			case "==", "!=", "<", ">", "<=", ">=", "in", "matches", "contains", "startsWith", "endsWith", "not in":
				for _, side := range []ast.Node{x.Left, x.Right} {
					if _, lit := side.(*ast.StringNode); lit {
						continue
					}
					if _, lit := side.(*ast.IntegerNode); lit {
						continue
					}
					t.Operands = append(t.Operands, side.String()+" = "+evalString(side.String(), env, b))
				}
			}
			out = append(out, t)
		case *ast.UnaryNode:
			if x.Operator == "!" || x.Operator == "not" {
				walk(x.Node)
			}
			out = append(out, Term{Expr: x.String(), Result: evalString(x.String(), env, b)})
		default:
			out = append(out, Term{Expr: n.String(), Result: evalString(n.String(), env, b)})
		}
	}
	walk(tree.Node)
	return out
}

func evalString(src string, env *Env, b *Budget) string {
	v, err := CompileValue(src)
	if err != nil {
		return "error: " + err.Error()
	}
	out, err := v.EvalBudget(env, b)
	if err != nil {
		return "error: " + err.Error()
	}
	if s, ok := out.(string); ok {
		return strconv.Quote(s)
	}
	if out == nil {
		return "nil"
	}
	return fmt.Sprint(Stringify(out))
}
