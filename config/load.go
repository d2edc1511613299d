// Package config loads hooks.yaml: koanf parsing, ${ENV} expansion, *_file
// secrets, HOOKRUNNER_* overrides, strict key checking and the validation that
// needs no registry. The engine compiles the result into a runtime snapshot.
package config

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/go-viper/mapstructure/v2"
	"github.com/knadh/koanf/parsers/yaml"
	"github.com/knadh/koanf/providers/rawbytes"
	"github.com/knadh/koanf/v2"
)

// Config is a loaded, validated hooks.yaml with its secrets resolved.
type Config struct {
	File
	// Path is the file the config was read from; Dir its directory.
	Path string `json:"-"`
	Dir  string `json:"-"`
	// Hash identifies the config in force (file bytes and secret files).
	Hash string `json:"-"`
	// Raw is the file as read.
	Raw []byte `json:"-"`
	// Files is the text of every config file read (the main file under its
	// base name, includes under their path relative to Dir), as written:
	// ${VAR} references unresolved. Stored as the config revision.
	Files map[string][]byte `json:"-"`

	fs configFS
	// trees is the parsed YAML of every file, to locate problems.
	trees nodeTrees
	// Secrets are every secret value of the config (resolved ${VAR} and
	// *_file values, secret fields, credentials the structure reveals):
	// what the redactor replaces on every way out.
	Secrets []string `json:"-"`
	// Unavailable is set on a config RebuildRevision made: the rules left
	// out because they or their source use a secret that is gone, and why.
	Unavailable map[string]string `json:"-"`

	// missing, in a tolerant rebuild, turns secrets that cannot be
	// resolved into markers (RebuildRevision).
	missing *unavailable
}

// Env looks up an environment variable; os.LookupEnv in production.
type Env func(string) (string, bool)

// Load reads and validates path using the process environment.
func Load(path string) (*Config, error) {
	data, err := ReadStable(path)
	if err != nil {
		return nil, Errors{{File: path, Msg: fmt.Sprintf("read: %v", err)}}
	}
	return Parse(path, data, os.LookupEnv)
}

// Parse validates data as the contents of the file at path. On error the
// returned config is nil, or — when the file decoded but failed validation —
// a config to be used only for reporting further problems.
func Parse(path string, data []byte, env Env) (*Config, error) {
	return parse(path, data, env, osFS{}, nil)
}

// ParseRevision rebuilds a config from the files of a stored revision
// (Config.Files), with today's environment and secret files.
func ParseRevision(path string, files map[string][]byte, env Env) (*Config, error) {
	main, ok := files[filepath.Base(path)]
	if !ok {
		return nil, Errors{{File: filepath.Base(path), Msg: "not in the stored revision"}}
	}
	dir := filepath.Dir(path)
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	return parse(path, main, env, mapFS{dir: dir, files: files}, nil)
}

