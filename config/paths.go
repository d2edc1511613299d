package config

import (
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
)

// Every path written in hooks.yaml (or an included file) that is relative
// is relative to the folder of the main config file, never to the working
// directory of whoever runs hookrunner. One pass, ResolvePaths, makes them
// absolute at load; it knows a path field by its `path:"…"` struct tag:
//
//	path:"file"    a file, folder or glob (a string or each of a []string)
//	path:"program" the first element of an argv ([]string): a bare name
//	               (git) keeps its PATH lookup; a relative path with a
//	               slash (./deploy.sh, bin/x) is resolved
//	path:"dsn"     a SQLite path or file: URI (with ?query); URLs such as
//	               postgres://… and :memory: are left alone
//
// Action configs (actions/…) carry the same tags: DecodeIn resolves them
// as it decodes. TestEveryPathFieldIsTagged keeps the tags complete.
const pathTag = "path"

// PathSkipper is a struct whose path field holds a path only in some
// settings: Store.DSN is a SQLite path for driver sqlite, and a
// connection string for postgres.
type PathSkipper interface {
	// SkipPath reports whether the field (its Go name) holds no path now.
	SkipPath(field string) bool
}

// SkipPath implements PathSkipper: the DSN is a path only for SQLite.
func (s Store) SkipPath(field string) bool {
	return field == "DSN" && s.Driver != "" && s.Driver != "sqlite"
}

// ResolvePaths makes every relative path field of v (a pointer to a
// struct) absolute against dir.
func ResolvePaths(v any, dir string) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("ResolvePaths: want a non-nil pointer, got %T", v)
	}
	return resolveValue(rv.Elem(), "", dir)
}

func resolveValue(v reflect.Value, kind, dir string) error {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return resolveValue(v.Elem(), kind, dir)
		}
	case reflect.Struct:
		t := v.Type()
		skip, _ := v.Interface().(PathSkipper)
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() || skip != nil && skip.SkipPath(f.Name) {
				continue
			}
			if err := resolveValue(v.Field(i), f.Tag.Get(pathTag), dir); err != nil {
				return fmt.Errorf("%s.%s: %w", t.Name(), f.Name, err)
			}
		}
	case reflect.Map:
		if v.Type().Elem().Kind() != reflect.Struct && v.Type().Elem().Kind() != reflect.Pointer {
			return nil // map[string]string and the like hold no path
		}
		for _, k := range v.MapKeys() {
			// Map values are not addressable: resolve a copy, store it back.
			e := reflect.New(v.Type().Elem()).Elem()
			e.Set(v.MapIndex(k))
			if err := resolveValue(e, kind, dir); err != nil {
				return err
			}
			v.SetMapIndex(k, e)
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.String {
			switch kind {
			case "":
				return nil
			case "program":
				if v.Len() > 0 {
					v.Index(0).SetString(ProgramPath(dir, v.Index(0).String()))
				}
				return nil
			}
		}
		for i := 0; i < v.Len(); i++ {
			if err := resolveValue(v.Index(i), kind, dir); err != nil {
				return err
			}
		}
	case reflect.String:
		switch kind {
		case "":
		case "file":
			v.SetString(FilePath(dir, v.String()))
		case "dsn":
			v.SetString(SQLitePath(dir, v.String()))
		default:
			return fmt.Errorf("unknown path kind %q", kind)
		}
	}
	return nil
}

// FilePath returns p made absolute against dir ("" stays "").
func FilePath(dir, p string) string {
	if p == "" || filepath.IsAbs(p) || strings.Contains(p, "{{") {
		return p
	}
	return filepath.Join(dir, p)
}

// ProgramPath resolves the program of an argv: a bare name keeps PATH
// lookup, an absolute path stays, a relative path with a slash is joined
// to dir.
func ProgramPath(dir, p string) string {
	if !strings.ContainsRune(p, '/') && !strings.ContainsRune(p, filepath.Separator) {
		return p
	}
	return FilePath(dir, p)
}

// SQLitePath resolves a SQLite DSN: a path, or a file: URI whose path part
// is relative. URLs of other schemes (postgres://…) and in-memory
// databases are returned as they are.
func SQLitePath(dir, dsn string) string {
	switch {
	case dsn == "", dsn == ":memory:", strings.HasPrefix(dsn, "file::memory:"):
		return dsn
	case strings.HasPrefix(dsn, "file:"):
		rest := strings.TrimPrefix(dsn, "file:")
		p, query, hasQuery := strings.Cut(rest, "?")
		if strings.HasPrefix(p, "//") || p == "" {
			return dsn // file:///abs or file://host/…: already absolute
		}
		p = FilePath(dir, p)
		if hasQuery {
			return "file:" + p + "?" + query
		}
		return "file:" + p
	case strings.Contains(dsn, "://"):
		return dsn
	}
	return FilePath(dir, dsn)
}

// DecodeIn is Decode followed by ResolvePaths against dir: how the config
// loader decodes an action's YAML, so an action's path fields are
// absolute before the action is built.
func DecodeIn(raw any, target any, dir string) error {
	if err := Decode(raw, target); err != nil {
		return err
	}
	return ResolvePaths(target, dir)
}

// StringFields lists every field of the struct type t (walked through
// pointers, slices and maps) that holds a string or a list of strings, as
// "Type.key" (key: the koanf name), with its path tag ("" for no path).
// Secret fields are left out: a secret is never a path. Tests use it to
// make every such field say whether it holds a path.
func StringFields(t reflect.Type) map[string]string {
	out := map[string]string{}
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || seen[t] {
			return
		}
		seen[t] = true
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("koanf"), ",")
			if !f.IsExported() || name == "" || name == "-" {
				continue
			}
			ft := f.Type
			if ft.Kind() == reflect.Slice {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.String && ft != reflect.TypeOf(Secret("")) {
				out[t.Name()+"."+name] = f.Tag.Get(pathTag)
				continue
			}
			walk(f.Type)
		}
	}
	walk(t)
	return out
}
