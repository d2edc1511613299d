package app_test

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// rulesFor is a config whose rules are all named prefix-N and all match
// every push.
func rulesFor(prefix string, n int) string {
	var b strings.Builder
	b.WriteString("sources:\n  github: { provider: github, secret: \"gh-test-secret\" }\nrules:\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "  - name: %s%d\n    source: github\n    events: [push]\n    actions: [ { shell: { command: [\"/bin/true\"] } } ]\n", prefix, i)
	}
	return b.String()
}

func (in *instance) full(rules string) []byte {
	return []byte(header + "store: { driver: sqlite, dsn: \"" + filepath.Join(in.dir, "hr.db") + "\" }\n" + rules)
}

func (in *instance) matched(t *testing.T) (int, string) {
	t.Helper()
	code, ans := in.postGitHub(t, "gh-test-secret", "push", "", pushBody("refs/heads/main", "x"))
	return code, fmt.Sprint(ans["matched"])
}

func (in *instance) waitMatched(t *testing.T, want string, within time.Duration) {
	t.Helper()
	var got string
	defer func() {
		if t.Failed() {
			t.Logf("rules last matched: %s\n%s", got, in.logs)
		}
	}()
	waitFor(t, "rules "+want, within, func() bool {
		_, got = in.matched(t)
		return got == want
	})
}

func TestReloadOnEverySaveStyle(t *testing.T) {
	styles := map[string]func(t *testing.T, path string, data []byte){
		"in-place write": func(t *testing.T, path string, data []byte) {
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0o600)
			if err != nil {
				t.Fatal(err)
			}
			// Written in two parts, as editors and `cat >` do.
			f.Write(data[:len(data)/2])
			time.Sleep(20 * time.Millisecond) // input: the writer pauses between its parts
			f.Write(data[len(data)/2:])
			f.Close()
		},
		"write temp and rename": func(t *testing.T, path string, data []byte) {
			tmp := path + ".tmp"
			os.WriteFile(tmp, data, 0o600)
			if err := os.Rename(tmp, path); err != nil {
				t.Fatal(err)
			}
		},
		"delete and recreate": func(t *testing.T, path string, data []byte) {
			os.Remove(path)
			time.Sleep(30 * time.Millisecond) // input: the file is absent a while, as an editor leaves it
			os.WriteFile(path, data, 0o600)
		},
		"vim backup rename": func(t *testing.T, path string, data []byte) {
			os.Rename(path, path+"~")
			os.WriteFile(path, data, 0o600)
			os.Remove(path + "~")
		},
	}
	for name, save := range styles {
		t.Run(name, func(t *testing.T) {
			in := start(t, rulesFor("a", 1), true)
			if !strings.Contains(in.logs.String(), "watching config for changes") {
				t.Fatalf("no config watcher reported ready:\n%s", in.logs)
			}
			in.waitMatched(t, "[a1]", 3*time.Second)
			save(t, in.cfgPath, in.full(rulesFor("b", 1)))
			in.waitMatched(t, "[b1]", 3*time.Second)
			// And again, so the watch survived the first save.
			save(t, in.cfgPath, in.full(rulesFor("c", 1)))
			in.waitMatched(t, "[c1]", 3*time.Second)
		})
	}
}

// A Kubernetes ConfigMap volume: hooks.yaml -> ..data/hooks.yaml, and an
// update swaps the ..data symlink to a new timestamped directory.
func TestReloadConfigMapSymlinkSwap(t *testing.T) {
	dir := t.TempDir()
	in := &instance{dir: dir}
	writeVersion := func(name string, data []byte) {
		os.MkdirAll(filepath.Join(dir, name), 0o755)
		os.WriteFile(filepath.Join(dir, name, "hooks.yaml"), data, 0o600)
	}
	writeVersion("..2026_11_22_10_00_00.1", in.full(rulesFor("a", 1)))
	os.Symlink("..2026_11_22_10_00_00.1", filepath.Join(dir, "..data"))
	os.Symlink("..data/hooks.yaml", filepath.Join(dir, "hooks.yaml"))

	in = startExisting(t, dir, true)
	in.waitMatched(t, "[a1]", 3*time.Second)

	writeVersion("..2026_11_22_10_05_00.2", in.full(rulesFor("b", 1)))
	os.Symlink("..2026_11_22_10_05_00.2", filepath.Join(dir, "..data_tmp"))
	if err := os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(filepath.Join(dir, "..2026_11_22_10_00_00.1"))
	in.waitMatched(t, "[b1]", 3*time.Second)
}

func TestBrokenReloadKeepsRunningConfig(t *testing.T) {
	in := start(t, rulesFor("a", 1), true)
	broken := map[string]string{
		"syntax error":    "sources: [unclosed\n",
		"unknown key":     strings.Replace(rulesFor("b", 1), "events:", "trigger_rule: x\n    events:", 1),
		"bad expression":  strings.Replace(rulesFor("b", 1), "events: [push]", "events: [push]\n    if: payload.ref ==", 1),
		"empty file":      "",
		"payload as code": strings.Replace(rulesFor("b", 1), `["/bin/true"]`, `["env", "bash", "-lc", "deploy {{ payload.ref }}"]`, 1),
	}
	for name, body := range broken {
		t.Run(name, func(t *testing.T) {
			data := in.full(body)
			if name == "empty file" {
				data = nil
			}
			os.WriteFile(in.cfgPath, data, 0o600)
			var status map[string]any
			waitFor(t, "the failed reload to show", 2*time.Second, func() bool {
				in.getJSON(t, "/api/status", &status)
				return status["last_reload_successful"] == false
			})
			if _, got := in.matched(t); got != "[a1]" {
				t.Fatalf("after a broken save rules are %s", got)
			}
			// The metrics are set just after the status: wait for them too.
			waitFor(t, "the metrics to show the failed reload", 5*time.Second, func() bool {
				resp, err := http.Get(in.adm + "/metrics")
				if err != nil {
					return false
				}
				metrics, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				return strings.Contains(string(metrics), "hookrunner_config_last_reload_successful 0") && strings.Contains(string(metrics), `hookrunner_config_reloads_total{result="failure"}`)
			})
			if status["last_reload_error"] == "" || status["hash"] == "" {
				t.Fatalf("status = %v", status)
			}
			if name == "payload as code" && !strings.Contains(fmt.Sprint(status["last_reload_error"]), `rules[0] (b1).actions[0].shell.command[3]: "deploy {{ payload.ref }}" would be read as code by bash -c`) {
				t.Fatalf("reload error does not name the rule and element: %v", status["last_reload_error"])
			}
			// Put the good config back (so the next case starts clean).
			os.WriteFile(in.cfgPath, in.full(rulesFor("a", 1)+"# "+name+"\n"), 0o600)
			waitFor(t, "the fix to apply", 2*time.Second, func() bool {
				in.getJSON(t, "/api/status", &status)
				return status["last_reload_successful"] == true
			})
		})
	}
	// Fixing the file applies the fix.
	os.WriteFile(in.cfgPath, in.full(rulesFor("b", 1)), 0o600)
	in.waitMatched(t, "[b1]", time.Second)
}

func TestReloadBySIGHUPAndEndpoint(t *testing.T) {
	in := start(t, rulesFor("a", 1), false) // no file watch
	// The watcher is started (and says so) before Run reports ready: none
	// was, so nothing will reload on the write below.
	if strings.Contains(in.logs.String(), "watching config for changes") {
		t.Fatalf("a config watcher was started with watch off:\n%s", in.logs)
	}
	os.WriteFile(in.cfgPath, in.full(rulesFor("b", 1)), 0o600)
	if _, got := in.matched(t); got != "[a1]" {
		t.Fatalf("reloaded without being asked (watch off): %s", got)
	}
	resp, err := http.Post(in.adm+"/-/reload", "", nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("reload endpoint: %v %d", err, resp.StatusCode)
	}
	resp.Body.Close()
	if _, got := in.matched(t); got != "[b1]" {
		t.Fatalf("after /-/reload: %s", got)
	}
	os.WriteFile(in.cfgPath, in.full("sources: {"), 0o600)
	resp, _ = http.Post(in.adm+"/-/reload", "", nil)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(body), "YAML syntax") {
		t.Fatalf("broken reload via endpoint: %d %s", resp.StatusCode, body)
	}
}

// A run executes under the rule it was matched with: a reload that fixes
// the rule does not change its retries (they fail as before, then go dead),
// a replay afterwards runs under the fixed rule; a run whose rule is then
// removed keeps all its attempts under its own definition.
func TestRetriesKeepTheirRule(t *testing.T) {
	dir := t.TempDir()
	fail := func(name, cmd string) string {
		return "sources:\n  github: { provider: github, secret: \"gh-test-secret\" }\nrules:\n" +
			"  - name: " + name + "\n    source: github\n    retry: { attempts: 3, backoff: 2s, max_backoff: 2s }\n" +
			"    actions: [ { shell: { command: [\"/bin/sh\", \"-c\", \"" + cmd + "\"] } } ]\n"
	}
	in := startIn(t, dir, fail("flaky", "exit 1"), true)
	_, ans := in.postGitHub(t, "gh-test-secret", "push", "", pushBody("refs/heads/main", "x"))
	ev := ans["id"].(string)
	var runs []map[string]any
	waitFor(t, "a failed first attempt", 5*time.Second, func() bool {
		in.getJSON(t, "/api/runs?event="+ev, &runs)
		return len(runs) == 1 && runs[0]["state"] == "retrying"
	})
	// The rule now succeeds, but the queued run keeps its own definition.
	var status map[string]any
	in.getJSON(t, "/api/status", &status)
	before := status["hash"]
	os.WriteFile(in.cfgPath, in.full(fail("flaky", "exit 0")), 0o600)
	waitFor(t, "the reload", 10*time.Second, func() bool {
		in.getJSON(t, "/api/status", &status)
		return status["hash"] != before
	})
	waitFor(t, "the run to spend its attempts under its own rule", 10*time.Second, func() bool {
		in.getJSON(t, "/api/runs?event="+ev, &runs)
		return runs[0]["state"] == "dead"
	})
	// A replay runs under the config in force: the fixed rule.
	resp, err := http.Post(in.adm+"/api/runs/"+runs[0]["id"].(string)+"/replay", "", nil)
	if err != nil || resp.StatusCode/100 != 2 {
		t.Fatalf("replay: %v %v", err, resp)
	}
	resp.Body.Close()
	waitFor(t, "the replay under the fixed rule", 10*time.Second, func() bool {
		in.getJSON(t, "/api/runs?event="+ev, &runs)
		for _, r := range runs {
			if r["state"] == "succeeded" {
				return true
			}
		}
		return false
	})
	// A failing run whose rule is then removed keeps retrying under its
	// own definition until its attempts are spent (never "rule removed").
	os.WriteFile(in.cfgPath, in.full(fail("doomed", "exit 1")), 0o600)
	in.waitMatchedRule(t, "doomed")
	_, ans = in.postGitHub(t, "gh-test-secret", "push", "", pushBody("refs/heads/main", "y"))
	ev = ans["id"].(string)
	waitFor(t, "a failed first attempt", 5*time.Second, func() bool {
		in.getJSON(t, "/api/runs?event="+ev, &runs)
		return len(runs) == 1 && runs[0]["state"] == "retrying"
	})
	os.WriteFile(in.cfgPath, in.full(fail("other", "exit 0")), 0o600)
	waitFor(t, "the orphaned run to spend its attempts", 10*time.Second, func() bool {
		in.getJSON(t, "/api/runs?event="+ev, &runs)
		return runs[0]["state"] == "dead"
	})
	if a, _ := runs[0]["attempt"].(float64); a != 3 {
		t.Fatalf("removed rule's run made %v attempts, want all 3: %v", runs[0]["attempt"], runs[0])
	}
}

func (in *instance) waitMatchedRule(t *testing.T, rule string) {
	t.Helper()
	waitFor(t, "rule "+rule+" in force", 2*time.Second, func() bool {
		_, got := in.matched(t)
		return got == "["+rule+"]"
	})
}

// Clients send continuously while the config is rewritten 100 times,
// alternating two valid configs and a broken one: every valid request is
// answered 2xx and matched against one whole config.
func TestReloadUnderLoad(t *testing.T) {
	in := start(t, rulesFor("a", 3), true)
	cfgA, cfgB := in.full(rulesFor("a", 3)), in.full(rulesFor("b", 3))
	brokenCfg := in.full(strings.Replace(rulesFor("b", 3), "events:", "evnts:", 1))
	stop := make(chan struct{})
	var sent, bad, mixed atomic.Int32
	var wg sync.WaitGroup
	for c := 0; c < 6; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				code, got := in.matched(t)
				sent.Add(1)
				if code != 202 {
					bad.Add(1)
				}
				if got != "[a1 a2 a3]" && got != "[b1 b2 b3]" {
					mixed.Add(1)
					t.Errorf("matched %s: not one whole config", got)
				}
			}
		}()
	}
	for i := 0; i < 100; i++ {
		data := [][]byte{cfgA, cfgB, brokenCfg}[i%3]
		tmp := in.cfgPath + ".tmp"
		os.WriteFile(tmp, data, 0o600)
		os.Rename(tmp, in.cfgPath)
		time.Sleep(30 * time.Millisecond) // input: the pace of the rewrites (some land within one debounce)
	}
	close(stop)
	wg.Wait()
	if bad.Load() != 0 || mixed.Load() != 0 || sent.Load() < 100 {
		t.Fatalf("sent %d, non-2xx %d, mixed %d", sent.Load(), bad.Load(), mixed.Load())
	}
	t.Logf("%d requests during 100 rewrites, all 2xx, none mixed", sent.Load())
}

// Files in an include: directory are watched: adding, editing and removing
// one reloads.
func TestReloadFollowsIncludedFiles(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "hooks.d"), 0o755)
	in := startIn(t, dir, rulesFor("a", 1)+"include: [\"hooks.d/*.yaml\"]\n", true)
	in.waitMatched(t, "[a1]", 3*time.Second)
	extra := "rules:\n  - name: extra\n    source: github\n    events: [push]\n    actions: [ { shell: { command: [\"/bin/true\"] } } ]\n"
	os.WriteFile(filepath.Join(dir, "hooks.d", "extra.yaml"), []byte(extra), 0o600)
	in.waitMatched(t, "[a1 extra]", 3*time.Second)
	os.WriteFile(filepath.Join(dir, "hooks.d", "extra.yaml"), []byte(strings.ReplaceAll(extra, "extra", "renamed")), 0o600)
	in.waitMatched(t, "[a1 renamed]", 3*time.Second)
	os.Remove(filepath.Join(dir, "hooks.d", "extra.yaml"))
	in.waitMatched(t, "[a1]", 3*time.Second)
}
