package config_test

import (
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/hookrunner/hookrunner/config"
)

// notPaths are the string fields of hooks.yaml that hold no path, each
// decided once. A new string field fails TestEveryPathFieldIsTagged until
// it is tagged path:"…" (resolved against the config's folder) or listed
// here, so no path field is forgotten by the resolve pass.
var notPaths = map[string]bool{
	"Server.listen": true, "Server.trusted_proxies": true,
	"Store.driver": true, "Store.synchronous": true,
	"Admin.listen": true, "Admin.hosts": true,
	"Log.level": true, "Log.format": true,
	"Source.provider": true, "Source.allow_ips": true, "Source.public_url": true, "Source.username": true,
	"Source.verify": true, "Source.header": true, "Source.query_param": true, "Source.algorithm": true,
	"Source.encoding": true, "Source.prefix": true, "Source.event_header": true, "Source.id_header": true,
	"Source.timestamp_header": true, "Source.organization_id": true,
	"ListenToken.name": true, "ListenToken.sources": true,
	"Alert.name": true, "Alert.on": true, "Alert.rules": true,
	"Source.app_id": true, "Source.public_key": true, "Source.audience": true, "Source.service_account": true, "Source.topics": true,
	// path: is the source's URL path under /hooks/, not a file.
	"Source.path": true,
	// tests: globs are resolved by Config.TestFiles against the config's
	// folder, so its errors can name the pattern as written.
	"File.tests":        true,
	"Decrypt.algorithm": true,
	"Poll.url":          true, "Poll.method": true, "Poll.body": true, "Poll.items": true, "Poll.id": true,
	"Poll.cursor": true, "Poll.event": true, "Poll.initial": true,
	"Rule.name": true, "Rule.source": true, "Rule.events": true, "Rule.if": true, "Rule.respond": true,
}

func TestEveryPathFieldIsTagged(t *testing.T) {
	fields := config.StringFields(reflect.TypeOf(config.File{}))
	var problems []string
	for name, kind := range fields {
		switch {
		case kind == "" && !notPaths[name]:
			problems = append(problems, name+": a string field neither tagged path:\"file|program|dsn\" nor listed in notPaths")
		case kind != "" && notPaths[name]:
			problems = append(problems, name+": tagged as a path and listed in notPaths")
		}
	}
	for name := range notPaths {
		if _, ok := fields[name]; !ok {
			problems = append(problems, name+": listed in notPaths but no such field")
		}
	}
	sort.Strings(problems)
	for _, p := range problems {
		t.Error(p)
	}
	for _, want := range []string{"File.include", "TLS.cert_file", "TLS.key_file", "Store.dsn", "Admin.token_file",
		"Source.secret_file", "Source.bearer_file", "Source.password_file", "Decrypt.key_file", "Decrypt.private_key_file"} {
		if fields[want] == "" {
			t.Errorf("%s: not tagged as a path", want)
		}
	}
}

// fill sets every path-tagged string of v to a relative value, allocating
// pointers and adding one element to each slice and map on the way, so
// the resolve pass is shown to reach every field wherever it sits.
func fill(v reflect.Value, kind string, n *int) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		fill(v.Elem(), kind, n)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if f := v.Type().Field(i); f.IsExported() {
				fill(v.Field(i), f.Tag.Get("path"), n)
			}
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Map && v.Type().Elem().Elem().Kind() == reflect.Interface {
			return // actions: resolved by DecodeIn when each action is decoded
		}
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(v.Index(0), kind, n)
	case reflect.Map:
		if v.Type().Elem().Kind() != reflect.Struct {
			return
		}
		e := reflect.New(v.Type().Elem()).Elem()
		fill(e, kind, n)
		v.Set(reflect.MakeMap(v.Type()))
		v.SetMapIndex(reflect.ValueOf("x"), e)
	case reflect.String:
		if kind != "" {
			*n++
			v.SetString("rel/" + kind)
		}
	}
}

// collect lists every path-tagged string of v.
func collect(v reflect.Value, kind string, out *[]string) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			collect(v.Elem(), kind, out)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if f := v.Type().Field(i); f.IsExported() {
				collect(v.Field(i), f.Tag.Get("path"), out)
			}
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			collect(v.Index(i), kind, out)
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			collect(v.MapIndex(k), kind, out)
		}
	case reflect.String:
		if kind != "" {
			*out = append(*out, v.String())
		}
	}
}

func TestResolvePathsReachesEveryField(t *testing.T) {
	var f config.File
	n := 0
	fill(reflect.ValueOf(&f).Elem(), "", &n)
	if n < 10 {
		t.Fatalf("filled only %d path fields", n)
	}
	dir := t.TempDir()
	if err := config.ResolvePaths(&f, dir); err != nil {
		t.Fatal(err)
	}
	var got []string
	collect(reflect.ValueOf(f), "", &got)
	if len(got) != n {
		t.Fatalf("collected %d paths, filled %d", len(got), n)
	}
	for _, p := range got {
		if !strings.HasPrefix(p, dir+string(filepath.Separator)) {
			t.Errorf("path %q not resolved against %s", p, dir)
		}
	}
}

