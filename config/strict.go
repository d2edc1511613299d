package config

import (
	"github.com/go-viper/mapstructure/v2"

	"fmt"
	"reflect"
	"sort"
	"strings"
)

// keyAliases are keys people write out of habit (adnanh/webhook, other
// tools) with the key hookrunner uses instead.
var keyAliases = map[string]string{
	"trigger_rule":    "if",
	"trigger-rule":    "if",
	"triggerrule":     "if",
	"condition":       "if",
	"when":            "if",
	"match":           "if",
	"event":           "events",
	"execute-command": "actions",
	"command":         "actions",
	"hooks":           "rules",
	"secret-file":     "secret_file",
	"allowed_ips":     "allow_ips",
	"ip_whitelist":    "allow_ips",
	"ip-whitelist":    "allow_ips",
	"max_body_size":   "max_body",
	"retries":         "retry",
	"timeout_seconds": "timeout",
}

// CheckKeys walks raw (as parsed from YAML) against the struct type t and
// reports every key that t does not declare, at any depth, with its path and
// a suggestion.
func CheckKeys(raw any, t reflect.Type, path string) Errors {
	var errs Errors
	checkKeys(raw, t, path, &errs)
	return errs
}

func checkKeys(raw any, t reflect.Type, path string, errs *Errors) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := raw.(map[string]any)
		if !ok {
			if raw != nil {
				errs.Add(path, "must be a mapping (key: value), got %s", describe(raw))
			}
			return
		}
		fields := structKeys(t)
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			f, ok := fields[k]
			if !ok {
				errs.Add(join(path, k), "unknown key%s", suggest(k, fields))
				continue
			}
			checkKeys(m[k], f.Type, join(path, k), errs)
		}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return
		}
		s, ok := raw.([]any)
		if !ok {
			if raw != nil {
				errs.Add(path, "must be a list, got %s", describe(raw))
			}
			return
		}
		for i, v := range s {
			checkKeys(v, t.Elem(), fmt.Sprintf("%s[%d]", path, i), errs)
		}
	case reflect.Map:
		m, ok := raw.(map[string]any)
		if !ok {
			if raw != nil {
				errs.Add(path, "must be a mapping, got %s", describe(raw))
			}
			return
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			checkKeys(m[k], t.Elem(), join(path, k), errs)
		}
	}
}

func structKeys(t reflect.Type) map[string]reflect.StructField {
	out := map[string]reflect.StructField{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("koanf"), ",")
		if name == "" || name == "-" {
			continue
		}
		out[name] = f
	}
	return out
}

// KeysOf lists the keys a struct type accepts (for suggestions elsewhere).
func KeysOf(t reflect.Type) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []string
	for k := range structKeys(t) {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func suggest(k string, fields map[string]reflect.StructField) string {
	names := make([]string, 0, len(fields))
	for n := range fields {
		names = append(names, n)
	}
	return Suggest(k, names)
}

// Suggest returns ` (did you mean "x"?)` for the closest known name, or "".
func Suggest(k string, known []string) string {
	sort.Strings(known)
	if a, ok := keyAliases[strings.ToLower(k)]; ok {
		for _, n := range known {
			if n == a {
				return fmt.Sprintf(" (did you mean %q?)", a)
			}
		}
	}
	best, bestD := "", 1<<30
	lk := strings.ToLower(strings.ReplaceAll(k, "-", "_"))
	for _, n := range known {
		if lk == n {
			return fmt.Sprintf(" (did you mean %q?)", n)
		}
		d := levenshtein(lk, n)
		if d < bestD {
			best, bestD = n, d
		}
	}
	limit := 2
	if len(k) > 8 {
		limit = 3
	}
	if best != "" && bestD <= limit {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	if len(known) > 0 && len(known) <= 12 {
		return fmt.Sprintf(" (known: %s)", strings.Join(known, ", "))
	}
	return ""
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func describe(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	case bool:
		return "a boolean"
	case int, int64, float64, uint64:
		return "a number"
	case nil:
		return "nothing"
	}
	return fmt.Sprintf("%T", v)
}

// Decode decodes raw into target (a pointer to a struct with koanf tags)
// strictly: unknown keys and type mismatches are problems with paths
// relative to raw. Durations are written "30s", sizes "1MiB".
func Decode(raw any, target any) error {
	errs := CheckKeys(raw, reflect.TypeOf(target), "")
	if len(errs) > 0 {
		return errs
	}
	dec, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{
		DecodeHook: mapstructure.ComposeDecodeHookFunc(
			numberToSizeHook,
			mapstructure.StringToTimeDurationHookFunc(),
			mapstructure.TextUnmarshallerHookFunc(),
		),
		TagName: "koanf",
		Result:  target,
	})
	if err != nil {
		return err
	}
	if err := dec.Decode(raw); err != nil {
		return decodeProblems(err)
	}
	return nil
}