func parse(path string, data []byte, env Env, fsys configFS, missing *unavailable) (*Config, error) {
	name := filepath.Base(path)
	if path == "" {
		name = "hooks.yaml"
	}
	sec := &secretSet{missing: missing}
	trees := nodeTrees{}
	trees.add(name, data)
	fail := func(errs Errors) (*Config, error) {
		return nil, trees.locate(errs.WithFile(name)).Redacted(sec.redactor())
	}

	if len(bytes.TrimSpace(stripComments(data))) == 0 {
		return fail(Errors{{Msg: "file is empty (refusing to load a config with no sources and no rules)"}})
	}
	k := koanf.New("\x1f") // a delimiter no key contains: header and field names may hold dots
	if err := k.Load(rawbytes.Provider(data), yaml.Parser()); err != nil {
		return fail(Errors{{Msg: fmt.Sprintf("YAML syntax: %v", err)}})
	}
	raw := k.Raw()

	var errs Errors
	applyEnvOverrides(raw, env)
	expandEnv(raw, "", env, &errs, sec)
	sec.tree(raw)
	errs = append(errs, CheckKeys(raw, reflect.TypeOf(File{}), "")...)
	if len(errs) > 0 {
		return fail(errs)
	}

	var f File
	dec, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{
		DecodeHook: mapstructure.ComposeDecodeHookFunc(
			numberToSizeHook,
			mapstructure.TextUnmarshallerHookFunc(),
		),
		WeaklyTypedInput: false,
		TagName:          "koanf",
		Result:           &f,
	})
	if err != nil {
		return fail(Errors{{Msg: err.Error()}})
	}
	if err := dec.Decode(raw); err != nil {
		return fail(decodeProblems(err))
	}

	dir := filepath.Dir(path)
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	c := &Config{File: f, Path: path, Dir: dir, Raw: data, fs: fsys, Files: map[string][]byte{filepath.Base(path): data}, trees: trees, missing: missing}
	h := sha256.New()
	h.Write(data)
	for i := range c.Rules {
		c.Rules[i].Index = i
	}
	errs = append(errs, c.loadIncludes(h, env, sec)...)
	c.applyDefaults()
	// Every relative path (store.dsn, *_file, tls, include, and in each
	// action's DecodeIn: dir, the program) is relative to this file's folder.
	if err := ResolvePaths(&c.File, c.Dir); err != nil {
		errs.Add("", "%v", err)
	}
	c.resolveSecrets(h, &errs)
	if missing != nil {
		c.dropUnavailable(missing)
	}
	sec.fields(reflect.ValueOf(c.File))
	c.Secrets = sec.values
	c.validate(&errs)
	if len(errs) > 0 {
		// The file decoded: hand back the config too, so the caller can
		// report the problems the compile step finds in the same run.
		return c, trees.locate(errs.WithFile(name)).Redacted(sec.redactor())
	}
	c.Hash = hex.EncodeToString(h.Sum(nil))[:16]
	return c, nil
}

var commentLine = regexp.MustCompile(`(?m)^\s*#.*$`)

func stripComments(b []byte) []byte { return commentLine.ReplaceAll(b, nil) }

// numberToSizeHook lets max_body be written as a plain number.
func numberToSizeHook(f, t reflect.Type, data any) (any, error) {
	if t != reflect.TypeOf(ByteSize(0)) {
		return data, nil
	}
	switch v := data.(type) {
	case int:
		return ByteSize(v), nil
	case int64:
		return ByteSize(v), nil
	case uint64:
		return ByteSize(v), nil
	case float64:
		return ByteSize(v), nil
	}
	return data, nil
}

var quoted = regexp.MustCompile(`'([^']+)'`)

func decodeProblems(err error) Errors {
	var out Errors
	msgs := []string{err.Error()}
	if de, ok := err.(interface{ Unwrap() []error }); ok {
		msgs = msgs[:0]
		for _, e := range de.Unwrap() {
			msgs = append(msgs, e.Error())
		}
	}
	for _, m := range msgs {
		for _, line := range strings.Split(m, "\n") {
			line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "*"))
			if line == "" || strings.HasPrefix(line, "decoding failed due to") {
				continue
			}
			path := ""
			if sm := quoted.FindStringSubmatch(line); sm != nil {
				path = sm[1]
				line = strings.TrimSpace(strings.Replace(line, sm[0], "", 1))
			}
			out = append(out, Problem{Path: path, Msg: line})
		}
	}
	if len(out) == 0 {
		out = append(out, Problem{Msg: err.Error()})
	}
	return out
}

var envRef = regexp.MustCompile(`\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\}`)

// expandEnv replaces ${VAR} and ${VAR:-default} in every string value. An
// unset variable without a default is an error; $${ is a literal ${.
func expandEnv(v any, path string, env Env, errs *Errors, sec *secretSet) any {
	switch t := v.(type) {
	case map[string]any:
		for k, val := range t {
			t[k] = expandEnv(val, join(path, k), env, errs, sec)
		}
	case []any:
		for i, val := range t {
			t[i] = expandEnv(val, fmt.Sprintf("%s[%d]", path, i), env, errs, sec)
		}
	case string:
		if !strings.Contains(t, "${") {
			return t
		}
		return envRef.ReplaceAllStringFunc(t, func(m string) string {
			if m == "$${" {
				return "${"
			}
			sm := envRef.FindStringSubmatch(m)
			val, ok := env(sm[1])
			if sm[2] != "" { // has :-default
				if !ok || val == "" {
					return sm[3]
				}
				sec.env(val)
				return val
			}
			if !ok && sec.missing != nil {
				return sec.missing.mark(fmt.Sprintf("%s: environment variable %s is not set", path, sm[1]))
			}
			if !ok {
				errs.Add(path, "environment variable %s is not set (use ${%s:-default} for a default)", sm[1], sm[1])
				return ""
			}
			sec.env(val)
			return val
		})
	}
	return v
}

