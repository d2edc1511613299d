//go:build unix

// Command loadgen reproduces the figures of bench/RESULTS.md: durable
// ingest against a bare net/http server, end-to-end execution, memory under
// a flood with backpressure, and N replicas on PostgreSQL. It starts every
// server itself as a child process on 127.0.0.1 and stops by itself.
package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

var (
	hookrunnerBin = flag.String("hookrunner", "", "path to the hookrunner binary")
	bareBin       = flag.String("bare", "", "path to the bare server binary")
	duration      = flag.Duration("duration", 5*time.Second, "length of each load step")
	only          = flag.String("only", "ingest,exec,memory", "scenarios to run: ingest, exec, memory, rss, postgres")
	pgDSN         = flag.String("postgres", os.Getenv("HOOKRUNNER_TEST_POSTGRES"), "PostgreSQL DSN for the postgres scenario")
	floodFor      = flag.Duration("flood", 60*time.Second, "length of the memory flood")
	target        = flag.String("url", "", "only drive this running source URL (-conns connections, -duration) and print the result")
	conns         = flag.Int("conns", 64, "connections for -url")
	bodyFile      = flag.String("body", "", "with -url: send this file's bytes as the push body (default: a 370-byte push)")
	rounds        = flag.Int("rounds", 3, "alternated bare/hookrunner pairs at 64 connections (ingest)")
	summaryPath   = flag.String("summary", "", "append issue 22's summary rows (tab-separated: what, baseline, value, ratio, target, met) to this file")
)

// bareAt64 is the bare server's req/s at 64 connections in this run (0
// until the ingest scenario ran): the PostgreSQL rows' baseline.
var bareAt64 float64

// summary appends one row of issue 22's table to -summary: what was
// measured, its baseline in the same run, the value, their ratio, the
// target and whether it is met ("—" when the target is to measure).
func summary(what, baseline, value, ratio, target, met string) {
	if *summaryPath == "" {
		return
	}
	f, err := os.OpenFile(*summaryPath, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		fmt.Fprintln(os.Stderr, "summary:", err)
		return
	}
	defer f.Close()
	fmt.Fprintf(f, "%s\t%s\t%s\t%s\t%s\t%s\n", what, baseline, value, ratio, target, met)
}

func yesNo(ok bool) string {
	if ok {
		return "yes"
	}
	return "no"
}

const secret = "bench-secret"

var body = []byte(`{"ref":"refs/heads/main","after":"0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c","repository":{"full_name":"acme/api","name":"api"},"pusher":{"name":"ada","email":"ada@acme.example"},"head_commit":{"id":"0d1a26e67d8f","message":"Fix rate limiter off-by-one","author":{"name":"Ada"}},"sender":{"login":"ada","id":583231}}`)

func signature() string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func freePort() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

type proc struct {
	cmd *exec.Cmd
	dir string
}

func startProc(dir, addr string, bin string, args ...string) *proc {
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	logf, _ := os.Create(filepath.Join(dir, filepath.Base(bin)+".log"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		panic(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			panic("server did not start: " + bin)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return &proc{cmd: cmd, dir: dir}
}

func (p *proc) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		<-done
	}
}

func (p *proc) rssMiB() float64 { return p.statusMiB("VmRSS:") }

// statusMiB is a kB field of /proc/<pid>/status in MiB (VmRSS: resident
// now, VmHWM: the peak resident since start), 0 when unknown.
func (p *proc) statusMiB(field string) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, field) {
			f := strings.Fields(l)
			kb, _ := strconv.Atoi(f[1])
			return float64(kb) / 1024
		}
	}
	return 0
}

// hookrunnerConfig writes a config with a github source and 50 rules of
// which `matching` match the benchmark push.
func hookrunnerConfig(dir, listen, admin, store, action string, matching int, extra string) string {
	var b strings.Builder
	// One load generator stands for many clients: no per-address cap.
	fmt.Fprintf(&b, "server: { listen: %q, max_pending: 20000, max_conns_per_ip: -1 }\nadmin: { listen: %q }\nlog: { level: warn }\n%s\n%s\n", listen, admin, store, extra)
	b.WriteString("sources:\n  github: { provider: github, secret: \"" + secret + "\" }\nrules:\n")
	for i := 0; i < 50; i++ {
		repo := fmt.Sprintf("acme/service-%d", i)
		if i < matching {
			repo = "acme/api"
		}
		fmt.Fprintf(&b, "  - name: rule-%d\n    source: github\n    events: [push]\n    if: payload.ref == \"refs/heads/main\" && payload.repository?.full_name == %q\n    actions:\n      - %s\n", i, repo, action)
	}
	path := filepath.Join(dir, "hooks.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		panic(err)
	}
	return path
}

