// Command chaos sends signed webhook events at a steady rate to the real
// hookrunner binary while it is killed with SIGKILL at a fixed interval and
// restarted at once: first one process on SQLite, then two replicas on one
// PostgreSQL schema, killed in turn. At the end it checks the store and the
// action's log:
//
//   - every acknowledged (2xx) event is stored, with its run;
//   - every run succeeded;
//   - a run whose action ran more than once did so only because an attempt
//     was cut short by a kill: each copy has its own attempt number, and no
//     earlier attempt recorded a finish.
//
// It talks only to 127.0.0.1, every loop is bounded, and it stops by itself.
//
//	go run ./bench/chaos                         # 100,000 events, SIGKILL every 30 s
//	go run ./bench/chaos -events 2000 -kill-every 3s -stores sqlite
//	go run ./bench/chaos -record bench/RESULTS.md -label "..."
package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"github.com/hookrunner/hookrunner/engine"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

type options struct {
	bin       string
	events    int
	rate      int
	killEvery time.Duration
	maxKills  int
	stores    []string
	pgDSN     string
	clients   int
	workers   int
	drain     time.Duration
	timeout   time.Duration
	record    string
	label     string
	keep      bool
}

func main() {
	var o options
	var stores string
	flag.StringVar(&o.bin, "hookrunner", "", "hookrunner binary (built from ./cmd/hookrunner when empty)")
	flag.IntVar(&o.events, "events", 100_000, "events to send in each scenario")
	flag.IntVar(&o.rate, "rate", 500, "events sent per second")
	flag.DurationVar(&o.killEvery, "kill-every", 30*time.Second, "SIGKILL a hookrunner process this often while sending")
	flag.IntVar(&o.maxKills, "max-kills", 0, "stop killing after this many kills per scenario (0: no limit)")
	flag.StringVar(&stores, "stores", "sqlite,postgres", "scenarios: sqlite (one process), postgres (two replicas; skipped without -postgres)")
	flag.StringVar(&o.pgDSN, "postgres", os.Getenv("HOOKRUNNER_TEST_POSTGRES"), "PostgreSQL DSN; a dedicated schema is created and dropped")
	flag.IntVar(&o.clients, "clients", 32, "concurrent senders")
	flag.IntVar(&o.workers, "workers", 8, "runner.workers of each hookrunner")
	flag.DurationVar(&o.drain, "drain", 15*time.Minute, "longest wait for the queue to finish after sending")
	flag.DurationVar(&o.timeout, "timeout", 2*time.Hour, "longest the whole tool may run")
	flag.StringVar(&o.record, "record", "", "write the summary into this markdown file under the \"## Chaos\" heading")
	flag.StringVar(&o.label, "label", "", "label of the recorded run (e.g. \"reduced run\")")
	flag.BoolVar(&o.keep, "keep", false, "keep the working directories (logs, SQLite file)")
	flag.Parse()
	for _, s := range strings.Split(stores, ",") {
		if s = strings.TrimSpace(s); s != "" {
			o.stores = append(o.stores, s)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	if err := run(ctx, o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		os.Exit(1)
	}
}

// result is what one scenario measured and found.
type result struct {
	Store       string
	Replicas    int
	Events      int
	Acked       int
	NotAcked    int // gave up after retrying (not a loss: never acknowledged)
	Lost        int // acknowledged but not stored, or stored without its run
	Runs        int
	Succeeded   int
	Unfinished  int // runs not succeeded at the end
	Reran       int // runs whose action ran more than once, each explained by a kill
	Unexplained int // runs that ran twice in one attempt, or after a recorded finish
	NeverRan    int // succeeded runs whose action left no line
	Kills       int
	MaxReran    int // upper bound for Reran: kills × (1 + engine.RecordingPerWorker) × workers (actions in flight, and outcomes being recorded)
	Send        time.Duration
	Total       time.Duration
	Problems    []string
}

func (r *result) failed() bool {
	return r.Lost > 0 || r.Unfinished > 0 || r.Unexplained > 0 || r.NeverRan > 0 || r.Reran > r.MaxReran || r.NotAcked > 0
}

func (r *result) problem(format string, args ...any) {
	if len(r.Problems) < 10 {
		r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
	}
}

func run(ctx context.Context, o options, out io.Writer) error {
	if o.events <= 0 || o.rate <= 0 || o.killEvery <= 0 {
		return errors.New("-events, -rate and -kill-every must be positive")
	}
	tmp, err := os.MkdirTemp("", "hookrunner-chaos")
	if err != nil {
		return err
	}
	if !o.keep {
		defer os.RemoveAll(tmp)
	}
	if o.bin == "" {
		o.bin = filepath.Join(tmp, "hookrunner")
		fmt.Fprintln(out, "building hookrunner ...")
		if b, err := exec.CommandContext(ctx, "go", "build", "-o", o.bin, "./cmd/hookrunner").CombinedOutput(); err != nil {
			return fmt.Errorf("build hookrunner (run from the repository root): %w\n%s", err, b)
		}
	}
	started := time.Now()
	var results []*result
	for _, s := range o.stores {
		var r *result
		switch s {
		case "sqlite":
			r, err = scenario(ctx, o, filepath.Join(tmp, "sqlite"), "sqlite", 1, out)
		case "postgres":
			if o.pgDSN == "" {
				fmt.Fprintln(out, "postgres: skipped (no -postgres or HOOKRUNNER_TEST_POSTGRES)")
				continue
			}
			r, err = scenario(ctx, o, filepath.Join(tmp, "postgres"), "postgres", 2, out)
		default:
			return fmt.Errorf("unknown store %q (sqlite, postgres)", s)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
		results = append(results, r)
	}
	summary := markdown(o, results, time.Since(started))
	fmt.Fprintln(out)
	fmt.Fprint(out, summary)
	if o.keep {
		fmt.Fprintln(out, "working directories kept in", tmp)
	}
	if o.record != "" {
		if err := record(o.record, summary); err != nil {
			return err
		}
		fmt.Fprintln(out, "recorded in", o.record)
	}
	for _, r := range results {
		if r.failed() {
			return fmt.Errorf("%s: the run found problems (see above)", r.Store)
		}
	}
	return nil
}

// instance is one hookrunner process, restarted on the same ports.
type instance struct {
	dir, addr, admin string
	bin              string
	mu               sync.Mutex
	cmd              *exec.Cmd
	done             chan struct{}
}

func (in *instance) start(ctx context.Context) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	logf, err := os.OpenFile(filepath.Join(in.dir, "hookrunner.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	cmd := exec.Command(in.bin, "serve", "--config", "hooks.yaml", "--watch=false")
	cmd.Dir = in.dir
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start hookrunner: %w", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); logf.Close(); close(done) }()
	in.cmd, in.done = cmd, done
	deadline := time.Now().Add(30 * time.Second)
	for {
		if c, err := net.DialTimeout("tcp", in.addr, 200*time.Millisecond); err == nil {
			c.Close()
			return nil
		}
		select {
		case <-done:
			return fmt.Errorf("hookrunner exited at start (see %s)", filepath.Join(in.dir, "hookrunner.log"))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("hookrunner did not listen on %s within 30s", in.addr)
		}
	}
}

func (in *instance) signal(sig syscall.Signal, wait time.Duration) {
	in.mu.Lock()
	cmd, done := in.cmd, in.done
	in.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(sig)
	select {
	case <-done:
	case <-time.After(wait):
		_ = cmd.Process.Kill()
		<-done
	}
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

const secret = "chaos-secret"

func config(addr, admin, driver, dsn, logPath string, workers int) string {
	return fmt.Sprintf(`server: { listen: %q, shutdown_grace: 10s }
admin: { listen: %q }
store: { driver: %s, dsn: %q }
runner: { workers: %d, poll_interval: 100ms, lease: 5s }
log: { level: warn }
sources:
  gh: { provider: github, secret: %s }
rules:
  - name: record
    source: gh
    events: [push]
    actions:
      - shell: { command: ["/bin/sh", "-c", "echo \"$HOOKRUNNER_RUN_ID $HOOKRUNNER_ATTEMPT $HOOKRUNNER_EVENT_ID\" >> %s"] }
`, addr, admin, driver, dsn, workers, secret, logPath)
}

// scenario runs one store: n instances, the senders and the killer.
func scenario(ctx context.Context, o options, dir, driver string, n int, out io.Writer) (*result, error) {
	res := &result{Store: driver, Replicas: n, Events: o.events}
	start := time.Now()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, "runs.log")
	dsn := filepath.Join(dir, "hr.db")
	if driver == "postgres" {
		var drop func()
		var err error
		dsn, drop, err = pgSchema(ctx, o.pgDSN)
		if err != nil {
			return nil, err
		}
		defer drop()
	}
	var insts []*instance
	for i := range n {
		in := &instance{dir: filepath.Join(dir, fmt.Sprintf("hr%d", i)), bin: o.bin}
		var err error
		if in.addr, err = freePort(); err != nil {
			return nil, err
		}
		if in.admin, err = freePort(); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(in.dir, 0o700); err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(in.dir, "hooks.yaml"), []byte(config(in.addr, in.admin, driver, dsn, logPath, o.workers)), 0o600); err != nil {
			return nil, err
		}
		if err := in.start(ctx); err != nil {
			return nil, err
		}
		insts = append(insts, in)
	}
	defer func() {
		for _, in := range insts {
			in.signal(syscall.SIGKILL, 10*time.Second)
		}
	}()
	fmt.Fprintf(out, "%s: %d replica(s), sending %d events at %d/s, SIGKILL every %s\n", driver, n, o.events, o.rate, o.killEvery)

	// The senders: a pacer hands out event numbers at the rate; each
	// sender posts its event until a 2xx (retrying through restarts).
	acked := make([]string, o.events)
	var nAcked, nGaveUp atomic.Int64
	work := make(chan int, o.clients*4)
	sendCtx, stopSend := context.WithCancel(ctx)
	defer stopSend()
	go func() {
		defer close(work)
		t0 := time.Now()
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		next := 0
		for next < o.events {
			select {
			case <-sendCtx.Done():
				return
			case <-tick.C:
			}
			due := min(o.events, int(time.Since(t0).Seconds()*float64(o.rate)))
			for ; next < due; next++ {
				select {
				case work <- next:
				case <-sendCtx.Done():
					return
				}
			}
		}
	}()
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: o.clients}}
	tag := strconv.FormatInt(time.Now().UnixNano(), 36)
	var senders sync.WaitGroup
	for range o.clients {
		senders.Add(1)
		go func() {
			defer senders.Done()
			for i := range work {
				deadline := time.Now().Add(2 * time.Minute)
				for try := 0; ; try++ {
					id, ok := send(sendCtx, client, insts[(i+try)%n].addr, tag, i)
					if ok {
						acked[i] = id
						nAcked.Add(1)
						break
					}
					if time.Now().After(deadline) || sendCtx.Err() != nil {
						nGaveUp.Add(1)
						break
					}
					time.Sleep(50 * time.Millisecond) // a sender retries
				}
			}
		}()
	}
	sendDone := make(chan struct{})
	go func() { senders.Wait(); close(sendDone) }()

	// The killer: SIGKILL one instance (in turn) every interval while
	// sending, restart it at once.
	kill := time.NewTicker(o.killEvery)
	progress := time.NewTicker(10 * time.Second)
sending:
	for {
		select {
		case <-sendDone:
			break sending
		case <-ctx.Done():
			kill.Stop()
			return nil, ctx.Err()
		case <-progress.C:
			fmt.Fprintf(out, "%s: %s: %d acknowledged, %d kills\n", driver, time.Since(start).Round(time.Second), nAcked.Load(), res.Kills)
		case <-kill.C:
			if o.maxKills > 0 && res.Kills >= o.maxKills {
				continue
			}
			in := insts[res.Kills%n]
			in.signal(syscall.SIGKILL, 10*time.Second)
			res.Kills++
			if err := in.start(ctx); err != nil {
				kill.Stop()
				return nil, fmt.Errorf("restart after kill %d: %w", res.Kills, err)
			}
		}
	}
	kill.Stop()
	progress.Stop()
	res.Send = time.Since(start)
	res.Acked, res.NotAcked = int(nAcked.Load()), int(nGaveUp.Load())
	fmt.Fprintf(out, "%s: sent in %s (%d acknowledged, %d kills); waiting for the queue\n", driver, res.Send.Round(time.Second), res.Acked, res.Kills)

	// Wait for every run to finish, then stop cleanly.
	deadline := time.Now().Add(o.drain)
	for {
		left, err := unfinished(ctx, insts[0].admin)
		if err == nil && left == 0 {
			break
		}
		if time.Now().After(deadline) {
			res.problem("queue not empty after %s (%d left, %v)", o.drain, left, err)
			break
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
	for _, in := range insts {
		in.signal(syscall.SIGTERM, 60*time.Second)
	}
	res.Total = time.Since(start)
	// A kill finds at most workers actions running and
	// RecordingPerWorker × workers outcomes still being committed after
	// their slot went to the next run.
	res.MaxReran = res.Kills * (1 + engine.RecordingPerWorker) * o.workers
	if err := verify(ctx, driver, dsn, logPath, acked, res); err != nil {
		return nil, err
	}
	return res, nil
}

func send(ctx context.Context, c *http.Client, addr, tag string, i int) (string, bool) {
	body := fmt.Sprintf(`{"ref":"refs/heads/main","after":"%040d","n":%d}`, i, i)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(body))
	req, err := http.NewRequestWithContext(ctx, "POST", "http://"+addr+"/hooks/gh", strings.NewReader(body))
	if err != nil {
		return "", false
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "push")
	req.Header.Set("X-GitHub-Delivery", fmt.Sprintf("chaos-%s-%d", tag, i))
	req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	resp, err := c.Do(req)
	if err != nil {
		return "", false
	}
	defer resp.Body.Close()
	var ans struct{ ID string }
	if err := json.NewDecoder(resp.Body).Decode(&ans); err != nil {
		return "", false
	}
	return ans.ID, resp.StatusCode/100 == 2 && ans.ID != ""
}

// unfinished reads the queue depth (pending, running, retrying runs) from
// the hookrunner_runs metric.
func unfinished(ctx context.Context, admin string) (int, error) {
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+admin+"/metrics", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return -1, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return -1, err
	}
	n, seen := 0, false
	for _, l := range strings.Split(string(b), "\n") {
		for _, s := range []string{"pending", "running", "retrying"} {
			if p := `hookrunner_runs{state="` + s + `"} `; strings.HasPrefix(l, p) {
				v, _ := strconv.ParseFloat(strings.TrimPrefix(l, p), 64)
				n += int(v)
				seen = true
			}
		}
	}
	if !seen {
		return -1, errors.New("no hookrunner_runs metric")
	}
	return n, nil
}
