package expression

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"reflect"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
)

// ErrBudgetExceeded is the error of an evaluation stopped because it used up
// its budget of steps: the condition does not match.
var ErrBudgetExceeded = errors.New("evaluation budget exceeded")

// DefaultBudget is the number of steps the conditions of one event may use
// together when the config does not say (server.match_budget). A step is
// about one VM instruction's worth of work: one loop iteration times the
// size of its body, one array element an `in` compares against, 16 bytes
// of a string an operator reads, one element of a value a builtin walks.
const DefaultBudget = 100_000

// Budget counts the steps left to the evaluations of one event. All the
// conditions of an event share one Budget; once spent, every later
// evaluation fails with ErrBudgetExceeded without running. A Budget is
// used by one goroutine at a time.
type Budget struct {
	limit, left int64
	exceeded    bool
}

// NewBudget returns a budget of steps (DefaultBudget when steps <= 0).
func NewBudget(steps int64) *Budget {
	if steps <= 0 {
		steps = DefaultBudget
	}
	return &Budget{limit: steps, left: steps}
}

// Left returns the steps not spent yet.
func (b *Budget) Left() int64 { return b.left }

// Used returns the steps spent so far.
func (b *Budget) Used() int64 { return b.limit - b.left }

// Exceeded reports whether an evaluation ran out of steps.
func (b *Budget) Exceeded() bool { return b.exceeded }

func (b *Budget) spend(n int64) error {
	if b.exceeded {
		return ErrBudgetExceeded
	}
	b.left -= n
	if b.left < 0 {
		b.left, b.exceeded = 0, true
		return ErrBudgetExceeded
	}
	return nil
}

// The metering hooks are an identifier and a function whose names contain a
// space, so no expression a user writes can name them.
const (
	meterVar = "budget meter"
	chargeFn = "budget charge"
	repeatFn = "budget repeat"
)

// repeat is `budget repeat(meter, s, n)`, expr's repeat paying for the
// string it makes before making it.
func repeat(params ...any) (any, error) {
	b, _ := params[0].(*Budget)
	s, ok := params[1].(string)
	if !ok {
		return nil, fmt.Errorf("repeat: %T is not a string", params[1])
	}
	n, ok := toInt(params[2])
	if !ok || n < 0 {
		return nil, fmt.Errorf("repeat: count %v is not a positive integer", params[2])
	}
	if b != nil {
		if n > 0 && len(s) > math.MaxInt/stringStep/n {
			return nil, b.spend(math.MaxInt64)
		}
		if err := b.spend(int64(1 + len(s)*n/stringStep)); err != nil {
			return nil, err
		}
	}
	return strings.Repeat(s, n), nil
}

func toInt(v any) (int, bool) {
	switch x := num(v).(type) {
	case int:
		return x, true
	case int64:
		return int(x), true
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int(x), true
		}
	}
	return 0, false
}

// Charge modes: what the size of a value is.
const (
	chargeLoop   = iota // elements iterated (the body's steps are the factor)
	chargeDeep          // every element and 16 bytes of string, recursively
	chargeIn            // deep for arrays, one step for a map lookup
	chargeSort          // deep size times log2 of the length
	chargeSquare        // length squared (uniq compares every pair)
	chargeBytes         // a regexp's text: its bytes times the factor (the program's size) over regexpStep
)

// stringStep is how many bytes of a string one step pays for.
const stringStep = 16

// regexpStep is how many byte-instructions of a regexp's match (its text's
// bytes times its program's instructions) one step pays for. Go's matcher
// costs at most about 8–15 ns a byte-instruction when every state of the
// program stays live ("a{100}b" on "aaa…", "[a-z]{200}!" on letters), and a
// step is about 31 ns of the other operators' work (budget_bench_test.go),
// so two byte-instructions a step prices the worst case. (A pattern that
// is one literal is no cheaper: "a{100}b" is the literal "aa…ab", and it
// cost 0.9 µs a byte of "aaa…".)
const regexpStep = 2

// builtinFactor weighs the builtins whose work per element or byte is well
// above one VM instruction (measured: see BenchmarkPathological); others
// weigh 2.
var builtinFactor = map[string]int{"toJSON": 8, "fromJSON": 16, "string": 8, "split": 4, "splitAfter": 4, "replace": 4,
	"upper": 4, "lower": 4, "sum": 4, "mean": 4, "max": 4, "min": 4, "concat": 4, "flatten": 4, "toPairs": 4, "fromPairs": 4}

