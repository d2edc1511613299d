package archtest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/hookrunner/hookrunner"

// rule says which packages of the project a group of packages may import.
// Packages are named relative to the module; "x/..." is x and everything
// under it; "*" is anything. The first rule whose pattern matches a
// package applies; a package no rule matches fails the test (a new room
// must be placed in the table).
type rule struct {
	pkg string
	may []string
	// todo names whose branch removes the imports in extra, tolerated
	// (logged) until it is merged; then delete both.
	todo  string
	extra []string
}

// Dependencies point down: cmd -> app -> server -> engine -> ruleset (the
// compiled config) -> config -> expression; payload (body decoding),
// providers, actions and store know none of the rooms above them;
// internal/* leaf packages know nothing of the project.
var rules = []rule{
	{pkg: "cmd/...", may: []string{"*"}},
	{pkg: "e2e", may: []string{"*"}},       // end-to-end tests of the binary
	{pkg: "bench/...", may: []string{"*"}}, // benchmarks
	{pkg: "examples", may: []string{"*"}},  // runnable examples and their tests
	{pkg: "internal/archtest", may: nil},
	{pkg: "app", may: []string{"server", "engine", "ruleset", "payload", "config", "expression", "providers/...", "actions/...", "store/...", "importer", "internal/..."}},
	// ops: what the CLI does apart from its flags (reads, replays, explains,
	// prints), against the store of a config or a server's admin API.
	{pkg: "ops", may: []string{"app", "server", "search", "engine", "ruleset", "payload", "config", "expression", "providers", "sender", "store", "internal/..."}},
	{pkg: "importer", may: []string{"config", "expression", "providers", "internal/..."}},
	{pkg: "sender", may: []string{"ruleset", "config", "providers/...", "store", "internal/..."}},
	// ruletest: rule tests (`hookrunner test`); decides with ruleset, runs nothing.
	{pkg: "ruletest", may: []string{"ruleset", "payload", "config", "expression", "providers", "providers/decrypt", "actions", "internal/..."}},
	{pkg: "server", may: []string{"search", "engine", "ruleset", "payload", "config", "expression", "providers", "store", "internal/..."}},
	// engine and ruleset: registries and interfaces only, never a concrete
	// action or provider (those are registered from cmd/hookrunner/imports.go).
	{pkg: "engine", may: []string{"ruleset", "payload", "config", "expression", "providers", "actions", "alerts", "destination", "metrics", "store", "internal/..."}},
	// metrics: the Prometheus metrics of the engine and the ingress.
	{pkg: "metrics", may: []string{"store"}},
	{pkg: "alerts", may: []string{"ruleset", "expression", "actions", "internal/..."}},
	{pkg: "destination", may: []string{"actions", "config", "store", "internal/..."}},
	// search: stored events narrowed in SQL, then an expr filter (issue 27).
	{pkg: "search", may: []string{"ruleset", "payload", "expression", "providers", "store", "internal/..."}},
	// ruleset: the compiled config; it runs and stores nothing.
	{pkg: "ruleset", may: []string{"payload", "config", "expression", "providers", "providers/decrypt", "actions", "internal/..."}},
	// payload: body decoding; providers only for what a verification covered.
	{pkg: "payload", may: []string{"providers", "internal/..."}},
	{pkg: "config", may: []string{"expression", "providers/decrypt", "internal/..."}},
	{pkg: "expression", may: []string{"internal/..."}},
	{pkg: "providers/...", may: []string{"providers/...", "internal/..."}},
	{pkg: "actions/...", may: []string{"actions/...", "expression", "internal/..."}},
	{pkg: "store/...", may: []string{"store/...", "internal/..."}},
	// listen: the client of `hookrunner listen`; knows the relay and the wire, nothing of the server.
	{pkg: "listen", may: []string{"internal/..."}},
	{pkg: "internal/...", may: []string{"internal/..."}},
}

// Sizes.
const (
	maxFileLines   = 600
	maxEngineLines = 2000
)