// overridable sections: HOOKRUNNER_<SECTION>_<KEY> sets <section>.<key>
// (a scalar, or a comma-separated list for a list of strings).
var overridable = map[string]reflect.Type{
	"server": reflect.TypeOf(Server{}),
	"store":  reflect.TypeOf(Store{}),
	"admin":  reflect.TypeOf(Admin{}),
	"log":    reflect.TypeOf(Log{}),
	"runner": reflect.TypeOf(Runner{}),
}

func applyEnvOverrides(raw map[string]any, env Env) {
	for sec, t := range overridable {
		for _, key := range KeysOf(t) {
			ft := structKeys(t)[key].Type
			switch ft.Kind() {
			case reflect.Struct, reflect.Map:
				continue // only scalar keys and lists of strings have an environment override
			case reflect.Slice:
				if ft.Elem().Kind() != reflect.String {
					continue
				}
			}
			val, ok := env("HOOKRUNNER_" + strings.ToUpper(sec+"_"+key))
			if !ok {
				continue
			}
			m, _ := raw[sec].(map[string]any)
			if m == nil {
				m = map[string]any{}
				raw[sec] = m
			}
			f := structKeys(t)[key]
			if f.Type.Kind() == reflect.Slice {
				// A list is comma-separated: 10.0.0.0/8,172.16.0.0/12.
				list := []any{}
				for _, item := range strings.Split(val, ",") {
					if item = strings.TrimSpace(item); item != "" {
						list = append(list, item)
					}
				}
				m[key] = list
				continue
			}
			if k := f.Type.Kind(); (k == reflect.Int || k == reflect.Int64) && f.Type != reflect.TypeOf(Duration(0)) && f.Type != reflect.TypeOf(ByteSize(0)) {
				if n, err := strconv.Atoi(val); err == nil {
					m[key] = n
					continue
				}
			}
			m[key] = val
		}
	}
}

// readSecretFile reads a secret from disk (the path already resolved
// against the config's folder by ResolvePaths), trimming one trailing
// newline.
func (c *Config) readSecretFile(h interface{ Write([]byte) (int, error) }, path, file string, errs *Errors) (Secret, bool) {
	b, err := os.ReadFile(file)
	if err != nil && c.missing != nil {
		return Secret(c.missing.mark(fmt.Sprintf("%s: read secret file: %v", path, err))), true
	}
	if err != nil {
		errs.Add(path, "read secret file: %v", err)
		return "", false
	}
	h.Write(b)
	return Secret(strings.TrimRight(string(b), "\r\n")), true
}

func (c *Config) resolveSecrets(h interface{ Write([]byte) (int, error) }, errs *Errors) {
	resolve := func(path string, s *Secret, file string, key string) {
		if file == "" {
			return
		}
		if *s != "" {
			errs.Add(path, "set %s or %s_file, not both", key, key)
			return
		}
		if v, ok := c.readSecretFile(h, path+"_file", file, errs); ok {
			*s = v
		}
	}
	resolve("admin.token", &c.Admin.Token, c.Admin.TokenFile, "token")
	c.resolveListenSecrets(resolve)
	for _, name := range c.SourceNames() {
		src := c.Sources[name]
		p := "sources." + name
		resolve(p+".secret", &src.Secret, src.SecretFile, "secret")
		if src.PublicKey != "" {
			// public_key: is what a provider that verifies with a public key
			// (sendgrid, discord) calls its secret:.
			if src.Secret != "" || len(src.Secrets) > 0 {
				errs.Add(p+".public_key", "set public_key or secret, not both (public_key is the secret of this provider)")
			} else {
				src.Secret = Secret(src.PublicKey)
			}
		}
		resolve(p+".bearer", &src.Bearer, src.BearerFile, "bearer")
		resolve(p+".password", &src.Password, src.PasswordFile, "password")
		if d := src.Decrypt; d != nil {
			resolve(p+".decrypt.key", &d.Key, d.KeyFile, "key")
			resolve(p+".decrypt.private_key", &d.PrivateKey, d.PrivateKeyFile, "private_key")
		}
		c.Sources[name] = src
	}
}