// charge is `budget charge(meter, mode, factor, value)`: it spends
// factor*size(value) steps and returns value unchanged.
func charge(params ...any) (any, error) {
	b, _ := params[0].(*Budget)
	mode, _ := params[1].(int)
	factor, _ := params[2].(int)
	v := params[3]
	if b == nil {
		return v, nil
	}
	if b.exceeded {
		return nil, ErrBudgetExceeded
	}
	var n int64
	switch mode {
	case chargeLoop:
		n = int64(length(v))
	case chargeIn:
		if k := reflect.ValueOf(v).Kind(); k == reflect.Map || k == reflect.Struct || k == reflect.Pointer {
			n = 1
			break
		}
		n = deepSize(v, b.left/int64(factor)+1)
	case chargeSort:
		n = deepSize(v, b.left/int64(factor)+1) * int64(1+bits.Len(uint(length(v))))
	case chargeSquare:
		l := int64(length(v))
		n = l * l
	case chargeBytes:
		n = (int64(length(v)) + 1) * int64(factor) / regexpStep
		factor = 1
	default:
		n = deepSize(v, b.left/int64(factor)+1)
	}
	if err := b.spend(n * int64(factor)); err != nil {
		return nil, err
	}
	return v, nil
}

func length(v any) int {
	switch x := v.(type) {
	case []any:
		return len(x)
	case string:
		return len(x)
	case map[string]any:
		return len(x)
	case nil:
		return 0
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array, reflect.Map, reflect.String, reflect.Chan:
		return rv.Len()
	}
	return 0
}

// deepSize counts v's elements recursively and its strings by 16 bytes,
// stopping once the count passes max (the walk costs no more than it
// charges).
func deepSize(v any, max int64) int64 {
	var n int64
	var walk func(v any)
	walk = func(v any) {
		n++
		if n > max {
			return
		}
		switch x := v.(type) {
		case nil, bool, float64, int, int64, uint64:
		case string:
			n += int64(len(x) / stringStep)
		case []any:
			for _, e := range x {
				if walk(e); n > max {
					return
				}
			}
		case map[string]any:
			for _, e := range x {
				if walk(e); n > max {
					return
				}
			}
		default:
			rv := reflect.ValueOf(v)
			switch rv.Kind() {
			case reflect.String:
				n += int64(rv.Len() / stringStep)
			case reflect.Slice, reflect.Array:
				for i := 0; i < rv.Len() && n <= max; i++ {
					walk(rv.Index(i).Interface())
				}
			case reflect.Map:
				it := rv.MapRange()
				for it.Next() && n <= max {
					walk(it.Value().Interface())
				}
			}
		}
	}
	walk(v)
	return n
}

// meter is the patcher that makes every expression pay for its work: a
// predicate builtin (any, all, filter, map, count, reduce, groupBy,
// sortBy, ...) pays its collection's length times its body's size before
// it iterates; an operator or builtin whose cost grows with its operands
// (in, contains, ==, +, sort, ...) pays their size before it runs; a
// regexp pays its text's length times its program's size; replace, join,
// trim and toJSON pay for what they make (budget_ops.go); a range pays
// its length. Nested loops pay at each level as they run, so the steps
// bound the work however the parts are nested. A meter serves one
// compilation: err is what it refused (a regexp above MaxRegexpInsts).
type meter struct{ err error }

func (m *meter) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.BuiltinNode:
		if len(n.Arguments) >= 2 {
			if p, ok := n.Arguments[1].(*ast.PredicateNode); ok {
				body := int(nodeCount(p.Node)) + 1
				if n.Name == "sortBy" {
					n.Arguments[0] = chargeNode(chargeSort, body, n.Arguments[0])
				} else {
					n.Arguments[0] = chargeNode(chargeLoop, body, n.Arguments[0])
				}
				return
			}
		}
		if cheapBuiltins[n.Name] {
			return
		}
		if n.Name == "repeat" && len(n.Arguments) == 2 {
			*node = &ast.CallNode{Callee: &ast.IdentifierNode{Value: repeatFn},
				Arguments: []ast.Node{&ast.IdentifierNode{Value: meterVar}, n.Arguments[0], n.Arguments[1]}}
			return
		}
		if _, ok := costedBuiltins[n.Name]; ok && costedTypesOK(n) {
			*node = &ast.CallNode{Callee: &ast.IdentifierNode{Value: costedFn(n.Name)},
				Arguments: append([]ast.Node{&ast.IdentifierNode{Value: meterVar}}, n.Arguments...)}
			return
		}
		mode, factor := chargeDeep, 2
		if f, ok := builtinFactor[n.Name]; ok {
			factor = f
		}
		switch n.Name {
		case "sort", "median":
			mode = chargeSort
		case "uniq":
			mode = chargeSquare
		}
		for i, a := range n.Arguments {
			if sized(a) {
				n.Arguments[i] = chargeNode(mode, factor, a)
			}
		}
	case *ast.BinaryNode:
		switch n.Operator {
		case "..":
			if !literal(n.Left) || !literal(n.Right) {
				*node = chargeNode(chargeLoop, 1, n)
			}
		case "in":
			if sized(n.Left) {
				n.Left = chargeNode(chargeDeep, 1, n.Left)
			}
			if sized(n.Right) {
				n.Right = chargeNode(chargeIn, 1, n.Right)
			}
		case "matches":
			m.visitMatches(node, n)
		case "==", "!=", "<", ">", "<=", ">=", "+", "contains", "startsWith", "endsWith":
			if sized(n.Left) {
				n.Left = chargeNode(chargeDeep, 1, n.Left)
			}
			if sized(n.Right) {
				n.Right = chargeNode(chargeDeep, 1, n.Right)
			}
		}
	}
}

