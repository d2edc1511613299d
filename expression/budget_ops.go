package expression

import (
	"fmt"
	"reflect"
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode/utf8"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/builtin"
)

// The operations below cost more than the size of their operands, so the
// meter cannot price them by a deep size alone: a regexp costs the length
// of its text times the size of its program (Go's regexp runs in
// O(text × program), whatever the pattern); replace, join and toJSON make
// a string longer than anything they were given; trim with a non-ASCII
// cutset looks every rune up in the cutset. Each is priced here from its
// operands, before it runs.

// MaxRegexpInsts bounds the program of one regexp (instructions of its
// compiled form, after x{n} is expanded into n copies of x). A pattern
// written in a condition above it is refused at load; one read from an
// event is refused at run time (the condition does not match).
const MaxRegexpInsts = 1000

// regexpProgram returns the number of instructions of pattern's compiled
// program, refusing a pattern that does not parse or whose program would
// be larger than MaxRegexpInsts. The size is first estimated from the
// parse tree (at most twice the real one), so a pattern read from an event
// is refused without compiling a huge program.
func regexpProgram(pattern string) (int64, error) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return 0, err
	}
	if est := progSize(re, 4*MaxRegexpInsts+1); est > 4*MaxRegexpInsts {
		return 0, fmt.Errorf("regexp %s: its program has more than %d instructions (each x{n} counts n copies of x): use a smaller pattern",
			quoteCut(pattern), MaxRegexpInsts)
	}
	prog, err := syntax.Compile(re.Simplify())
	if err != nil {
		return 0, err
	}
	if n := len(prog.Inst); n > MaxRegexpInsts {
		return 0, fmt.Errorf("regexp %s: its program has more than %d instructions (%d; each x{n} counts n copies of x): use a smaller pattern",
			quoteCut(pattern), MaxRegexpInsts, n)
	}
	return int64(len(prog.Inst)), nil
}

// progSize is an upper estimate of the instructions syntax.Compile makes
// of re, saturating at max.
func progSize(re *syntax.Regexp, max int64) int64 {
	var size func(re *syntax.Regexp) int64
	size = func(re *syntax.Regexp) int64 {
		var n int64
		switch re.Op {
		case syntax.OpLiteral:
			n = int64(len(re.Rune))
		case syntax.OpCapture, syntax.OpStar, syntax.OpPlus, syntax.OpQuest:
			n = 2 + size(re.Sub[0])
		case syntax.OpRepeat:
			count := int64(re.Max)
			if re.Max < 0 {
				count = int64(re.Min) + 1
			}
			n = (size(re.Sub[0]) + 1) * max64(count, 1)
		case syntax.OpConcat, syntax.OpAlternate:
			for _, s := range re.Sub {
				n += size(s) + 1
			}
		default:
			n = 1
		}
		return min(n, max)
	}
	return min(size(re)+2, max)
}

func max64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

func quoteCut(s string) string {
	if len(s) > 64 {
		return fmt.Sprintf("%q… (%d bytes)", s[:64], len(s))
	}
	return fmt.Sprintf("%q", s)
}

// matchFn is `budget matches(meter, text, pattern)`: a `matches` whose
// pattern is computed. It compiles the pattern (refused above
// MaxRegexpInsts), pays the text's length times the program's size, and
// only then matches.
const matchFn = "budget matches"

func matchDynamic(params ...any) (any, error) {
	b, _ := params[0].(*Budget)
	text, pattern := params[1], params[2]
	if text == nil || pattern == nil {
		return false, nil
	}
	p, ok := pattern.(string)
	if !ok {
		return nil, fmt.Errorf("matches: the pattern is %T, not a string", pattern)
	}
	var n int
	switch t := text.(type) {
	case string:
		n = len(t)
	case []byte:
		n = len(t)
	default:
		return nil, fmt.Errorf("matches: %T is not a string", text)
	}
	if b != nil {
		// Parsing reads the pattern: pay for it before.
		if err := b.spend(int64(1 + len(p)/stringStep)); err != nil {
			return nil, err
		}
	}
	insts, err := regexpProgram(p)
	if err != nil {
		return nil, fmt.Errorf("matches: %w", err)
	}
	if b != nil {
		if err := b.spend(insts * int64(n+1) / regexpStep); err != nil {
			return nil, err
		}
	}
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, fmt.Errorf("matches: %w", err)
	}
	if s, ok := text.(string); ok {
		return re.MatchString(s), nil
	}
	return re.Match(text.([]byte)), nil
}

// costedBuiltins are the builtins whose price is computed from all their
// operands by a cost function: the meter replaces `name(args)` by
// `budget name(meter, args)`, which pays cost(args) and then runs expr's
// own builtin. Each cost is in steps (16 bytes of string made or read,
// one element walked), before the builtin's factor.
var costedBuiltins = map[string]func(args []any, left int64) (int64, error){
	"replace": replaceCost,
	"join":    joinCost,
	"trim":    trimCost,
	"toJSON":  toJSONCost,
}

// costedFactor weighs the steps of costedBuiltins (as builtinFactor).
var costedFactor = map[string]int64{"replace": 4, "join": 4, "trim": 2, "toJSON": 8}

func costedFn(name string) string { return "budget " + name }

