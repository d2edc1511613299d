package expression

import (
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm/runtime"
)

// Numbers of a payload (see payload.Decode) are exact:
//
//   - an integer that fits int64 is an int64;
//   - a larger positive integer that fits uint64 is a uint64;
//   - any other number (a fraction, an exponent, an integer beyond uint64)
//     is a json.Number holding the text as it was sent ("10.50").
//
// Templates and toJSON print each as it was sent (Stringify, jsonValue,
// json.Number's own marshalling). expr does not know uint64 above int64 or
// json.Number as numbers, so the numbers patcher below routes the
// operators and builtins that read numbers through functions that do:
// comparisons are exact between integers (int64 and uint64 alike) and
// between an integer and a float64; a json.Number compares, and takes
// part in arithmetic, as the float64 nearest to its text (10.50 == 10.5).
// The functions' names hold a space, so no expression can call them.
const (
	eqFn   = "number eq"
	neFn   = "number ne"
	ltFn   = "number lt"
	gtFn   = "number gt"
	leFn   = "number le"
	geFn   = "number ge"
	inFn   = "number in"
	numFn  = "number num"
	numsFn = "number nums"
)

type numKind uint8

const (
	notNum   numKind = iota
	intNum           // i holds it
	uintNum          // u holds it, above math.MaxInt64
	floatNum         // f holds it
)