// SourceNames returns the source names in sorted order.
func (c *Config) SourceNames() []string {
	names := make([]string, 0, len(c.Sources))
	for n := range c.Sources {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// SecretValues returns every secret configured for the source: secrets
// first (newest first, for rotation), then secret.
func (s Source) SecretValues() []string {
	var out []string
	for _, v := range s.Secrets {
		out = append(out, v.Reveal())
	}
	if s.Secret != "" {
		out = append(out, s.Secret.Reveal())
	}
	return out
}

// loadIncludes merges the sources and rules of every file the include
// globs name (sorted), reporting problems with the included file's name.
func (c *Config) loadIncludes(h interface{ Write([]byte) (int, error) }, env Env, sec *secretSet) Errors {
	var errs Errors
	srcFile := map[string]string{}
	for name := range c.Sources {
		srcFile[name] = filepath.Base(c.Path)
	}
	for i, pattern := range c.Include {
		files, err := c.fs.Glob(FilePath(c.Dir, pattern))
		if err != nil {
			errs.Add(fmt.Sprintf("include[%d]", i), "bad pattern %q: %v", pattern, err)
			continue
		}
		if len(files) == 0 && !hasMeta(pattern) {
			// A named file that is missing (deleted, or being re-created)
			// refuses the load: the rules it holds must not vanish for a moment.
			errs.Add(fmt.Sprintf("include[%d]", i), "%s: file not found", pattern)
			continue
		}
		sort.Strings(files)
		for _, file := range files {
			rel, _ := filepath.Rel(c.Dir, file)
			data, err := c.fs.ReadFile(file)
			if err != nil {
				errs = append(errs, Problem{File: rel, Msg: fmt.Sprintf("read: %v", err)})
				continue
			}
			h.Write([]byte(rel))
			h.Write(data)
			c.Files[rel] = data
			c.trees.add(rel, data)
			var inc included
			if problems := decodeInclude(data, env, &inc, sec); len(problems) > 0 {
				for _, pr := range problems {
					pr.File = rel
					errs = append(errs, pr)
				}
				continue
			}
			names := make([]string, 0, len(inc.Sources))
			for n := range inc.Sources {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, n := range names {
				if first, dup := srcFile[n]; dup {
					errs = append(errs, Problem{File: rel, Path: "sources." + n, Msg: "source already defined in " + first})
					continue
				}
				if c.Sources == nil {
					c.Sources = map[string]Source{}
				}
				c.Sources[n] = inc.Sources[n]
				srcFile[n] = rel
			}
			for j, r := range inc.Rules {
				r.File, r.Index = rel, j
				c.Rules = append(c.Rules, r)
			}
		}
	}
	return errs
}

func decodeInclude(data []byte, env Env, out *included, sec *secretSet) Errors {
	if len(bytes.TrimSpace(stripComments(data))) == 0 {
		return nil
	}
	k := koanf.New("\x1f")
	if err := k.Load(rawbytes.Provider(data), yaml.Parser()); err != nil {
		return Errors{{Msg: fmt.Sprintf("YAML syntax: %v", err)}}
	}
	raw := k.Raw()
	var errs Errors
	expandEnv(raw, "", env, &errs, sec)
	sec.tree(raw)
	errs = append(errs, CheckKeys(raw, reflect.TypeOf(included{}), "")...)
	if len(errs) > 0 {
		return errs
	}
	if err := Decode(raw, out); err != nil {
		var pe Errors
		pe.AddErr("", err)
		return pe
	}
	return nil
}