// visitMatches prices `text matches pattern`. A pattern written in the
// expression is compiled here, refused above MaxRegexpInsts, and its size
// becomes the factor of the text's charge (expr compiles it once, at
// load); any other pattern is matched by `budget matches`, which compiles
// and prices it at run time.
func (m *meter) visitMatches(node *ast.Node, n *ast.BinaryNode) {
	if lit, ok := n.Right.(*ast.StringNode); ok {
		insts, err := regexpProgram(lit.Value)
		if err != nil {
			if m.err == nil {
				m.err = err
			}
			return
		}
		if sized(n.Left) {
			n.Left = chargeNode(chargeBytes, int(insts), n.Left)
		}
		return
	}
	if !stringish(n.Left) || !stringish(n.Right) {
		return // the checker refuses it
	}
	*node = &ast.CallNode{Callee: &ast.IdentifierNode{Value: matchFn},
		Arguments: []ast.Node{&ast.IdentifierNode{Value: meterVar}, n.Left, n.Right}}
}

// costedTypesOK reports whether the checker may accept n's arguments; when
// it cannot, the builtin stays as written so that the checker refuses it.
func costedTypesOK(n *ast.BuiltinNode) bool {
	for i, a := range n.Arguments {
		switch {
		case n.Name == "toJSON":
		case n.Name == "join" && i == 0:
			if t := a.Type(); t != nil && t.Kind() != reflect.Slice && t.Kind() != reflect.Array && t.Kind() != reflect.Interface {
				return false
			}
		case n.Name == "replace" && i == 3:
		default:
			if !stringish(a) {
				return false
			}
		}
	}
	return true
}

// cheapBuiltins cost the same whatever the size of their arguments.
var cheapBuiltins = map[string]bool{"len": true, "first": true, "last": true, "get": true, "type": true,
	"abs": true, "int": true, "float": true, "round": true, "ceil": true, "floor": true, "now": true, "duration": true}

func chargeNode(mode, factor int, n ast.Node) ast.Node {
	return &ast.CallNode{
		Callee:    &ast.IdentifierNode{Value: chargeFn},
		Arguments: []ast.Node{&ast.IdentifierNode{Value: meterVar}, &ast.IntegerNode{Value: mode}, &ast.IntegerNode{Value: factor}, n},
	}
}

// sized reports whether n's value may be large: not a literal, and not of a
// fixed-size type as far as the checker knows.
func sized(n ast.Node) bool {
	if literal(n) {
		return false
	}
	if t := n.Type(); t != nil {
		switch t.Kind() {
		case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
			return false
		}
	}
	return true
}

// literal reports whether n is written out in the expression (its size is
// bounded by the expression's, which MaxNodes bounds).
func literal(n ast.Node) bool {
	switch x := n.(type) {
	case *ast.StringNode, *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.NilNode, *ast.ConstantNode:
		return true
	case *ast.ArrayNode:
		for _, e := range x.Nodes {
			if !literal(e) {
				return false
			}
		}
		return true
	case *ast.UnaryNode:
		return literal(x.Node)
	}
	return false
}

// nodeCount counts the nodes of n as written: the metering calls the
// patcher added (already in place below n) count only their argument.
func nodeCount(n ast.Node) int64 {
	var c counter
	ast.Walk(&n, &c)
	return int64(c)
}

type counter int64

func (c *counter) Visit(node *ast.Node) {
	*c++
	if call, ok := (*node).(*ast.CallNode); ok {
		if id, ok := call.Callee.(*ast.IdentifierNode); ok && strings.HasPrefix(id.Value, "budget ") {
			if id.Value == chargeFn {
				*c -= 5 // the call, its callee, the meter and the two constants
			} else {
				*c -= 2 // the callee and the meter
			}
		}
	}
}

// meterOptions install the metering m does in a compiled program.
func meterOptions(m *meter) []expr.Option {
	return append([]expr.Option{expr.Patch(m), expr.Function(chargeFn, charge), expr.Function(repeatFn, repeat)}, costedOptions()...)
}

// isBudgetErr reports whether a run stopped on a budget: ours, or the VM's
// own memory budget (huge ranges, repeat).
func isBudgetErr(err error) bool {
	return errors.Is(err, ErrBudgetExceeded) || strings.Contains(err.Error(), "memory budget exceeded")
}