// costed returns `budget name`: it pays for the builtin's work from its
// operands, then calls expr's implementation of it.
func costed(name string) func(params ...any) (any, error) {
	cost, factor := costedBuiltins[name], costedFactor[name]
	impl := builtin.Builtins[builtin.Index[name]].Func
	return func(params ...any) (any, error) {
		b, _ := params[0].(*Budget)
		args := params[1:]
		if b != nil {
			if b.exceeded {
				return nil, ErrBudgetExceeded
			}
			n, err := cost(args, b.left/factor+1)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			if err := b.spend(n * factor); err != nil {
				return nil, err
			}
		}
		return impl(args...)
	}
}

func strArgs(args []any, n int) ([]string, error) {
	out := make([]string, n)
	for i := 0; i < n; i++ {
		s, ok := args[i].(string)
		if !ok {
			return nil, fmt.Errorf("argument %d is %T, not a string", i+1, args[i])
		}
		out[i] = s
	}
	return out, nil
}

// replaceCost pays for reading s and for the string made: every
// occurrence of old (every rune boundary when old is empty) becomes new.
func replaceCost(args []any, _ int64) (int64, error) {
	if len(args) < 3 {
		return 1, nil // expr reports the arity
	}
	s, err := strArgs(args, 3)
	if err != nil {
		return 0, err
	}
	limit := -1
	if len(args) == 4 {
		if limit, _ = toInt(args[3]); limit < 0 {
			limit = -1
		}
	}
	var count int
	if s[1] == "" {
		count = utf8.RuneCountInString(s[0]) + 1
	} else {
		count = strings.Count(s[0], s[1])
	}
	if limit >= 0 && count > limit {
		count = limit
	}
	out := int64(len(s[0])) + int64(count)*int64(len(s[2]))
	return 1 + (int64(len(s[0]))+int64(len(s[1]))+out)/stringStep + int64(count), nil
}

// joinCost pays for the elements and for the glue written between each
// two of them.
func joinCost(args []any, left int64) (int64, error) {
	if len(args) == 0 {
		return 1, nil
	}
	n := deepSize(args[0], left)
	if len(args) == 2 {
		glue, ok := args[1].(string)
		if !ok {
			return 0, fmt.Errorf("argument 2 is %T, not a string", args[1])
		}
		n += int64(length(args[0])) * int64(1+len(glue)/stringStep)
	}
	return n, nil
}

// trimCost: a cutset of one byte or of ASCII only is a table lookup per
// byte; any other cutset is searched for every rune of s.
func trimCost(args []any, _ int64) (int64, error) {
	if len(args) < 2 {
		if s, ok := args[0].(string); ok {
			return 1 + int64(len(s)/stringStep), nil
		}
		return 1, nil
	}
	s, err := strArgs(args, 2)
	if err != nil {
		return 0, err
	}
	n := 1 + int64(len(s[0])/stringStep) + int64(len(s[1])/stringStep)
	if len(s[1]) > 1 && !isASCII(s[1]) {
		n += int64(len(s[0])) * int64(1+len(s[1])/stringStep)
	}
	return n, nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// toJSONCost pays for the indented text toJSON writes: every value on its
// own line, indented by two spaces per level of depth.
func toJSONCost(args []any, max int64) (int64, error) {
	if len(args) == 0 {
		return 1, nil
	}
	var n int64
	var walk func(v any, depth int64)
	walk = func(v any, depth int64) {
		n += 1 + (2*depth)/stringStep
		if n > max {
			return
		}
		switch x := v.(type) {
		case string:
			n += int64(len(x) / stringStep)
		case []any:
			for _, e := range x {
				if walk(e, depth+1); n > max {
					return
				}
			}
		case map[string]any:
			for k, e := range x {
				n += int64(len(k) / stringStep)
				if walk(e, depth+1); n > max {
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
					walk(rv.Index(i).Interface(), depth+1)
				}
			case reflect.Map, reflect.Struct, reflect.Pointer:
				n += deepSize(v, max-n)
			}
		}
	}
	walk(args[0], 0)
	return n, nil
}

// stringish reports whether n may be a string (or bytes) as far as the
// checker knows: when it cannot, the meter leaves the node alone so that
// the checker reports the type error at load.
func stringish(n ast.Node) bool {
	t := n.Type()
	if t == nil {
		return true
	}
	switch t.Kind() {
	case reflect.Interface, reflect.String:
		return true
	case reflect.Slice:
		return t.Elem().Kind() == reflect.Uint8
	}
	return false
}

// isBuiltin reports whether n is a call of the builtin name, as written or
// as the meter rewrote it.
func isBuiltin(n ast.Node, name string) bool {
	switch x := n.(type) {
	case *ast.BuiltinNode:
		return x.Name == name
	case *ast.CallNode:
		id, ok := x.Callee.(*ast.IdentifierNode)
		return ok && id.Value == costedFn(name)
	}
	return false
}

// costedOptions install the functions the meter calls. No types: as in
// numberOptions, a typed call would not have its operands checked again
// after the patch.
func costedOptions() []expr.Option {
	opts := []expr.Option{expr.Function(matchFn, matchDynamic)}
	for name := range costedBuiltins {
		opts = append(opts, expr.Function(costedFn(name), costed(name)))
	}
	return opts
}
