package server

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
)

// logValueMax bounds each value a request's log line carries, as
// rejectedDetail bounds the reason the Rejected list keeps.
const logValueMax = rejectedDetail

// boundHandler is the handler of the ingress's per-request logger
// (lazyLogger): the message and every attribute, an error's or a
// Stringer's text included, are cut to logValueMax bytes before the line
// goes on to the redacting handler. A refusal's reason quotes what the
// request sent (an SNS Type, a Stripe-Signature timestamp, a header), and
// the request is not yet authenticated: whatever any provider puts in its
// error, a refused request costs the log a bounded line. The cut ends in
// "…", where the redactor masks what is left of a secret at the edge.
type boundHandler struct{ next slog.Handler }

func (h boundHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

func (h boundHandler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, boundText(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(boundAttr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h boundHandler) WithAttrs(as []slog.Attr) slog.Handler {
	b := make([]slog.Attr, len(as))
	for i, a := range as {
		b[i] = boundAttr(a)
	}
	return boundHandler{h.next.WithAttrs(b)}
}

func (h boundHandler) WithGroup(name string) slog.Handler {
	return boundHandler{h.next.WithGroup(boundText(name))}
}

// boundText is s, or its first logValueMax bytes and how long it was.
func boundText(s string) string {
	if len(s) <= logValueMax {
		return s
	}
	return cut(s, logValueMax) + " (" + strconv.Itoa(len(s)) + " bytes)"
}

// boundAttr cuts a's value (deeply for a group); a value of another kind
// whose text is longer than logValueMax becomes its cut text.
func boundAttr(a slog.Attr) slog.Attr {
	a.Key = boundText(a.Key)
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		if s := v.String(); len(s) > logValueMax {
			return slog.String(a.Key, boundText(s))
		}
	case slog.KindGroup:
		g := v.Group()
		out := make([]slog.Attr, len(g))
		for i, x := range g {
			out[i] = boundAttr(x)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(out...)}
	case slog.KindAny:
		var s string
		switch x := v.Any().(type) {
		case error:
			s = x.Error()
		case fmt.Stringer:
			s = x.String()
		default:
			s = fmt.Sprint(x)
		}
		if len(s) > logValueMax {
			return slog.String(a.Key, boundText(s))
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}