type result struct {
	conns              int
	reqs, errs, non2xx int
	rps                float64
	p50, p99, max      time.Duration
	lat                []time.Duration // sorted
	elapsed            time.Duration
}

// merge is one result for several load steps at the same connections:
// requests over the steps' total time, percentiles over all latencies.
func merge(rs []result) result {
	m := result{conns: rs[0].conns}
	for _, r := range rs {
		m.reqs += r.reqs
		m.errs += r.errs
		m.non2xx += r.non2xx
		m.elapsed += r.elapsed
		m.lat = append(m.lat, r.lat...)
	}
	sort.Slice(m.lat, func(i, j int) bool { return m.lat[i] < m.lat[j] })
	m.summarize()
	return m
}

// summarize sets the rate and percentiles from reqs, elapsed and lat.
func (r *result) summarize() {
	if len(r.lat) == 0 || r.elapsed <= 0 {
		return
	}
	r.rps = float64(r.reqs) / r.elapsed.Seconds()
	r.p50 = r.lat[len(r.lat)/2]
	r.p99 = r.lat[len(r.lat)*99/100]
	r.max = r.lat[len(r.lat)-1]
}

// load drives url with conns closed-loop clients for d.
func load(url string, conns int, d time.Duration, unique bool) result {
	tr := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, DisableCompression: true}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	defer tr.CloseIdleConnections()
	sig := signature()
	var wg sync.WaitGroup
	lat := make([][]time.Duration, conns)
	var errs, non2xx atomic.Int64
	var seq atomic.Int64
	end := time.Now().Add(d)
	start := time.Now()
	for c := 0; c < conns; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for time.Now().Before(end) {
				req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-GitHub-Event", "push")
				req.Header.Set("X-Hub-Signature-256", sig)
				if unique {
					req.Header.Set("X-GitHub-Delivery", "d-"+strconv.FormatInt(seq.Add(1), 10)+"-"+strconv.FormatInt(start.UnixNano(), 36))
				}
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					errs.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				lat[c] = append(lat[c], time.Since(t0))
				if resp.StatusCode/100 != 2 {
					non2xx.Add(1)
				}
			}
		}(c)
	}
	wg.Wait()
	elapsed := time.Since(start)
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	r := result{conns: conns, reqs: len(all), errs: int(errs.Load()), non2xx: int(non2xx.Load()), lat: all, elapsed: elapsed}
	r.summarize()
	return r
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d.Microseconds())/1000) }

func ingest(work string) {
	fmt.Println("## Ingest: bare net/http vs hookrunner (GitHub HMAC, 50 rules, SQLite synchronous=full)")
	fmt.Println()
	// Both servers run side by side and the load alternates between them
	// (bare, hookrunner, then hookrunner, bare, …), so that the minute-to-
	// minute drift of a shared VM falls on both alike; the 64-connection
	// row, issue 22's target, takes -rounds pairs.
	bareAddr := freePort()
	bare := startProc(work, bareAddr, *bareBin, "-listen", bareAddr)
	defer bare.stop()
	dir, _ := os.MkdirTemp(work, "ingest")
	listen, admin := freePort(), freePort()
	cfg := hookrunnerConfig(dir, listen, admin, "store: { driver: sqlite, dsn: hr.db, synchronous: full }",
		"http: { url: \"http://127.0.0.1:1/unused\" }", 0, "")
	hr := startProc(dir, listen, *hookrunnerBin, "serve", "--config", cfg, "--watch=false")
	defer hr.stop()
	bareURL, hrURL := "http://"+bareAddr+"/hooks/github", "http://"+listen+"/hooks/github"

	fmt.Println("| connections | server | req/s | p50 ms | p99 ms | max ms | errors | non-2xx | ratio |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|")
	var notes []string
	for _, c := range []int{16, 64, 256} {
		load(bareURL, c, time.Second, true) // warm up
		load(hrURL, c, time.Second, true)
		n := 1
		if c == 64 {
			n = *rounds
		}
		var bs, hs []result
		var pairs []string
		for i := 0; i < n; i++ {
			var b, h result
			if i%2 == 0 {
				b, h = load(bareURL, c, *duration, true), load(hrURL, c, *duration, true)
			} else {
				h, b = load(hrURL, c, *duration, true), load(bareURL, c, *duration, true)
			}
			bs, hs = append(bs, b), append(hs, h)
			pairs = append(pairs, fmt.Sprintf("%.2f", h.rps/b.rps))
		}
		b, h := merge(bs), merge(hs)
		if n > 1 {
			notes = append(notes, fmt.Sprintf("%d connections: %d alternated pairs of %s, ratio of each pair %s; the row sums them.", c, n, *duration, strings.Join(pairs, ", ")))
		}
		fmt.Printf("| %d | bare net/http | %.0f | %s | %s | %s | %d | %d | |\n", b.conns, b.rps, ms(b.p50), ms(b.p99), ms(b.max), b.errs, b.non2xx)
		fmt.Printf("| %d | hookrunner | %.0f | %s | %s | %s | %d | %d | **%.2f** |\n", h.conns, h.rps, ms(h.p50), ms(h.p99), ms(h.max), h.errs, h.non2xx, h.rps/b.rps)
		if b.conns == 64 && b.rps > 0 && b.p99 > 0 {
			bareAt64 = b.rps
			r, p := h.rps/b.rps, float64(h.p99)/float64(b.p99)
			summary("durable verified ingest, 64 conns, 50 rules: req/s", fmt.Sprintf("bare net/http %.0f", b.rps), fmt.Sprintf("%.0f", h.rps),
				fmt.Sprintf("%.2f", r), "≥ 0.6", yesNo(r >= 0.6))
			summary("ingest p99 ms, 64 conns", "bare p99 "+ms(b.p99), ms(h.p99), fmt.Sprintf("%.2f", p), "≤ 2 × bare", yesNo(p <= 2))
			bad := h.non2xx + h.errs
			summary("ingest non-2xx + errors, 64 conns", fmt.Sprintf("bare %d", b.non2xx+b.errs), strconv.Itoa(bad), "", "0", yesNo(bad == 0))
		}
	}
	fmt.Println()
	for _, n := range notes {
		fmt.Println(n)
	}
	fmt.Println()
	realBody(bareURL, hrURL)
}

