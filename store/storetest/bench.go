package storetest

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/store"
)

// BenchClaimDeepQueue measures the drain rate of a queue holding queued
// due runs, as the engine drains it: one claimer asks for as many runs as
// there are free slots (8 workers), each claimed run is finished at once
// (an action that takes no time) by its own goroutine, so the figure is
// the store's claim + finish throughput. Each iteration fills the queue
// to queued (not timed), then drains drain runs from it (timed), so
// the queue stays near its depth while it is measured. It reports runs/s
// and, when /proc/self/status exists, the process's VmRSS after the fill
// (the whole test binary, store included) in MiB. commits, when set,
// returns the writes and the transactions the store has committed so far;
// the benchmark then reports the writes per commit during the drain (how
// many claims and finishes share one group commit).
func BenchClaimDeepQueue(b *testing.B, s store.Store, queued, drain int, commits func() (writes, txs int64)) {
	ctx := context.Background()
	if drain > queued {
		drain = queued
	}
	const workers = 8
	base := time.Now().Add(-time.Hour)
	var total time.Duration
	var rss float64
	var writes, txs int64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		counts, err := s.CountStates(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if err := fill(ctx, s, queued-counts[store.Pending], base, i); err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		if m := vmRSS(); m > rss {
			rss = m
		}
		var w0, t0 int64
		if commits != nil {
			w0, t0 = commits()
		}
		b.StartTimer()
		start := time.Now()
		if err := drainRuns(ctx, s, drain, workers); err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
		if commits != nil {
			w1, t1 := commits()
			writes, txs = writes+w1-w0, txs+t1-t0
		}
	}
	if txs > 0 {
		b.ReportMetric(float64(writes)/float64(txs), "writes/commit")
	}
	b.ReportMetric(float64(drain*b.N)/total.Seconds(), "runs/s")
	if rss > 0 {
		b.ReportMetric(rss, "RSS-MiB")
	}
}

// fill queues n pending runs due in the past, in batches of 1,000 runs
// (one event each), all due earlier than any run of a later round.
func fill(ctx context.Context, s store.Store, n int, base time.Time, round int) error {
	at := base.Add(time.Duration(round) * time.Millisecond)
	for n > 0 {
		k := min(n, 1000)
		runs := make([]*store.Run, k)
		for j := range runs {
			runs[j] = &store.Run{ID: store.NewID(), EventID: store.NewID(), Rule: "rule-" + strconv.Itoa(j%50), ConfigHash: "abc",
				State: store.Pending, NextAttemptAt: at, CreatedAt: at, UpdatedAt: at}
		}
		if err := s.AddRuns(ctx, runs); err != nil {
			return fmt.Errorf("fill queue: %w", err)
		}
		n -= k
	}
	return nil
}

// drainRuns claims and finishes n runs with the engine's pattern: one
// claimer, a slot per worker, Finish on the worker's goroutine.
func drainRuns(ctx context.Context, s store.Store, n, workers int) error {
	free := make(chan struct{}, workers)
	for i := 0; i < workers; i++ {
		free <- struct{}{}
	}
	errs := make(chan error, n)
	var wg sync.WaitGroup
	claimed := 0
	for claimed < n {
		k := len(free)
		if k == 0 {
			<-free // wait for a slot, then give it back to count it
			free <- struct{}{}
			continue
		}
		runs, err := s.Claim(ctx, store.ClaimOptions{Owner: "bench", Limit: min(k, n-claimed), Lease: time.Minute, Now: time.Now()})
		if err != nil {
			return fmt.Errorf("claim: %w", err)
		}
		if len(runs) == 0 {
			return fmt.Errorf("claim: queue empty after %d of %d runs", claimed, n)
		}
		for _, r := range runs {
			<-free
			claimed++
			wg.Add(1)
			go func(r *store.Run) {
				defer wg.Done()
				defer func() { free <- struct{}{} }()
				now := time.Now()
				err := s.Finish(ctx, "bench", r.ID, store.Outcome{State: store.Succeeded, Step: 1,
					Attempt: store.Attempt{N: r.Attempt, Step: 0, StartedAt: now, OK: true}})
				if err != nil {
					errs <- fmt.Errorf("finish %s: %w", r.ID, err)
				}
			}(r)
		}
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// vmRSS is the process's resident set in MiB, 0 when unknown.
func vmRSS() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// BenchClaimRatio is BenchClaimDeepQueue for two stores side by side, one
// holding 1,000 due runs and one 100,000, drained in alternation (1,000
// runs from each per iteration, refilled between), so load from other
// processes on a shared machine falls on both alike. It reports the
// runs/s of each and their ratio (issue 22's target: ≥ 0.9).
func BenchClaimRatio(b *testing.B, small, deep store.Store) {
	ctx := context.Background()
	base := time.Now().Add(-time.Hour)
	var took, cpu [2]time.Duration
	for i := 0; i < b.N; i++ {
		for k, c := range []struct {
			s      store.Store
			queued int
		}{{small, 1000}, {deep, 100000}} {
			b.StopTimer()
			counts, err := c.s.CountStates(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if err := fill(ctx, c.s, c.queued-counts[store.Pending], base, i); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			start, cpu0 := time.Now(), cpuTime()
			if err := drainRuns(ctx, c.s, 1000, 8); err != nil {
				b.Fatal(err)
			}
			took[k] += time.Since(start)
			cpu[k] += cpuTime() - cpu0
		}
	}
	r1k, r100k := float64(1000*b.N)/took[0].Seconds(), float64(1000*b.N)/took[1].Seconds()
	b.ReportMetric(r1k, "runs/s@1k")
	b.ReportMetric(r100k, "runs/s@100k")
	b.ReportMetric(r100k/r1k, "ratio")
	// CPU per run (the whole process, store included: PostgreSQL's own
	// work is not in it) moves less than wall time on a shared machine.
	if cpu[0] > 0 {
		b.ReportMetric(float64(cpu[0].Microseconds())/float64(1000*b.N), "cpu-µs/run@1k")
		b.ReportMetric(float64(cpu[1].Microseconds())/float64(1000*b.N), "cpu-µs/run@100k")
	}
}

// cpuTime is the process's user + system CPU time so far, 0 when unknown.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
