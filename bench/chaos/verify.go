package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	_ "modernc.org/sqlite"             // database/sql driver "sqlite"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// pgSchema creates a dedicated schema and returns a DSN using it and a
// function that drops it.
func pgSchema(ctx context.Context, base string) (string, func(), error) {
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return "", nil, fmt.Errorf("connect %s: %w", base, err)
	}
	defer conn.Close(ctx)
	schema := fmt.Sprintf("hrchaos_%d", time.Now().UnixNano())
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		return "", nil, fmt.Errorf("create schema: %w", err)
	}
	drop := func() {
		c, err := pgx.Connect(context.Background(), base)
		if err == nil {
			_, _ = c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			c.Close(context.Background())
		}
	}
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema, drop, nil
}

// verify checks the store and the action log against what was acknowledged.
func verify(ctx context.Context, driver, dsn, logPath string, acked []string, res *result) error {
	name, src := "sqlite", "file:"+dsn+"?mode=ro"
	if driver == "postgres" {
		name, src = "pgx", dsn
	}
	db, err := sql.Open(name, src)
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer db.Close()

	events := map[string]bool{}
	if err := scan(ctx, db, "SELECT id FROM events", func(rows *sql.Rows) error {
		var id string
		err := rows.Scan(&id)
		events[id] = true
		return err
	}); err != nil {
		return err
	}
	type run struct {
		id, state string
		attempt   int
	}
	runsOf := map[string][]run{} // event id → runs
	if err := scan(ctx, db, "SELECT id, event_id, state, attempt FROM runs", func(rows *sql.Rows) error {
		var r run
		var ev string
		err := rows.Scan(&r.id, &ev, &r.state, &r.attempt)
		runsOf[ev] = append(runsOf[ev], r)
		res.Runs++
		if r.state == "succeeded" {
			res.Succeeded++
		} else {
			res.Unfinished++
			res.problem("run %s is %s", r.id, r.state)
		}
		return err
	}); err != nil {
		return err
	}
	finished := map[string]map[int]bool{} // run id → attempts recorded as finished
	if err := scan(ctx, db, "SELECT run_id, n FROM attempts", func(rows *sql.Rows) error {
		var id string
		var n int
		err := rows.Scan(&id, &n)
		if finished[id] == nil {
			finished[id] = map[int]bool{}
		}
		finished[id][n] = true
		return err
	}); err != nil {
		return err
	}
	// The action's log: "run-id attempt event-id" per execution.
	ran := map[string][]int{}
	b, err := os.ReadFile(logPath)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) != 3 {
			continue
		}
		n, _ := strconv.Atoi(f[1])
		ran[f[0]] = append(ran[f[0]], n)
	}
	for i, id := range acked {
		if id == "" {
			continue // never acknowledged (counted in NotAcked)
		}
		switch {
		case !events[id]:
			res.Lost++
			res.problem("event %d (%s) acknowledged but not stored", i, id)
		case len(runsOf[id]) != 1:
			res.Lost++
			res.problem("event %d (%s) has %d runs, want 1", i, id, len(runsOf[id]))
		}
	}
	for _, rs := range runsOf {
		for _, r := range rs {
			copies := ran[r.id]
			switch {
			case len(copies) == 0 && r.state == "succeeded":
				res.NeverRan++
				res.problem("run %s succeeded but its action left no line", r.id)
			case len(copies) > 1:
				if why := explain(copies, finished[r.id]); why != "" {
					res.Unexplained++
					res.problem("run %s ran %d times (attempts %v): %s", r.id, len(copies), copies, why)
				} else {
					res.Reran++
				}
			}
		}
	}
	if res.Reran > res.MaxReran {
		res.problem("%d runs re-ran, more than the %d whose outcome can be unrecorded across %d kills", res.Reran, res.MaxReran, res.Kills)
	}
	return nil
}

// explain says why the copies (attempt numbers, in log order) of one run
// are not explained by kills, or "" when they are: every copy has its own
// attempt number, and every attempt but the last left no finish record,
// so it was cut short (a kill) before hookrunner could record it.
func explain(copies []int, finished map[int]bool) string {
	seen := map[int]bool{}
	last := 0
	for _, n := range copies {
		if seen[n] {
			return fmt.Sprintf("attempt %d executed twice", n)
		}
		seen[n] = true
		last = max(last, n)
	}
	for _, n := range copies {
		if n != last && finished[n] {
			return fmt.Sprintf("attempt %d recorded a finish, yet the run ran again", n)
		}
	}
	return ""
}

