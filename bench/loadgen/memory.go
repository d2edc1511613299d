//go:build unix

package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The memory and PostgreSQL scenarios.

func memory(work string) {
	fmt.Println("## Memory (RSS of the hookrunner process)")
	fmt.Println()
	dir, _ := os.MkdirTemp(work, "mem")
	listen, admin := freePort(), freePort()
	// Ingest-only rules for the 100k events (nothing matches).
	cfg := hookrunnerConfig(dir, listen, admin, "store: { driver: sqlite, dsn: hr.db }", `shell: { command: ["/bin/true"] }`, 0, "")
	hr := startProc(dir, listen, *hookrunnerBin, "serve", "--config", cfg, "--watch=false")
	time.Sleep(500 * time.Millisecond)
	idle := hr.rssMiB()
	sent := sendN("http://"+listen+"/hooks/github", 100_000, 64)
	after := hr.rssMiB()
	hr.stop()

	// The flood: every event matches a rule whose action is slow, so runs
	// pile up until max_pending; past it ingest answers 503 + Retry-After.
	dir, _ = os.MkdirTemp(work, "flood")
	listen, admin = freePort(), freePort()
	cfg = hookrunnerConfig(dir, listen, admin, "store: { driver: sqlite, dsn: hr.db }", `shell: { command: ["/bin/sleep", "1"] }`, 1,
		"runner: { workers: 8 }")
	cfgText, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, bytes.Replace(cfgText, []byte("max_pending: 20000"), []byte("max_pending: 5000"), 1), 0o600)
	hr = startProc(dir, listen, *hookrunnerBin, "serve", "--config", cfg, "--watch=false")
	ctx, cancel := context.WithTimeout(context.Background(), *floodFor)
	var peak float64
	go func() {
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if r := hr.rssMiB(); r > peak {
					peak = r
				}
			}
		}
	}()
	res := load("http://"+listen+"/hooks/github", 64, *floodFor, true)
	cancel()
	end := hr.rssMiB()
	hr.stop()
	fmt.Println("| moment | RSS MiB |")
	fmt.Println("|---|---|")
	fmt.Printf("| idle, after start | %.1f |\n", idle)
	fmt.Printf("| after %d events acknowledged | %.1f |\n", sent, after)
	fmt.Printf("| peak during a %s flood (64 connections, slow action, max_pending 5000) | %.1f |\n", floodFor.String(), peak)
	fmt.Printf("| end of the flood | %.1f |\n", end)
	fmt.Println()
	fmt.Printf("Flood: %d requests, %.0f req/s, %d answered non-2xx (503 + Retry-After once 5000 runs were queued), %d transport errors.\n\n",
		res.reqs, res.rps, res.non2xx, res.errs)
}

// queued reads hookrunner_runs{state="pending"} from the admin metrics.
func queued(admin string) int {
	resp, err := http.Get("http://" + admin + "/metrics")
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, `hookrunner_runs{state="pending"}`) {
			f := strings.Fields(l)
			v, _ := strconv.ParseFloat(f[len(f)-1], 64)
			return int(v)
		}
	}
	return 0
}

