package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Problem is one thing wrong with a config file: where and why.
type Problem struct {
	File string
	// Line is the 1-based line of Path in File (0: not known).
	Line int
	Path string
	Msg  string
}

func (p Problem) Error() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		if p.Line > 0 {
			b.WriteString(":")
			b.WriteString(strconv.Itoa(p.Line))
		}
		b.WriteString(": ")
	}
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Errors collects every problem found in a config so that one run of
// `validate` shows them all.
type Errors []Problem

// Add records a problem at path.
func (e *Errors) Add(path, format string, args ...any) {
	*e = append(*e, Problem{Path: path, Msg: fmt.Sprintf(format, args...)})
}

// AddErr records err at path, flattening nested Errors (whose paths are
// taken as relative to path).
func (e *Errors) AddErr(path string, err error) {
	if err == nil {
		return
	}
	var nested Errors
	if errors.As(err, &nested) {
		for _, p := range nested {
			p.Path = joinPath(path, p.Path)
			*e = append(*e, p)
		}
		return
	}
	if m, ok := err.(interface{ Unwrap() []error }); ok && allFieldProblems(m.Unwrap()) {
		for _, sub := range m.Unwrap() {
			e.AddErr(path, sub)
		}
		return
	}
	var fp fieldProblem
	if errors.As(err, &fp) {
		*e = append(*e, Problem{Path: joinPath(path, fp.FieldPath()), Msg: fp.FieldMsg()})
		return
	}
	var one Problem
	if errors.As(err, &one) {
		one.Path = joinPath(path, one.Path)
		*e = append(*e, one)
		return
	}
	*e = append(*e, Problem{Path: path, Msg: err.Error()})
}

// fieldProblem is a problem about a field below the path it is added at,
// from a package that cannot import config (actions.ConfigError).
type fieldProblem interface {
	error
	FieldPath() string
	FieldMsg() string
}

func allFieldProblems(errs []error) bool {
	for _, err := range errs {
		if _, ok := err.(fieldProblem); !ok {
			return false
		}
	}
	return len(errs) > 0
}

func joinPath(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	case strings.HasPrefix(b, "["):
		return a + b
	}
	return a + "." + b
}

// WithFile sets the file name on every problem that has none.
func (e Errors) WithFile(file string) Errors {
	out := make(Errors, len(e))
	for i, p := range e {
		if p.File == "" {
			p.File = file
		}
		out[i] = p
	}
	return out
}

// Err returns nil when there are no problems.
func (e Errors) Err() error {
	if len(e) == 0 {
		return nil
	}
	return e
}

func (e Errors) Error() string {
	lines := make([]string, len(e))
	for i, p := range e {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}