// realBody measures ingest with a real GitHub push (8.5 KB, from the
// shared payloads: HOOKRUNNER_PAYLOADS, default /work/shared/payloads) in
// alternated pairs at 64 connections; skipped when the file is absent.
// The rows above send a 370-byte push; real ones are larger, and the
// payload decode and the store's page writes grow with them.
func realBody(bareURL, hrURL string) {
	dir := os.Getenv("HOOKRUNNER_PAYLOADS")
	if dir == "" {
		dir = "/work/shared/payloads"
	}
	real, err := os.ReadFile(filepath.Join(dir, "github", "push.go-playground.json"))
	if err != nil {
		fmt.Printf("Real push body: skipped (%v).\n\n", err)
		return
	}
	small := body
	body = real
	defer func() { body = small }()
	load(bareURL, 64, time.Second, true)
	load(hrURL, 64, time.Second, true)
	var bs, hs []result
	var pairs []string
	for i := 0; i < 2; i++ {
		var b, h result
		if i%2 == 0 {
			b, h = load(bareURL, 64, *duration, true), load(hrURL, 64, *duration, true)
		} else {
			h, b = load(hrURL, 64, *duration, true), load(bareURL, 64, *duration, true)
		}
		bs, hs = append(bs, b), append(hs, h)
		pairs = append(pairs, fmt.Sprintf("%.2f", h.rps/b.rps))
	}
	b, h := merge(bs), merge(hs)
	fmt.Printf("Real push body (GitHub's push.go-playground.json, %d bytes), 64 connections, 2 alternated pairs (%s): bare %.0f req/s (p99 %s ms), hookrunner %.0f req/s (p99 %s ms), non-2xx %d, errors %d: **%.2f**.\n\n",
		len(real), strings.Join(pairs, ", "), b.rps, ms(b.p99), h.rps, ms(h.p99), h.non2xx, h.errs, h.rps/b.rps)
	summary("ingest, real 8.5 KB GitHub push, 64 conns", fmt.Sprintf("bare net/http %.0f", b.rps), fmt.Sprintf("%.0f", h.rps), fmt.Sprintf("%.2f", h.rps/b.rps), "measured", "—")
}

// waitSucceeded polls the admin metrics until n attempts have succeeded.
func waitSucceeded(admin string, n int, limit time.Duration) (time.Duration, bool) {
	start := time.Now()
	for time.Since(start) < limit {
		if succeededCount(admin) >= n {
			return time.Since(start), true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(start), false
}

func succeededCount(admin string) int {
	resp, err := http.Get("http://" + admin + "/metrics")
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	total := 0
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "hookrunner_run_attempts_total{") && strings.Contains(l, `state="succeeded"`) {
			f := strings.Fields(l)
			v, _ := strconv.ParseFloat(f[len(f)-1], 64)
			total += int(v)
		}
	}
	return total
}