// sizeTODO lists the files known to be over maxFileLines, with whose
// branch splits them; an entry no longer needed is reported.
var sizeTODO = map[string]string{}

// engineTODO is why engine/ is still over maxEngineLines ("" when not).
const engineTODO = ""

func match(pattern, pkg string) bool {
	if pattern == "*" {
		return true
	}
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return pkg == base || strings.HasPrefix(pkg, base+"/")
	}
	return pkg == pattern
}

type listed struct {
	ImportPath string
	Dir        string
	Imports    []string
	GoFiles    []string
	Standard   bool
	Module     *struct{ Path string }
}

// goList runs go list -json in the module root and decodes every package.
func goList(t *testing.T, args ...string) []listed {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list", "-json"}, args...)...)
	cmd.Dir = moduleRoot(t)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %v: %v\n%s", args, err, stderr.String())
	}
	var pkgs []listed
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listed
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		t.Fatalf("module root: %v", err)
	}
	return dir
}

func rel(path string) (string, bool) {
	if path == module {
		return "", true
	}
	return strings.CutPrefix(path, module+"/")
}

// TestImportRules checks every package's direct imports of the project
// against the rules.
func TestImportRules(t *testing.T) {
	for _, p := range goList(t, "./...") {
		pkg, _ := rel(p.ImportPath)
		i := slices.IndexFunc(rules, func(r rule) bool { return match(r.pkg, pkg) })
		if i < 0 {
			t.Errorf("%s: no import rule places this package: add it to the table", pkg)
			continue
		}
		r := rules[i]
		for _, imp := range p.Imports {
			dep, ours := rel(imp)
			if !ours {
				continue
			}
			if slices.ContainsFunc(r.may, func(m string) bool { return match(m, dep) }) {
				continue
			}
			if r.todo != "" && slices.Contains(r.extra, dep) {
				t.Logf("TODO(%s): %s imports %s", r.todo, pkg, dep)
				continue
			}
			t.Errorf("%s imports %s: the rule for %s allows only %v", pkg, dep, r.pkg, r.may)
		}
	}
}

// TestServerTestsOpenNoStore: the server is tested with fakes, so its test
// binary links no store backend (no database, no SQLite file).
func TestServerTestsOpenNoStore(t *testing.T) {
	for _, p := range goList(t, "-test", "-deps", "./server/...") {
		dep, _ := rel(p.ImportPath)
		for _, backend := range []string{"store/sqlite", "store/postgres", "store/sqlstore", "internal/pgtest"} {
			if match(backend+"/...", dep) {
				t.Errorf("the server's tests depend on %s: use a fake of the interfaces in server/deps.go", dep)
			}
		}
	}
}

func lines(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		n++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSizes: no non-test Go file over maxFileLines; engine/ (its own
// files, not its tests) under maxEngineLines.
func TestSizes(t *testing.T) {
	engine := 0
	for _, p := range goList(t, "./...") {
		pkg, _ := rel(p.ImportPath)
		for _, f := range p.GoFiles {
			n := lines(t, filepath.Join(p.Dir, f))
			name := pkg + "/" + f
			if pkg == "engine" {
				engine += n
			}
			if n <= maxFileLines {
				if why, ok := sizeTODO[name]; ok {
					t.Logf("%s is %d lines now: remove its sizeTODO entry (%s)", name, n, why)
				}
				continue
			}
			if why, ok := sizeTODO[name]; ok {
				t.Logf("TODO(%s): %s is %d lines (limit %d)", why, name, n, maxFileLines)
				continue
			}
			t.Errorf("%s is %d lines: split it by job (limit %d)", name, n, maxFileLines)
		}
	}
	if engine >= maxEngineLines {
		if engineTODO != "" {
			t.Logf("TODO(%s): engine/ is %d lines (limit %d)", engineTODO, engine, maxEngineLines)
			return
		}
		t.Errorf("engine/ is %d lines of non-test Go (limit %d): move what is not the engine's job out", engine, maxEngineLines)
	}
}
