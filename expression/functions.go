package expression

import (
	"errors"
	"reflect"
	"strconv"
	"strings"

	"github.com/expr-lang/expr"
)

// asList is `asList(x)`: x itself when it is a list, [] when it is absent
// (nil), else [x]. An XML element that may appear once or many times (one
// <item> is a value, two are a list) reads the same either way:
// `any(asList(payload.order.item), .sku == "A1")`. It costs one step
// whatever x is (it never copies a list), so the budget meter need not
// know it.
func asList(params ...any) (any, error) {
	switch x := params[0].(type) {
	case nil:
		return []any{}, nil
	case []any:
		return x, nil
	}
	if rv := reflect.ValueOf(params[0]); rv.Kind() == reflect.Slice || rv.Kind() == reflect.Array {
		return params[0], nil
	}
	return []any{params[0]}, nil
}

// maxLookupPath bounds the path of lookup: each step hashes the rest of
// the path, so a path read from a payload must not be long.
const maxLookupPath = 256

// lookup is `lookup(x, "a.b.0.c")`: the value at a dotted path the way
// adnanh/webhook finds a parameter, nil when there is none. In an object
// the whole rest of the path is tried as one key first ("a.b" may be a
// key), then its first segment; in a list the segment must be an index.
// Nothing is an error: a missing key, an index out of range or a step into
// a string is nil. It costs one step per segment of a bounded path.
func lookup(params ...any) (any, error) {
	path, ok := params[1].(string)
	if !ok {
		return nil, errors.New("lookup: the path must be a string")
	}
	if len(path) > maxLookupPath {
		return nil, errors.New("lookup: path longer than 256 bytes")
	}
	v := params[0]
	for {
		switch x := v.(type) {
		case map[string]any:
			if e, ok := x[path]; ok {
				return e, nil
			}
			head, rest, more := strings.Cut(path, ".")
			e, ok := x[head]
			if !ok || !more {
				return e, nil
			}
			v, path = e, rest
		case map[string]string: // headers, query: a whole key only
			if e, ok := x[path]; ok {
				return e, nil
			}
			return nil, nil
		case []any:
			head, rest, more := strings.Cut(path, ".")
			i, err := strconv.ParseUint(head, 10, 32)
			if err != nil || i >= uint64(len(x)) {
				return nil, nil
			}
			if !more {
				return x[i], nil
			}
			v, path = x[i], rest
		default:
			return nil, nil
		}
	}
}

// functionOptions are the functions hookrunner adds to expr's builtins.
func functionOptions() []expr.Option {
	return []expr.Option{
		expr.Function("asList", asList, new(func(any) []any)),
		expr.Function("lookup", lookup, new(func(any, string) any)),
	}
}
