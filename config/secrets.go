package config

import (
	"reflect"
	"strings"

	"github.com/hookrunner/hookrunner/internal/redact"
)

// secretSet gathers the secret values of a config as it loads: every value
// a ${VAR} resolved to, every *_file read, every Secret field, and what the
// structure of the file reveals (redact.Find: secret-named keys,
// credentials in URLs, DSNs, headers, bodies and argv).
type secretSet struct {
	values []string
	// missing, in a tolerant rebuild, stands in for unset ${VAR}s.
	missing *unavailable
}

// env records the value a ${VAR} resolved to. Values that cannot be
// secrets and would otherwise mask unrelated text everywhere are left out:
// true/false and short numbers (ports, counts, timeouts). Defaults written
// in the file (${VAR:-default}) are not secret: they are in the file.
func (s *secretSet) env(v string) {
	t := strings.TrimSpace(v)
	if t == "true" || t == "false" || (len(t) < 8 && strings.Trim(t, "0123456789") == "") {
		return
	}
	s.values = append(s.values, v)
}

func (s *secretSet) tree(raw any) { s.values = append(s.values, redact.Find(raw)...) }

// fields records every Secret and []Secret field of v (a struct).
func (s *secretSet) fields(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			s.fields(v.Elem())
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				s.fields(v.Field(i))
			}
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			s.fields(v.MapIndex(k))
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			s.fields(v.Index(i))
		}
	case reflect.String:
		if v.Type() == reflect.TypeOf(Secret("")) && v.String() != "" {
			s.values = append(s.values, v.String())
		}
	}
}

func (s *secretSet) redactor() *redact.Redactor {
	if s == nil {
		return nil
	}
	return redact.New(s.values...)
}

// Redacted returns the problems with every secret r knows replaced: a
// message may quote a value that came from ${VAR} or a secret file, and a
// path holds names written in the file (sources, rules).
func (e Errors) Redacted(r *redact.Redactor) Errors {
	out := make(Errors, len(e))
	for i, p := range e {
		p.Path = r.String(p.Path)
		p.Msg = r.String(p.Msg)
		out[i] = p
	}
	return out
}

// Redactor returns the redactor that knows every secret of the config.
func (c *Config) Redactor() *redact.Redactor {
	if c == nil {
		return nil
	}
	return redact.New(c.Secrets...)
}
