package e2e

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/store"
	"github.com/hookrunner/hookrunner/store/sqlite"
)

// floodConfig is the main config file of TestSlowRewriteDuringFlood: rules
// "first", "second" (unless drop) and "third", and the named include
// rules.d/extra.yaml with rule "inc". rev makes every save a new revision.
// The dropped rule is in the middle, so a config cut short by a half-written
// save (first, or first and second) is told apart from the dropping save.
func floodConfig(addr, adm string, rev int, drop bool) string {
	rule := func(name string) string {
		return fmt.Sprintf(`  - name: %s
    source: gh
    events: [push]
    actions:
      - shell: { command: ["/bin/sh", "-c", "echo \"%s $HOOKRUNNER_EVENT_ID $HOOKRUNNER_RUN_ID $HOOKRUNNER_ATTEMPT\" >> runs.log"] }
`, name, name)
	}
	cfg := fmt.Sprintf(`# revision %d
server: { listen: %q }
admin: { listen: %q }
store: { driver: sqlite, dsn: hr.db }
runner: { workers: 4, poll_interval: 100ms }
log: { level: info }
include: [rules.d/extra.yaml]
sources:
  gh: { provider: github, secret: flood-secret }
rules:
`, rev, addr, adm)
	cfg += rule("first")
	if !drop {
		cfg += rule("second")
	}
	return cfg + rule("third")
}

func floodInclude(rev int) string {
	return fmt.Sprintf(`# include revision %d
rules:
  - name: inc
    source: gh
    events: [push]
    actions:
      - shell: { command: ["/bin/sh", "-c", "echo \"inc $HOOKRUNNER_EVENT_ID $HOOKRUNNER_RUN_ID $HOOKRUNNER_ATTEMPT\" >> runs.log"] }
`, rev)
}

// writeSlowly saves text to path the way a slow editor or scp does: open
// with O_TRUNC, write the bytes before cut, pause, write the rest.
func writeSlowly(t *testing.T, path, text string, cut int, pause time.Duration) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		t.Error(err)
		return
	}
	defer f.Close()
	if _, err := f.WriteString(text[:cut]); err != nil {
		t.Error(err)
		return
	}
	time.Sleep(pause) // input: the writer pauses between its pieces
	if _, err := f.WriteString(text[cut:]); err != nil {
		t.Error(err)
	}
}