// rssQueued is issue 22's memory row: the server's resident memory while
// 100,000 runs are queued. Every event matches one rule whose action
// sleeps, so the 8 workers hold a few runs and the rest wait in the
// queue; the figure is read from /proc after the queue is full and the
// claim loop has worked over it for a few seconds, and the peak (VmHWM)
// covers the ingest of the 100,000 events too.
func rssQueued(work string) {
	fmt.Println("## Memory with 100,000 runs queued (RSS of the hookrunner process, SQLite)")
	fmt.Println()
	dir, _ := os.MkdirTemp(work, "rss")
	listen, admin := freePort(), freePort()
	cfg := hookrunnerConfig(dir, listen, admin, "store: { driver: sqlite, dsn: hr.db }", `shell: { command: ["/bin/sleep", "2"] }`, 1,
		"runner: { workers: 8 }")
	cfgText, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, bytes.Replace(cfgText, []byte("max_pending: 20000"), []byte("max_pending: 200000"), 1), 0o600)
	hr := startProc(dir, listen, *hookrunnerBin, "serve", "--config", cfg, "--watch=false")
	idle := hr.rssMiB()
	start := time.Now()
	sent := sendN("http://"+listen+"/hooks/github", 100_000, 64)
	took := time.Since(start)
	afterSend := hr.rssMiB()
	// Claims keep going over the deep queue for a while (sleeping actions
	// free a slot every 2 s): the steady state with the backlog.
	deadline := time.Now().Add(5 * time.Second)
	var steady float64
	for time.Now().Before(deadline) {
		steady = max(steady, hr.rssMiB())
		time.Sleep(250 * time.Millisecond)
	}
	n := queued(admin)
	peak := hr.statusMiB("VmHWM:")
	hr.stop()
	fmt.Println("| moment | MiB |")
	fmt.Println("|---|---|")
	fmt.Printf("| idle, after start (VmRSS) | %.1f |\n", idle)
	fmt.Printf("| right after %d events acknowledged in %.1f s, each with a run (VmRSS) | %.1f |\n", sent, took.Seconds(), afterSend)
	fmt.Printf("| the next 5 s, %d runs pending, workers claiming (VmRSS, highest) | %.1f |\n", n, steady)
	fmt.Printf("| peak since start (VmHWM) | %.1f |\n", peak)
	fmt.Println()
	summary(fmt.Sprintf("RSS MiB with %d runs queued (peak VmHWM; VmRSS %.0f)", n, steady), fmt.Sprintf("idle %.0f", idle), fmt.Sprintf("%.1f", peak), "",
		"≤ 150 MiB", yesNo(peak > 0 && peak <= 150 && n >= 90_000))
}

func postgres(work string) {
	if *pgDSN == "" {
		fmt.Println("## PostgreSQL: skipped (set HOOKRUNNER_TEST_POSTGRES)")
		return
	}
	fmt.Println("## Ingest on PostgreSQL: 1 and 3 replicas (64 connections spread over the replicas)")
	fmt.Println()
	fmt.Println("| replicas | req/s | p50 ms | p99 ms | max ms | non-2xx |")
	fmt.Println("|---|---|---|---|---|---|")
	for _, n := range []int{1, 3} {
		schema := fmt.Sprintf("bench_%d_%d", n, time.Now().UnixNano())
		dsn := *pgDSN
		sep := "?"
		if strings.Contains(dsn, "?") {
			sep = "&"
		}
		dsn += sep + "search_path=" + schema
		exec.Command("psql", *pgDSN, "-c", "CREATE SCHEMA "+schema).Run()
		var procs []*proc
		var urls []string
		for i := 0; i < n; i++ {
			dir, _ := os.MkdirTemp(work, "pg")
			listen, admin := freePort(), freePort()
			cfg := hookrunnerConfig(dir, listen, admin, fmt.Sprintf("store: { driver: postgres, dsn: %q }", dsn),
				"http: { url: \"http://127.0.0.1:1/unused\" }", 0, "")
			procs = append(procs, startProc(dir, listen, *hookrunnerBin, "serve", "--config", cfg, "--watch=false"))
			urls = append(urls, "http://"+listen+"/hooks/github")
		}
		var mu sync.Mutex
		var all []result
		var wg sync.WaitGroup
		for _, u := range urls {
			wg.Add(1)
			go func(u string) {
				defer wg.Done()
				r := load(u, 64/n, *duration, true)
				mu.Lock()
				all = append(all, r)
				mu.Unlock()
			}(u)
		}
		wg.Wait()
		var rps float64
		var p50, p99, mx time.Duration
		non := 0
		for _, r := range all {
			rps += r.rps
			p50 = max(p50, r.p50)
			p99 = max(p99, r.p99)
			mx = max(mx, r.max)
			non += r.non2xx + r.errs
		}
		for _, p := range procs {
			p.stop()
		}
		exec.Command("psql", *pgDSN, "-c", "DROP SCHEMA "+schema+" CASCADE").Run()
		fmt.Printf("| %d | %.0f | %s | %s | %s | %d |\n", n, rps, ms(p50), ms(p99), ms(mx), non)
		if n == 1 {
			base, ratio := "2,685 (2026-11-22, 1 replica)", ""
			if bareAt64 > 0 {
				base, ratio = fmt.Sprintf("bare net/http %.0f", bareAt64), fmt.Sprintf("%.2f", rps/bareAt64)
			}
			summary("PostgreSQL ingest, 1 replica, 64 conns: req/s (p99 "+ms(p99)+" ms)", base, fmt.Sprintf("%.0f", rps), ratio, "measured", yesNo(non == 0))
		}
	}
	fmt.Println()
}
