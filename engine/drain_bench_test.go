package engine_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/engine"
	"github.com/hookrunner/hookrunner/store"
	"github.com/hookrunner/hookrunner/store/sqlite"
)

// finishCounter is a store that signals when n runs have finished.
type finishCounter struct {
	store.Store
	claims *atomic.Int64
	n      atomic.Int64
	want   int64
	done   chan struct{}
}

func (f *finishCounter) Claim(ctx context.Context, o store.ClaimOptions) ([]*store.Run, error) {
	f.claims.Add(1)
	return f.Store.Claim(ctx, o)
}

func (f *finishCounter) Finish(ctx context.Context, owner, runID string, o store.Outcome) error {
	err := f.Store.Finish(ctx, owner, runID, o)
	if err == nil && o.State == store.Succeeded && f.n.Add(1) == f.want {
		close(f.done)
	}
	return err
}

var drainBody = []byte(`{"ref":"refs/heads/main","after":"0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c","repository":{"full_name":"acme/api","private":false},"pusher":{"name":"octocat"}}`)

// queueRuns stores n events of one run each for rule, all due now.
func queueRuns(b *testing.B, st store.Store, rule string, n int) {
	b.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				now := time.Now()
				ev := &store.Event{ID: store.NewID(), Source: "hook", Provider: "generic", Event: "push", DeliveryID: store.NewID(),
					Headers: map[string]string{"content-type": "application/json"}, Body: drainBody, RemoteIP: "127.0.0.1",
					ReceivedAt: now, Verification: "none", Matched: []string{rule}}
				r := &store.Run{ID: store.NewID(), EventID: ev.ID, Rule: rule, State: store.Pending, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now}
				if _, err := st.Ingest(context.Background(), ev, []*store.Run{r}, now.Add(-time.Hour)); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// drainOnce starts an engine with 8 workers over a queue of n runs and
// returns how long it took to finish them all.
func drainOnce(b *testing.B, st store.Store, cfg string, n int, prof string, claims *atomic.Int64) time.Duration {
	b.Helper()
	if prof != "" {
		f, err := os.Create(prof)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			b.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	fc := &finishCounter{Store: st, claims: claims, want: int64(n), done: make(chan struct{})}
	e := engine.New(build(b, []byte(cfg)), engine.Options{Store: fc, RecoverOnStart: true})
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	start := time.Now()
	go func() { ran <- e.Run(ctx, engine.RunOptions{Workers: 8, PollInterval: 100 * time.Millisecond}) }()
	select {
	case <-fc.done:
	case <-time.After(5 * time.Minute):
		b.Fatalf("drain: %d of %d runs finished", fc.n.Load(), n)
	}
	el := time.Since(start)
	cancel()
	if err := <-ran; err != nil {
		b.Fatal(err)
	}
	return el
}

// parallel runs fn n times on 8 goroutines and returns the time it took.
func parallel(n int, fn func()) time.Duration {
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				fn()
			}
		}()
	}
	wg.Wait()
	return time.Since(start)
}

// BenchmarkDrainFullQueue is issue 22's execution rows: runs completed per
// second from a full queue with 8 workers (SQLite store, in process),
// against a bare Go loop doing the same work on 8 goroutines, the two
// measured in alternation in each iteration so load from elsewhere falls
// on both alike. go test -run '^$' -bench DrainFullQueue -benchtime 3x ./engine/
func BenchmarkDrainFullQueue(b *testing.B) {
	target := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusOK)
	})}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = target.Serve(l) }()
	defer target.Close()
	url := "http://" + l.Addr().String() + "/x"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
	defer client.CloseIdleConnections()

	for _, c := range []struct {
		name   string
		n      int
		action string
		bare   func()
	}{
		{"shell", 600, `shell: { command: ["/bin/true"] }`, func() {
			cmd := exec.Command("/bin/true")
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			_ = cmd.Run()
		}},
		{"http", 3000, fmt.Sprintf(`http: { url: %q }`, url), func() {
			resp, err := client.Post(url, "application/json", bytes.NewReader(drainBody))
			if err != nil {
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			var commits, ops, claims atomic.Int64
			counting := atomic.Bool{}
			so := sqlite.Options{}
			so.OnCommit = func(n int) {
				if counting.Load() {
					commits.Add(1)
					ops.Add(int64(n))
				}
			}
			st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "hr.db"), so)
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			cfg := "sources:\n  hook: { provider: generic, verify: none }\nrules:\n  - name: r\n    source: hook\n    actions:\n      - " + c.action + "\n"
			// HOOKRUNNER_DRAIN_PROFILE=dir writes a CPU profile of the
			// drains alone (queueing and the bare loop left out).
			// The last drain's profile is kept.
			prof := ""
			if dir := os.Getenv("HOOKRUNNER_DRAIN_PROFILE"); dir != "" {
				prof = filepath.Join(dir, c.name+".prof")
			}
			var hr, bare time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				bare += parallel(c.n, c.bare)
				queueRuns(b, st, "r", c.n)
				counting.Store(true)
				hr += drainOnce(b, st, cfg, c.n, prof, &claims)
				counting.Store(false)
			}
			hrRate := float64(c.n*b.N) / hr.Seconds()
			bareRate := float64(c.n*b.N) / bare.Seconds()
			b.ReportMetric(hrRate, "runs/s")
			b.ReportMetric(bareRate, "bare/s")
			b.ReportMetric(hrRate/bareRate, "ratio")
			runs := float64(c.n * b.N)
			b.ReportMetric(float64(commits.Load())/runs, "commits/run")
			b.ReportMetric(float64(ops.Load())/float64(commits.Load()), "writes/commit")
			b.ReportMetric(float64(claims.Load())/runs, "claims/run")
		})
	}
}
