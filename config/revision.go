package config

import (
	"fmt"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"

	"github.com/hookrunner/hookrunner/internal/yamlsecret"
)

// RebuildRevision rebuilds the config of a stored revision for the runs
// queued under it. files are its texts as stored (literal secrets hidden
// by yamlsecret.Hide); known are the secret values the config in force
// has, which put them back. ${VAR} and *_file are read from today's
// environment and disk.
//
// It is tolerant of secrets gone since the revision was recorded: a
// ${VAR} no longer set, a *_file deleted or unreadable, a literal secret
// rotated out of the YAML. Such a secret becomes an "unavailable" marker,
// and only what uses it is left out: a source holding one, a rule holding
// one or whose source was left out (Config.Unavailable says which and
// why), an alert or listen token (a rebuilt revision only runs its queued
// runs). Everything else rebuilds as it was, so a run whose rule and
// source use no missing secret runs normally.
func RebuildRevision(path string, files map[string]string, known []string, env Env) (*Config, error) {
	u := &unavailable{}
	have := make(map[string]bool, len(known))
	for _, v := range known {
		have[yamlsecret.Placeholder(v)] = true
	}
	texts := make(map[string][]byte, len(files))
	for name, text := range files {
		text = placeholderRE.ReplaceAllStringFunc(text, func(ph string) string {
			if have[ph] {
				return ph
			}
			return u.mark(fmt.Sprintf("%s: the secret %s written in it is one the config in force no longer has (rotated in the YAML)", name, ph))
		})
		text, err := yamlsecret.Restore(text, known)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		texts[name] = []byte(text)
	}
	main, ok := texts[filepath.Base(path)]
	if !ok {
		return nil, Errors{{File: filepath.Base(path), Msg: "not in the stored revision"}}
	}
	dir := filepath.Dir(path)
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	return parse(path, main, env, mapFS{dir: dir, files: texts}, u)
}

var placeholderRE = regexp.MustCompile(`\[REDACTED:[0-9a-f]{16}\]`)

// unavailable records the secrets a tolerant rebuild could not resolve.
// Each becomes a marker value: letters, digits and dashes, longer than any
// minimum length, so it decodes and validates wherever a secret may stand
// (a header, a URL, argv) until dropUnavailable finds it.
type unavailable struct{ why []string }

const unavailableMark = "hookrunner-unavailable-secret-"

var markRE = regexp.MustCompile(unavailableMark + `([0-9]+)-`)

func (u *unavailable) mark(why string) string {
	u.why = append(u.why, why)
	return unavailableMark + strconv.Itoa(len(u.why)-1) + "-"
}

// find returns why the first marker found in v (any string at any depth)
// is there, or "".
func (u *unavailable) find(v reflect.Value) string {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return u.find(v.Elem())
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				if why := u.find(v.Field(i)); why != "" {
					return why
				}
			}
		}
	case reflect.Map:
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i]) < fmt.Sprint(keys[j]) })
		for _, k := range keys {
			if why := u.find(v.MapIndex(k)); why != "" {
				return why
			}
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			if why := u.find(v.Index(i)); why != "" {
				return why
			}
		}
	case reflect.String:
		if m := markRE.FindStringSubmatch(v.String()); m != nil {
			if i, err := strconv.Atoi(m[1]); err == nil && i < len(u.why) {
				return u.why[i]
			}
		}
	}
	return ""
}

// dropUnavailable leaves out of a tolerant rebuild every source and rule
// that uses an unavailable secret, and the rules of the sources left out,
// recording why in c.Unavailable; alerts and listen tokens, which a
// rebuilt revision never uses, are left out whole.
func (c *Config) dropUnavailable(u *unavailable) {
	c.Unavailable = map[string]string{}
	c.Alerts, c.Listen.Tokens = nil, nil
	gone := map[string]string{}
	for _, name := range c.SourceNames() {
		if why := u.find(reflect.ValueOf(c.Sources[name])); why != "" {
			gone[name] = why
			delete(c.Sources, name)
		}
	}
	kept := c.Rules[:0]
	for _, r := range c.Rules {
		why := u.find(reflect.ValueOf(r))
		if why == "" && gone[r.Source] != "" {
			why = "its source " + strconv.Quote(r.Source) + ": " + gone[r.Source]
		}
		if why != "" {
			c.Unavailable[r.Name] = why
			continue
		}
		kept = append(kept, r)
	}
	c.Rules = kept
}
