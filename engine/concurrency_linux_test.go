package engine_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/engine"
	"github.com/hookrunner/hookrunner/providers"
	"github.com/hookrunner/hookrunner/ruleset"
	"github.com/hookrunner/hookrunner/store"
	"github.com/hookrunner/hookrunner/store/storetest"
)

// lockedScript is an action that holds an exclusive flock on dir/lock
// while it runs (or records an overlap if another copy holds it), says
// it started (dir/started.<run>) and waits for dir/release.
const lockedScript = `d="$1"
exec 9>"$d/lock"
if ! flock -n 9; then echo "$HOOKRUNNER_RUN_ID" >> "$d/OVERLAP"; exit 0; fi
touch "$d/started.$HOOKRUNNER_RUN_ID"
while [ ! -e "$d/release" ]; do sleep 0.02; done
`

// concurrencyConfig is a rule named rule, limited to one run at a time,
// running lockedScript; respond is its respond: (async when empty).
func concurrencyConfig(dir, rule, respond string) string {
	if respond != "" {
		respond = "\n    respond: " + respond
	}
	return fmt.Sprintf(`
sources:
  hook: { provider: generic, verify: none }
rules:
  - name: %[3]s
    source: hook
    concurrency: 1%[4]s
    actions:
      - shell: { command: [%[1]q, %[2]q] }
`, filepath.Join(dir, "locked.sh"), dir, rule, respond)
}

// claimSeq is a store that numbers the claims as they start and sends
// each one's number on done once it has returned.
type claimSeq struct {
	store.Store
	mu      sync.Mutex
	started int
	done    chan int
}

func (s *claimSeq) Claim(ctx context.Context, o store.ClaimOptions) ([]*store.Run, error) {
	s.mu.Lock()
	s.started++
	n := s.started
	s.mu.Unlock()
	runs, err := s.Store.Claim(ctx, o)
	select {
	case s.done <- n:
	default: // nobody waits for this one
	}
	return runs, err
}

func (s *claimSeq) seq() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.started
}

func received(snap *ruleset.Snapshot, n int) *engine.Received {
	return &engine.Received{Snapshot: snap, Source: snap.Sources["hook"], Identity: providers.Identity{Event: "e", DeliveryID: fmt.Sprint("d-", n)},
		Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`{}`), Payload: map[string]any{}, RemoteIP: "127.0.0.1", ReceivedAt: time.Now()}
}

func countState(t *testing.T, st store.Store, rule string, state store.State) int {
	t.Helper()
	runs, err := st.ListRuns(context.Background(), store.RunFilter{Rule: rule, State: state})
	if err != nil {
		t.Fatal(err)
	}
	return len(runs)
}

// TestConcurrencyOfRunsOutlivesTheirRule: runs of a rule with
// concurrency: 1 are queued, then a reload renames the rule (a rename-over
// save). The queued runs still run rule deploy of their own revision, so
// they stay held to its limit: the claims after the reload take none of
// them while one runs, and they run one at a time.
func TestConcurrencyOfRunsOutlivesTheirRule(t *testing.T) {
	dir := t.TempDir()
	writeScript(t, filepath.Join(dir, "locked.sh"), lockedScript)
	st := openStore(t, filepath.Join(dir, "hr.db"))
	defer st.Close()
	spy := &claimSeq{Store: st, done: make(chan int, 1)}
	snap := build(t, []byte(concurrencyConfig(dir, "deploy", "")))
	eng := engine.New(snap, engine.Options{Store: spy, RecoverOnStart: true})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- eng.Run(ctx, engine.RunOptions{Workers: 4, PollInterval: 20 * time.Millisecond, Grace: 5 * time.Second})
	}()
	defer func() { cancel(); <-done }()
	for i := range 4 {
		if _, err := eng.Accept(ctx, received(snap, i)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the first run to start", func() bool { return countState(t, st, "deploy", store.Running) > 0 })

	eng.Swap(build(t, []byte(concurrencyConfig(dir, "deploy-v2", ""))))
	after := spy.seq()
	for n := 0; n <= after; {
		n = storetest.Await(t, "a claim", 30*time.Second, spy.done)
	}
	if n := countState(t, st, "deploy", store.Running); n != 1 {
		t.Fatalf("%d runs of deploy running after the reload renamed it; want 1 (concurrency: 1 of their revision)", n)
	}
	if err := os.WriteFile(filepath.Join(dir, "release"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "every run to succeed", func() bool { return countState(t, st, "deploy", store.Succeeded) == 4 })
	if o := readFile(filepath.Join(dir, "OVERLAP")); o != "" {
		t.Fatalf("runs overlapped: %s", o)
	}
}

// TestSyncRunsHeldToConcurrency: three requests at once to a respond:
// sync rule with concurrency: 1. One runs in its request; the two others
// are queued (answered as async runs) instead of running beside it, and
// the workers run them one at a time once its slot is free.
func TestSyncRunsHeldToConcurrency(t *testing.T) {
	for _, respond := range []string{"sync", "stream"} {
		t.Run(respond, func(t *testing.T) {
			dir := t.TempDir()
			writeScript(t, filepath.Join(dir, "locked.sh"), lockedScript)
			st := openStore(t, filepath.Join(dir, "hr.db"))
			defer st.Close()
			snap := build(t, []byte(concurrencyConfig(dir, "deploy", respond)))
			eng := engine.New(snap, engine.Options{Store: st, RecoverOnStart: true})
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				done <- eng.Run(ctx, engine.RunOptions{Workers: 4, PollInterval: 20 * time.Millisecond, Grace: 5 * time.Second})
			}()
			defer func() { cancel(); <-done }()

			start := make(chan struct{})
			accepted := make(chan *engine.Accepted, 3)
			synced := make(chan engine.SyncResult, 3)
			for i := range 3 {
				go func() {
					<-start
					acc, err := eng.Accept(ctx, received(snap, i))
					if err != nil {
						t.Error(err)
						acc = &engine.Accepted{}
					}
					accepted <- acc
					if acc.SyncRun != nil {
						synced <- eng.RunSync(context.Background(), acc.SyncRun, acc.SyncRule)
					}
				}()
			}
			close(start)
			ran := 0
			for range 3 {
				if acc := storetest.Await(t, "an answer", 30*time.Second, accepted); acc.SyncRun != nil {
					ran++
				}
			}
			if ran != 1 {
				t.Fatalf("%d of 3 concurrent requests ran their sync run; want 1, the others queued", ran)
			}
			if n := countState(t, st, "deploy", store.Running); n != 1 {
				t.Fatalf("%d runs running beside the sync run's slot; want 1", n)
			}
			if err := os.WriteFile(filepath.Join(dir, "release"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
			if res := storetest.Await(t, "the sync run", 30*time.Second, synced); res.State != store.Succeeded {
				t.Fatalf("sync run = %+v", res)
			}
			waitFor(t, "the queued runs to succeed", func() bool { return countState(t, st, "deploy", store.Succeeded) == 3 })
			if o := readFile(filepath.Join(dir, "OVERLAP")); o != "" {
				t.Fatalf("runs overlapped: %s", o)
			}
		})
	}
}