func TestPathRules(t *testing.T) {
	dir := "/etc/hookrunner"
	tests := []struct {
		name, kind, in, want string
	}{
		{"relative file", "file", "secrets/gh", "/etc/hookrunner/secrets/gh"},
		{"dot file", "file", "./gh", "/etc/hookrunner/gh"},
		{"parent file", "file", "../shared/gh", "/etc/shared/gh"},
		{"absolute file", "file", "/run/secrets/gh", "/run/secrets/gh"},
		{"empty file", "file", "", ""},
		{"glob", "file", "hooks.d/*.yaml", "/etc/hookrunner/hooks.d/*.yaml"},
		{"bare program keeps PATH", "program", "git", "git"},
		{"relative program", "program", "./deploy.sh", "/etc/hookrunner/deploy.sh"},
		{"program in a folder", "program", "scripts/deploy", "/etc/hookrunner/scripts/deploy"},
		{"absolute program", "program", "/usr/bin/env", "/usr/bin/env"},
		{"sqlite file", "dsn", "hookrunner.db", "/etc/hookrunner/hookrunner.db"},
		{"sqlite subfolder", "dsn", "data/h.db", "/etc/hookrunner/data/h.db"},
		{"sqlite absolute", "dsn", "/var/lib/hookrunner/db", "/var/lib/hookrunner/db"},
		{"file URI relative with query", "dsn", "file:data/h.db?_pragma=cache_size(-2000)", "file:/etc/hookrunner/data/h.db?_pragma=cache_size(-2000)"},
		{"file URI relative", "dsn", "file:h.db", "file:/etc/hookrunner/h.db"},
		{"file URI absolute", "dsn", "file:/var/h.db?x=1", "file:/var/h.db?x=1"},
		{"file URI triple slash", "dsn", "file:///var/h.db", "file:///var/h.db"},
		{"postgres URL", "dsn", "postgres://u@127.0.0.1/db", "postgres://u@127.0.0.1/db"},
		{"memory", "dsn", ":memory:", ":memory:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got string
			switch tt.kind {
			case "file":
				got = config.FilePath(dir, tt.in)
			case "program":
				got = config.ProgramPath(dir, tt.in)
			case "dsn":
				got = config.SQLitePath(dir, tt.in)
			}
			if got != tt.want {
				t.Errorf("%s %q = %q, want %q", tt.kind, tt.in, got, tt.want)
			}
		})
	}
}

// TestLoadResolvesAgainstConfigFolder loads a config through a relative
// path from another working directory: every relative path lands in the
// config's folder, none in the working directory.
func TestLoadResolvesAgainstConfigFolder(t *testing.T) {
	root := t.TempDir()
	cfgDir := filepath.Join(root, "other")
	os.MkdirAll(filepath.Join(cfgDir, "secrets"), 0o755)
	os.MkdirAll(filepath.Join(cfgDir, "hooks.d"), 0o755)
	os.WriteFile(filepath.Join(cfgDir, "secrets", "gh"), []byte("from-the-config-folder\n"), 0o600)
	os.WriteFile(filepath.Join(cfgDir, "hooks.d", "x.yaml"), []byte("rules:\n  - name: inc\n    source: github\n    actions: [ { shell: { command: [\"/bin/true\"] } } ]\n"), 0o600)
	y := strings.Replace(base, "secret: s3cr3t-value", "secret_file: secrets/gh", 1) + `
include: ["hooks.d/*.yaml"]
server: { tls: { cert_file: tls/cert.pem, key_file: tls/key.pem } }
`
	os.WriteFile(filepath.Join(cfgDir, "hooks.yaml"), []byte(y), 0o600)
	work := filepath.Join(root, "elsewhere")
	os.MkdirAll(work, 0o755)
	t.Chdir(work)

	c, err := config.Load("../other/hooks.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Sources["github"].Secret.Reveal(); got != "from-the-config-folder" {
		t.Errorf("secret_file read from the wrong place: %q", got)
	}
	if len(c.Rules) != 2 {
		t.Errorf("include not read from the config folder: %d rules", len(c.Rules))
	}
	for name, got := range map[string]string{
		"store.dsn (default)": c.Store.DSN, "include[0]": c.Include[0],
		"server.tls.cert_file": c.Server.TLS.CertFile, "server.tls.key_file": c.Server.TLS.KeyFile,
		"secret_file": c.Sources["github"].SecretFile,
	} {
		if !strings.HasPrefix(got, cfgDir+string(filepath.Separator)) {
			t.Errorf("%s = %q, want it under %s", name, got, cfgDir)
		}
	}
	if c.Store.DSN != filepath.Join(cfgDir, "hookrunner.db") {
		t.Errorf("store.dsn = %q", c.Store.DSN)
	}

	for _, tt := range []struct{ name, store, want string }{
		{"relative sqlite", "{ dsn: data/h.db }", filepath.Join(cfgDir, "data/h.db")},
		{"file URI with params", `{ dsn: "file:data/h.db?_pragma=cache_size(-2000)" }`, "file:" + filepath.Join(cfgDir, "data/h.db") + "?_pragma=cache_size(-2000)"},
		{"postgres keyword DSN left alone", `{ driver: postgres, dsn: "host=127.0.0.1 dbname=x" }`, "host=127.0.0.1 dbname=x"},
		{"postgres URL left alone", `{ driver: postgres, dsn: "postgres://u@127.0.0.1/x" }`, "postgres://u@127.0.0.1/x"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			os.WriteFile(filepath.Join(cfgDir, "hooks.yaml"), []byte(base+"\nstore: "+tt.store+"\n"), 0o600)
			c, err := config.Load("../other/hooks.yaml")
			if err != nil {
				t.Fatal(err)
			}
			if c.Store.DSN != tt.want {
				t.Errorf("store.dsn = %q, want %q", c.Store.DSN, tt.want)
			}
		})
	}
}

func TestEnvOverrideDSNRelativeToConfig(t *testing.T) {
	c, err := config.Parse("/etc/hookrunner/hooks.yaml", []byte(base), env(map[string]string{"HOOKRUNNER_STORE_DSN": "state/db"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Store.DSN != "/etc/hookrunner/state/db" {
		t.Fatalf("store.dsn = %q", c.Store.DSN)
	}
}