// number classifies v as a number and returns its value.
func number(v any) (k numKind, i int64, u uint64, f float64) {
	switch x := v.(type) {
	case int64:
		return intNum, x, 0, 0
	case int:
		return intNum, int64(x), 0, 0
	case float64:
		return floatNum, 0, 0, x
	case uint64:
		if x > math.MaxInt64 {
			return uintNum, 0, x, 0
		}
		return intNum, int64(x), 0, 0
	case json.Number:
		s := string(x)
		if !strings.ContainsAny(s, ".eE") {
			if n, err := strconv.ParseInt(s, 10, 64); err == nil {
				return intNum, n, 0, 0
			}
			if n, err := strconv.ParseUint(s, 10, 64); err == nil {
				return uintNum, 0, n, 0
			}
		}
		fl, err := strconv.ParseFloat(s, 64)
		if err != nil && !isRangeErr(err) {
			return notNum, 0, 0, 0
		}
		return floatNum, 0, 0, fl
	case int8:
		return intNum, int64(x), 0, 0
	case int16:
		return intNum, int64(x), 0, 0
	case int32:
		return intNum, int64(x), 0, 0
	case uint:
		return number(uint64(x))
	case uint8:
		return intNum, int64(x), 0, 0
	case uint16:
		return intNum, int64(x), 0, 0
	case uint32:
		return intNum, int64(x), 0, 0
	case float32:
		return floatNum, 0, 0, float64(x)
	}
	return notNum, 0, 0, 0
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// unordered is compareNumbers' answer when a side is NaN.
const unordered = 2

// compareNumbers compares a and b when both are numbers: -1, 0, +1, or
// unordered. Integers compare exactly, whatever their Go types; an integer
// and a float64 compare exactly too (no rounding of the integer).
func compareNumbers(a, b any) (int, bool) {
	ka, ia, ua, fa := number(a)
	if ka == notNum {
		return 0, false
	}
	kb, ib, ub, fb := number(b)
	if kb == notNum {
		return 0, false
	}
	switch {
	case ka == intNum && kb == intNum:
		return cmp3(ia < ib, ia > ib), true
	case ka == uintNum && kb == uintNum:
		return cmp3(ua < ub, ua > ub), true
	case ka == intNum && kb == uintNum:
		return -1, true
	case ka == uintNum && kb == intNum:
		return 1, true
	case ka == floatNum && kb == floatNum:
		if fa != fa || fb != fb {
			return unordered, true
		}
		return cmp3(fa < fb, fa > fb), true
	case ka == floatNum:
		c := compareIntFloat(ib, ub, kb == uintNum, fa)
		if c == unordered {
			return c, true
		}
		return -c, true
	default:
		return compareIntFloat(ia, ua, ka == uintNum, fb), true
	}
}

// compareIntFloat compares the integer (i, or u when isU) with f exactly.
func compareIntFloat(i int64, u uint64, isU bool, f float64) int {
	switch {
	case f != f:
		return unordered
	case f >= 1<<64:
		return -1
	case f < -(1 << 63):
		return 1
	}
	t := math.Trunc(f)
	frac := f - t // sign of the part below the integer
	var c int
	if isU || t >= 1<<63 {
		if !isU { // i <= MaxInt64 < t
			return -1
		}
		if t < 1<<63 { // u > MaxInt64 > t
			return 1
		}
		tu := uint64(t)
		c = cmp3(u < tu, u > tu)
	} else {
		ti := int64(t)
		c = cmp3(i < ti, i > ti)
	}
	if c != 0 {
		return c
	}
	return cmp3(frac > 0, frac < 0)
}

func cmp3(less, more bool) int {
	switch {
	case less:
		return -1
	case more:
		return 1
	}
	return 0
}

// equal is == with numbers compared by value (see compareNumbers), also
// inside lists and maps; anything else as expr compares it.
func equal(a, b any) bool {
	if c, ok := compareNumbers(a, b); ok {
		return c == 0
	}
	switch x := a.(type) {
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			break
		}
		for i := range x {
			if !equal(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			break
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !equal(v, w) {
				return false
			}
		}
		return true
	}
	return runtime.Equal(a, b)
}

func eqFunc(p ...any) (any, error) { return equal(p[0], p[1]), nil }
func neFunc(p ...any) (any, error) { return !equal(p[0], p[1]), nil }

// order returns the function of an ordering operator: numbers by value,
// anything else (strings, times) as expr orders it.
func order(want func(int) bool, fallback func(a, b any) bool) func(p ...any) (any, error) {
	return func(p ...any) (any, error) {
		if c, ok := compareNumbers(p[0], p[1]); ok {
			return c != unordered && want(c), nil
		}
		return fallback(p[0], p[1]), nil
	}
}

// inFunc is `in` with list elements compared by equal.
func inFunc(p ...any) (any, error) {
	switch hay := p[1].(type) {
	case []any:
		for _, e := range hay {
			if equal(p[0], e) {
				return true, nil
			}
		}
		return false, nil
	case nil:
		return false, nil
	}
	rv := reflect.ValueOf(p[1])
	if k := rv.Kind(); k == reflect.Slice || k == reflect.Array {
		for i := 0; i < rv.Len(); i++ {
			if equal(p[0], rv.Index(i).Interface()) {
				return true, nil
			}
		}
		return false, nil
	}
	return runtime.In(p[0], p[1]), nil
}

// num turns a number expr does not compute with (a json.Number, a uint64
// above int64) into the int64 or float64 it stands for; anything else is
// returned as is.
func num(v any) any {
	switch x := v.(type) {
	case json.Number:
		switch k, i, _, f := number(x); k {
		case intNum:
			return i
		case floatNum:
			return f
		case uintNum:
			fl, _ := strconv.ParseFloat(string(x), 64)
			return fl
		}
	case uint64:
		if x > math.MaxInt64 {
			return float64(x)
		}
	}
	return v
}

func numFunc(p ...any) (any, error) { return num(p[0]), nil }

// nums is num applied to v and, when v is a list, to its elements (and
// theirs): the list is copied only when one of them changes. The builtins
// it feeds (sum, max, sort, ...) pay for its walk (see meter).
func nums(v any) any {
	l, ok := v.([]any)
	if !ok {
		return num(v)
	}
	var out []any
	for i, e := range l {
		n := nums(e)
		if out == nil {
			if sameValue(n, e) {
				continue
			}
			out = make([]any, len(l))
			copy(out, l[:i])
		}
		out[i] = n
	}
	if out == nil {
		return v
	}
	return out
}

// sameValue reports whether nums left e unchanged (nums returns its own
// argument for anything it does not convert).
func sameValue(n, e any) bool {
	switch e.(type) {
	case json.Number, uint64:
		return false
	case []any:
		nl, _ := n.([]any)
		el := e.([]any)
		return len(nl) == len(el) && (len(el) == 0 || &nl[0] == &el[0])
	}
	return true
}

func numsFunc(p ...any) (any, error) { return nums(p[0]), nil }

// numberOptions install the number functions and the patcher that calls
// them. It must run after meter, so the values it converts are paid for.
func numberOptions() []expr.Option {
	// No types: a call typed bool would not have its operands checked
	// again after the patch (expr keeps a call's type once set), and an
	// unknown name in them would compile.
	return []expr.Option{
		expr.Function(eqFn, eqFunc),
		expr.Function(neFn, neFunc),
		expr.Function(ltFn, order(func(c int) bool { return c < 0 }, runtime.Less)),
		expr.Function(gtFn, order(func(c int) bool { return c > 0 }, runtime.More)),
		expr.Function(leFn, order(func(c int) bool { return c <= 0 }, runtime.LessOrEqual)),
		expr.Function(geFn, order(func(c int) bool { return c >= 0 }, runtime.MoreOrEqual)),
		expr.Function(inFn, inFunc),
		expr.Function(numFn, numFunc),
		expr.Function(numsFn, numsFunc),
		expr.Patch(numbers{}),
	}
}

// numbers is the patcher that makes expr read payload numbers by value:
// a comparison or `in` with an operand of unknown type calls the
// functions above, arithmetic and the numeric builtins get their unknown
// operands through num (lists through nums).
type numbers struct{}

var compareFns = map[string]string{"==": eqFn, "!=": neFn, "<": ltFn, ">": gtFn, "<=": leFn, ">=": geFn}

func (numbers) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.BinaryNode:
		if fn, ok := compareFns[n.Operator]; ok {
			// == and != also compare lists and maps holding numbers.
			may := numeric
			if n.Operator == "==" || n.Operator == "!=" {
				may = composite
			}
			if may(n.Left) && may(n.Right) && (dynamic(n.Left) || dynamic(n.Right)) {
				patchCall(node, fn, n.Left, n.Right)
			}
			return
		}
		switch n.Operator {
		case "in":
			if numeric(n.Left) && (dynamic(n.Left) || dynamic(n.Right)) && listLike(n.Right) {
				patchCall(node, inFn, n.Left, n.Right)
			}
		case "+", "-", "*", "/", "%", "**", "^":
			if numeric(n.Left) && numeric(n.Right) {
				n.Left, n.Right = wrap(numFn, n.Left), wrap(numFn, n.Right)
			}
		}
	case *ast.UnaryNode:
		if n.Operator == "-" || n.Operator == "+" {
			n.Node = wrap(numFn, n.Node)
		}
	case *ast.BuiltinNode:
		switch n.Name {
		case "abs", "ceil", "floor", "round", "int", "float", "type":
			for i := range n.Arguments {
				n.Arguments[i] = wrap(numFn, n.Arguments[i])
			}
		case "max", "min", "sum", "mean", "median", "sort", "sortBy":
			for i, a := range n.Arguments {
				if p, ok := a.(*ast.PredicateNode); ok {
					p.Node = wrap(numFn, p.Node)
					continue
				}
				if i == 0 || n.Name == "max" || n.Name == "min" {
					n.Arguments[i] = wrap(numsFn, a)
				}
			}
		}
	}
}