func execution(work string) {
	fmt.Println("## Execution: events/s end to end (receive, store, run, record), 8 workers")
	fmt.Println()
	target := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(200)
	})}
	tl, _ := net.Listen("tcp", "127.0.0.1:0")
	go target.Serve(tl)
	defer target.Close()
	rates := map[string]float64{}
	fmt.Println("| action | events | seconds | events/s |")
	fmt.Println("|---|---|---|---|")
	for _, a := range []struct{ name, action string }{
		{"shell /bin/true", `shell: { command: ["/bin/true"] }`},
		{"http POST to a local 200 server", `http: { url: "http://` + tl.Addr().String() + `/x" }`},
	} {
		dir, _ := os.MkdirTemp(work, "exec")
		listen, admin := freePort(), freePort()
		cfg := hookrunnerConfig(dir, listen, admin, "store: { driver: sqlite, dsn: hr.db }", a.action, 1, "runner: { workers: 8, poll_interval: 100ms }")
		hr := startProc(dir, listen, *hookrunnerBin, "serve", "--config", cfg, "--watch=false")
		const n = 5000
		start := time.Now()
		sent := sendN("http://"+listen+"/hooks/github", n, 32)
		_, ok := waitSucceeded(admin, sent, 5*time.Minute)
		el := time.Since(start)
		hr.stop()
		note := ""
		if !ok {
			note = " (not all finished)"
		}
		fmt.Printf("| %s | %d | %.2f | %.0f%s |\n", a.name, sent, el.Seconds(), float64(sent)/el.Seconds(), note)
		rates[a.name] = float64(sent) / el.Seconds()
	}
	// The machine's own ceiling for the shell case: bare fork/exec of
	// /bin/true from Go, 8 at a time, nothing stored.
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 250; i++ {
				c := exec.Command("/bin/true")
				c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
				_ = c.Run()
			}
		}()
	}
	wg.Wait()
	bareExec := 2000 / time.Since(start).Seconds()
	fmt.Printf("| (baseline) bare fork/exec of /bin/true from Go, 8 at a time, nothing stored | 2000 | %.2f | %.0f |\n", time.Since(start).Seconds(), bareExec)
	// The same for the http case: a bare Go client posting the same
	// request to the same server on 8 goroutines for the step's duration.
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
	var posted atomic.Int64
	deadline := time.Now().Add(*duration)
	start = time.Now()
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				resp, err := client.Post("http://"+tl.Addr().String()+"/x", "application/json", strings.NewReader(`{"ref":"refs/heads/main"}`))
				if err != nil {
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				posted.Add(1)
			}
		}()
	}
	wg.Wait()
	bareHTTP := float64(posted.Load()) / time.Since(start).Seconds()
	fmt.Printf("| (baseline) bare Go client posting to the same server, 8 goroutines, nothing stored | %d | %.2f | %.0f |\n", posted.Load(), time.Since(start).Seconds(), bareHTTP)
	fmt.Println()
	fmt.Println("| ratio (end to end, ingest included) | measured | issue 22 target (from a full queue) |")
	fmt.Println("|---|---|---|")
	fmt.Printf("| shell /bin/true / bare fork/exec | **%.2f** | ≥ 0.8 |\n", rates["shell /bin/true"]/bareExec)
	fmt.Printf("| http action / bare Go client | **%.3f** | ≥ 0.25 |\n", rates["http POST to a local 200 server"]/bareHTTP)
	fmt.Println()
}

// sendN sends n unique events with conns clients and returns how many were
// acknowledged.
func sendN(url string, n, conns int) int {
	tr := &http.Transport{MaxIdleConnsPerHost: conns}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	defer tr.CloseIdleConnections()
	sig := signature()
	var next, ok atomic.Int64
	var wg sync.WaitGroup
	for c := 0; c < conns; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(n) {
					return
				}
				req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-GitHub-Event", "push")
				req.Header.Set("X-Hub-Signature-256", sig)
				req.Header.Set("X-GitHub-Delivery", fmt.Sprintf("n-%d-%d", time.Now().UnixNano(), i))
				resp, err := client.Do(req)
				if err != nil {
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode/100 == 2 {
					ok.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return int(ok.Load())
}

func main() {
	flag.Parse()
	if *bodyFile != "" {
		b, err := os.ReadFile(*bodyFile)
		if err != nil {
			panic(err)
		}
		body = b
	}
	if *target != "" {
		r := load(*target, *conns, *duration, true)
		fmt.Printf("%.0f req/s, p50 %s ms, p99 %s ms, non-2xx %d, errors %d\n", r.rps, ms(r.p50), ms(r.p99), r.non2xx, r.errs)
		return
	}
	if *hookrunnerBin == "" || *bareBin == "" {
		fmt.Fprintln(os.Stderr, "usage: loadgen -hookrunner BIN -bare BIN [-only ingest,exec,memory,rss,postgres] [-summary FILE]")
		os.Exit(2)
	}
	work, _ := os.MkdirTemp("", "hookrunner-bench")
	defer os.RemoveAll(work)
	for _, s := range strings.Split(*only, ",") {
		switch strings.TrimSpace(s) {
		case "ingest":
			ingest(work)
		case "exec":
			execution(work)
		case "memory":
			memory(work)
		case "rss":
			rssQueued(work)
		case "postgres":
			postgres(work)
		}
	}
}