// TestSlowRewriteDuringFlood floods signed GitHub events from 10 clients
// while hooks.yaml and its named include are rewritten slowly and in pieces
// (a third, a pause of 100-400 ms, the rest; cut both mid-line and at a rule
// boundary, where the first part alone is a valid smaller config), the
// include is deleted and re-created, and one save drops a rule. The file
// watcher reloads throughout. Every acknowledged event must be stored with
// the runs of a whole config (all four rules, or the three of the save that
// dropped "second"), never those of a half-written file or of a config
// without its include; every run must succeed, its action having run, and
// no run may go dead.
func TestSlowRewriteDuringFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	dir := t.TempDir()
	addr, adm := freePort(t), freePort(t)
	cfgPath := filepath.Join(dir, "hooks.yaml")
	incPath := filepath.Join(dir, "rules.d", "extra.yaml")
	if err := os.MkdirAll(filepath.Dir(incPath), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfgPath, []byte(floodConfig(addr, adm, 0, false)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(incPath, []byte(floodInclude(0)), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startProc(t, dir, "hooks.yaml", addr)
	stopped := false
	defer func() {
		if !stopped {
			p.kill()
		}
	}()

	const total, clients = 1500, 10
	acked := make([]string, total)
	var nAcked atomic.Int32
	work := make(chan int, total)
	for i := range total {
		work <- i
	}
	close(work)
	client := &http.Client{Timeout: 10 * time.Second}
	send := func(i int) (string, int, error) {
		body := fmt.Sprintf(`{"ref": "refs/heads/main", "after": "%040d", "n": %d}`, i, i)
		mac := hmac.New(sha256.New, []byte("flood-secret"))
		mac.Write([]byte(body))
		req, _ := http.NewRequest("POST", "http://"+addr+"/hooks/gh", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-GitHub-Event", "push")
		req.Header.Set("X-GitHub-Delivery", fmt.Sprintf("flood-%d", i))
		req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
		resp, err := client.Do(req)
		if err != nil {
			return "", 0, err
		}
		defer resp.Body.Close()
		var ans struct{ ID string }
		_ = json.NewDecoder(resp.Body).Decode(&ans)
		return ans.ID, resp.StatusCode, nil
	}
	floodDone := make(chan struct{})
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				for try := 0; try < 100; try++ {
					id, code, err := send(i)
					if err == nil && code/100 == 2 && id != "" {
						acked[i] = id
						nAcked.Add(1)
						break
					}
					time.Sleep(50 * time.Millisecond) // input: a sender retries
				}
				// About 150 events/s in all, so the flood spans ~10 s of
				// rewrites.
				time.Sleep(60 * time.Millisecond) // input: the flood's pace
			}
		}()
	}
	go func() { wg.Wait(); close(floodDone) }()

	// The rewriter: until the flood ends, cycle through the slow saves.
	rng := rand.New(rand.NewPCG(19, 1))
	pause := func() time.Duration { return time.Duration(100+rng.IntN(300)) * time.Millisecond }
	rev, ops := 0, 0
	for done := false; !done; {
		select {
		case <-floodDone:
			done = true
			continue
		default:
		}
		rev++
		switch ops % 4 {
		case 0: // mid-line: a third of the bytes, then the rest
			text := floodConfig(addr, adm, rev, false)
			writeSlowly(t, cfgPath, text, len(text)/3, pause())
		case 1: // at a rule boundary: the first part is a valid config with rule "first" only
			text := floodConfig(addr, adm, rev, false)
			cut := strings.Index(text, "  - name: second")
			writeSlowly(t, cfgPath, text, cut, pause())
		case 2: // the named include deleted, then re-created slowly
			if err := os.Remove(incPath); err != nil {
				t.Fatal(err)
			}
			time.Sleep(pause()) // input: the include is absent a while
			text := floodInclude(rev)
			writeSlowly(t, incPath, text, len(text)/3, pause())
		case 3: // a whole save that drops rule "second", then one that restores it
			text := floodConfig(addr, adm, rev, true)
			writeSlowly(t, cfgPath, text, len(text)/3, pause())
			time.Sleep(pause()) // input: the reduced config stands a while
			rev++
			text = floodConfig(addr, adm, rev, false)
			cut := strings.Index(text, "  - name: third")
			writeSlowly(t, cfgPath, text, cut, pause())
		}
		ops++
		time.Sleep(pause()) // input: the pace of the rewrites
	}
	if n := nAcked.Load(); n != total {
		t.Fatalf("only %d of %d events were acknowledged", n, total)
	}
	if ops < 8 {
		t.Fatalf("only %d rewrites during the flood; the flood was too short to test anything", ops)
	}

	// Wait for the queue to drain through the admin API's counts.
	waitUntil(t, "no pending, running or retrying run", 120*time.Second, func() bool {
		out, _ := runCLI(t, dir, "runs", "--config", "hooks.yaml", "--state", "pending", "--limit", "1")
		out2, _ := runCLI(t, dir, "runs", "--config", "hooks.yaml", "--state", "running", "--limit", "1")
		out3, _ := runCLI(t, dir, "runs", "--config", "hooks.yaml", "--state", "retrying", "--limit", "1")
		return strings.Count(out, "\n") <= 1 && strings.Count(out2, "\n") <= 1 && strings.Count(out3, "\n") <= 1
	})
	p.term(t)
	stopped = true

	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "hr.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	counts, err := st.CountStates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if counts[store.Dead] != 0 {
		t.Errorf("%d runs dead, want none", counts[store.Dead])
	}
	ran := map[string]int{} // run id → lines in runs.log
	for _, l := range readLines(filepath.Join(dir, "runs.log")) {
		if f := strings.Fields(l); len(f) == 4 {
			ran[f[2]]++
		}
	}
	full := []string{"first", "inc", "second", "third"}
	dropped := []string{"first", "inc", "third"}
	sets := map[string]int{}
	bad := 0
	for i, id := range acked {
		if _, err := st.GetEvent(ctx, id); err != nil {
			t.Fatalf("acknowledged event %d (%s) is not in the store: %v", i, id, err)
		}
		runs, err := st.ListRuns(ctx, store.RunFilter{EventID: id})
		if err != nil {
			t.Fatal(err)
		}
		var rules []string
		for _, r := range runs {
			rules = append(rules, r.Rule)
			if r.State != store.Succeeded {
				t.Errorf("event %d: run %s of rule %s is %s: %s", i, r.ID, r.Rule, r.State, r.LastError)
			}
			if n := ran[r.ID]; n != 1 {
				t.Errorf("event %d: run %s of rule %s: its action ran %d times, want 1", i, r.ID, r.Rule, n)
			}
		}
		sort.Strings(rules)
		key := strings.Join(rules, ",")
		sets[key]++
		if !slices.Equal(rules, full) && !slices.Equal(rules, dropped) {
			if bad++; bad <= 5 {
				t.Errorf("event %d matched rules [%s]: not a whole config (a half-written or include-less config was in force)", i, key)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d events matched under a partial config\nlogs:\n%s", bad, total, lastLines(p.logs.String(), 40))
	}
	t.Logf("%d events acknowledged during %d slow rewrites; rule sets: %v; run states: %v", total, ops, sets, counts)
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
