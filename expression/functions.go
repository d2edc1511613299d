package expression

import (
	"reflect"

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

// functionOptions are the functions hookrunner adds to expr's builtins.
func functionOptions() []expr.Option {
	return []expr.Option{expr.Function("asList", asList, new(func(any) []any))}
}