func scan(ctx context.Context, db *sql.DB, q string, f func(*sql.Rows) error) error {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return fmt.Errorf("%s: %w", q, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := f(rows); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return rows.Err()
}

// markdown is the summary printed and recorded.
func markdown(o options, rs []*result, total time.Duration) string {
	var b strings.Builder
	title := "## Chaos: SIGKILL every " + o.killEvery.String() + " during a steady flood"
	if o.label != "" {
		title += " (" + o.label + ")"
	}
	fmt.Fprintf(&b, "%s\n\n", title)
	fmt.Fprintf(&b, "Run of %s on %d vCPU (%s/%s, %s); the tool, hookrunner and PostgreSQL share the machine.\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
	fmt.Fprintf(&b, "Command: `go run ./bench/chaos -events %d -rate %d -kill-every %s -stores %s`",
		o.events, o.rate, o.killEvery, strings.Join(o.stores, ","))
	if o.maxKills > 0 {
		fmt.Fprintf(&b, " (-max-kills %d)", o.maxKills)
	}
	fmt.Fprintf(&b, "; %d senders, %d workers per process, one shell action per event that appends run id and attempt to a log. Total %s.\n\n", o.clients, o.workers, total.Round(time.Second))
	b.WriteString("| store | processes | events sent | acked (2xx) | lost | runs | succeeded | not finished | re-run after a kill (bound) | unexplained re-runs | kills | sending | acked/s | total |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rs {
		fmt.Fprintf(&b, "| %s | %d | %d | %d | **%d** | %d | %d | **%d** | %d (≤ %d) | **%d** | %d | %s | %.0f | %s |\n",
			r.Store, r.Replicas, r.Events, r.Acked, r.Lost, r.Runs, r.Succeeded, r.Unfinished, r.Reran, r.MaxReran, r.Unexplained+r.NeverRan, r.Kills,
			r.Send.Round(time.Second), float64(r.Acked)/r.Send.Seconds(), r.Total.Round(time.Second))
	}
	b.WriteString("\n")
	for _, r := range rs {
		if r.NotAcked > 0 {
			fmt.Fprintf(&b, "- %s: %d events were never acknowledged within 2 minutes of retries.\n", r.Store, r.NotAcked)
		}
		for _, p := range r.Problems {
			fmt.Fprintf(&b, "- %s: %s\n", r.Store, p)
		}
	}
	verdict := "PASS"
	for _, r := range rs {
		if r.failed() {
			verdict = "FAIL"
		}
	}
	fmt.Fprintf(&b, "Verdict: **%s**. \"Lost\" counts acknowledged events missing from the store or without their run; a re-run is a run whose action ran more than once, explained only when each copy has its own attempt number and no earlier attempt recorded a finish (it was in flight, or its outcome was being recorded, at a kill).\n", verdict)
	return b.String()
}

// record replaces the "## Chaos" section of path (up to the next "## "
// heading) with summary, or appends it.
func record(path, summary string) error {
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	doc := string(b)
	const how = "\nReproduce: `bench/chaos.sh` runs the full chaos run (100,000 events at 500/s, SIGKILL every 30 s; SQLite, then two PostgreSQL replicas when `HOOKRUNNER_TEST_POSTGRES` is set; at least 6 minutes per store on an idle 2 vCPU, most of it the shell actions catching up at fork speed, ~275 runs/s). `bench/chaos.sh -events 20000 -kill-every 10s -label \"reduced run: 20,000 events\"` is the reduced run; every flag of `go run ./bench/chaos -h` passes through (`-rate`, `-kill-every`, `-stores sqlite`, `-max-kills`). `TestChaosToolSmallest` (e2e) runs it with 2,000 events and 2 kills.\n"
	section := summary + how
	if i := strings.Index(doc, "\n## Chaos"); i >= 0 {
		rest := doc[i+1:]
		end := len(rest)
		if j := strings.Index(rest[1:], "\n## "); j >= 0 {
			end = j + 2
		}
		doc = doc[:i+1] + section + "\n" + rest[end:]
	} else {
		doc = strings.TrimRight(doc, "\n") + "\n\n" + section
	}
	return os.WriteFile(path, []byte(doc), 0o644)
}