// patchCall replaces node with a call of fn(l, r).
func patchCall(node *ast.Node, fn string, l, r ast.Node) {
	call := &ast.CallNode{Callee: &ast.IdentifierNode{Value: fn}, Arguments: []ast.Node{l, r}}
	// Not ast.Patch: it would keep the operator's type on the call, and
	// the checker would then skip checking the operands (unknown names).
	call.SetLocation((*node).Location())
	*node = call
}

// wrap returns fn(n) when n's type is unknown, n itself otherwise.
func wrap(fn string, n ast.Node) ast.Node {
	if !dynamic(n) {
		return n
	}
	return &ast.CallNode{Callee: &ast.IdentifierNode{Value: fn}, Arguments: []ast.Node{n}}
}

// dynamic reports whether n's type is known only when it runs (a payload
// field, a function's result).
func dynamic(n ast.Node) bool {
	if _, ok := n.(*ast.NilNode); ok {
		return false
	}
	t := n.Type()
	return t == nil || t.Kind() == reflect.Interface
}

// numeric reports whether n may be a number: its type is unknown or one.
func numeric(n ast.Node) bool {
	if _, ok := n.(*ast.NilNode); ok {
		return false
	}
	if dynamic(n) {
		return true
	}
	switch n.Type().Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

// composite reports whether n may be a number or hold one (a list, a map).
func composite(n ast.Node) bool {
	if numeric(n) {
		return true
	}
	if _, ok := n.(*ast.NilNode); ok {
		return false
	}
	switch n.Type().Kind() {
	case reflect.Slice, reflect.Array, reflect.Map:
		return true
	}
	return false
}

// listLike reports whether n may be a list (not a map, a struct or a
// string, which `in` reads as expr does).
func listLike(n ast.Node) bool {
	if dynamic(n) {
		return true
	}
	k := n.Type().Kind()
	return k == reflect.Slice || k == reflect.Array
}
