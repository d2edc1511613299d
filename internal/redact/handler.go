package redact

import (
	"context"
	"fmt"
	"log/slog"
)

// Handler wraps an slog.Handler: the message and every attribute pass
// through the redactor current at the time (get is called per record, so
// a reload that brings new secrets is covered at once). Attributes whose
// key is secret-named are masked whole.
type Handler struct {
	next slog.Handler
	get  func() *Redactor
}

// NewHandler returns next behind the redactor that get returns.
func NewHandler(next slog.Handler, get func() *Redactor) *Handler {
	if get == nil {
		get = func() *Redactor { return nil }
	}
	return &Handler{next: next, get: get}
}

// Enabled implements slog.Handler.
func (h *Handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

// Handle implements slog.Handler.
func (h *Handler) Handle(ctx context.Context, rec slog.Record) error {
	r := h.get()
	out := slog.NewRecord(rec.Time, rec.Level, r.String(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(r.Attr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

// WithAttrs implements slog.Handler.
func (h *Handler) WithAttrs(as []slog.Attr) slog.Handler {
	r := h.get()
	red := make([]slog.Attr, len(as))
	for i, a := range as {
		red[i] = r.Attr(a)
	}
	return &Handler{next: h.next.WithAttrs(red), get: h.get}
}

// WithGroup implements slog.Handler.
func (h *Handler) WithGroup(name string) slog.Handler {
	return &Handler{next: h.next.WithGroup(name), get: h.get}
}

// Attr redacts one log attribute (groups deeply).
func (r *Redactor) Attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	if IsSecretName(a.Key) && v.Kind() != slog.KindGroup {
		if v.Kind() == slog.KindString && v.String() == "" {
			return a
		}
		return slog.String(a.Key, Mask)
	}
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, r.String(v.String()))
	case slog.KindGroup:
		g := v.Group()
		out := make([]slog.Attr, len(g))
		for i, x := range g {
			out[i] = r.Attr(x)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(out...)}
	case slog.KindAny:
		switch x := v.Any().(type) {
		case error:
			return slog.String(a.Key, r.String(x.Error()))
		case fmt.Stringer:
			return slog.String(a.Key, r.String(x.String()))
		default:
			s := fmt.Sprint(x)
			if red := r.String(s); red != s {
				return slog.String(a.Key, red)
			}
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}
