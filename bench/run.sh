#!/usr/bin/env bash
# Reproduces the figures of bench/RESULTS.md from a clean checkout and ends
# with issue 22's table: every row with its baseline measured in the same
# run. It talks only to 127.0.0.1 and ends by itself (about 4 minutes on
# 2 vCPU with PostgreSQL).
#   bench/run.sh                 # everything below, then the summary table
#   ONLY=ingest bench/run.sh     # some scenarios: ingest, rss, postgres,
#                                # drain, execqueue, exec, memory, gobench
# HOOKRUNNER_TEST_POSTGRES=postgres://… adds the PostgreSQL rows.
#   ONLY=search bench/run.sh     # issue 27: search and retention over a million events (only when asked)
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
summary=$out/summary.tsv
: >"$summary"
go build -o "$out/hookrunner" ./cmd/hookrunner
go build -o "$out/bare" ./bench/bare
go build -o "$out/loadgen" ./bench/loadgen
all=ingest,rss,postgres,drain,execqueue,exec,memory,gobench
only=",${ONLY:-$all},"
want() { [[ "$only" == *,$1,* ]]; }
started=$(date -u +%FT%TZ)
load_start=$(uptime | sed 's/.*load average: //')
echo "# hookrunner benchmark run $started"
echo
echo "Machine: $(nproc) vCPU, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr), $(go version | cut -d' ' -f3); load average at start: $load_start"
echo

# The loadgen scenarios (separate server processes on 127.0.0.1), in the
# order asked. The ingest scenario runs first so that the PostgreSQL row
# has the bare server's figure of this run as its baseline.
scenarios=""
for s in ingest rss postgres exec memory; do
  if want "$s"; then scenarios="$scenarios,$s"; fi
done
scenarios=${scenarios#,}
if [ -n "$scenarios" ]; then
  if [[ ",$scenarios," == *,postgres,* ]] && [ -z "${HOOKRUNNER_TEST_POSTGRES:-}" ]; then
    printf 'PostgreSQL ingest, 1 replica\t\tskipped (no HOOKRUNNER_TEST_POSTGRES)\t\tmeasured\t—\n' >>"$summary"
  fi
  "$out/loadgen" -hookrunner "$out/hookrunner" -bare "$out/bare" -only "$scenarios" -flood "${FLOOD:-30s}" -summary "$summary"
fi

# The in-process benchmarks run with GOGC=400 (GOGC overrides), as the
# server does (app/gc.go); the bare loops share the process and the setting.
# Issue 22's drain row: claim + finish runs/s with 100,000 queued against
# 1,000 queued, the two queues drained in alternation in the same process
# (BenchmarkClaimRatio), so load from other processes falls on both alike.
drain() {
  local pkg=$1 name=$2 target=$3
  local res
  res=$(GOGC=${GOGC:-400} go test -run '^$' -bench 'ClaimRatio' -benchtime 3x -count 1 -timeout 30m "$pkg" 2>&1 | grep -E '^BenchmarkClaimRatio' || true)
  if [ -z "$res" ]; then
    echo "| $name | skipped | | | |"
    printf '%s: drain rate, 100,000 queued vs 1,000 queued\t\tskipped\t\t%s\t—\n' "$name" "$target" >>"$summary"
    return
  fi
  echo "$res" | awk -v name="$name" -v target="$target" -v summary="$summary" '
    { for (i = 1; i < NF; i++) {
        if ($(i+1) == "runs/s@1k") a = $i; if ($(i+1) == "runs/s@100k") b = $i; if ($(i+1) == "ratio") r = $i
        if ($(i+1) == "cpu-µs/run@1k") c1 = $i; if ($(i+1) == "cpu-µs/run@100k") c2 = $i } }
    END {
      printf "| %s | %.0f | %.0f | **%.2f** | %.0f / %.0f |\n", name, a, b, r, c1, c2
      met = (target == "measured") ? "—" : ((r >= 0.9) ? "yes" : "no")
      printf "%s: drain rate (claims + finishes), 100,000 queued (test process CPU µs/run: %.0f; %.0f with 1,000)\t%.0f runs/s with 1,000 queued\t%.0f runs/s\t%.2f\t%s\t%s\n", name, c2, c1, a, b, r, target, met >> summary }'
}
if want drain; then
  echo "## Claims with a deep queue (Go benchmark BenchmarkClaimRatio: 8 workers, 1,000 runs drained from each queue per iteration)"
  echo
  echo "| store | runs/s, 1,000 queued | runs/s, 100,000 queued | ratio | CPU µs/run of the test process, 1,000 / 100,000 queued |"
  echo "|---|---|---|---|---|"
  drain ./store/sqlite/ sqlite "≥ 0.9"
  if [ -n "${HOOKRUNNER_TEST_POSTGRES:-}" ]; then
    drain ./store/postgres/ PostgreSQL measured
  else
    printf 'PostgreSQL: drain rate, 100,000 queued\t\tskipped (no HOOKRUNNER_TEST_POSTGRES)\t\tmeasured\t—\n' >>"$summary"
  fi
  echo
fi

# Issue 22's execution rows from a full queue: runs/s of an in-process
# engine (SQLite, 8 workers) draining queued runs, against a bare Go loop
# doing the same work on 8 goroutines, alternated in each iteration.
if want execqueue; then
  echo "## Execution from a full queue (Go benchmark BenchmarkDrainFullQueue, 8 workers)"
  echo
  echo "| action | runs/s | bare runs/s | ratio | target | commits/run | claims/run |"
  echo "|---|---|---|---|---|---|---|"
  GOGC=${GOGC:-400} go test -run '^$' -bench DrainFullQueue -benchtime 3x -count 1 -timeout 30m ./engine/ 2>&1 | grep -E '^BenchmarkDrainFullQueue' | awk -v summary="$summary" '
    { for (i = 1; i < NF; i++) {
        if ($(i+1) == "runs/s") r = $i; if ($(i+1) == "bare/s") b = $i; if ($(i+1) == "ratio") q = $i
        if ($(i+1) == "commits/run") c = $i; if ($(i+1) == "claims/run") k = $i }
      name = $1; sub(/^BenchmarkDrainFullQueue\//, "", name); sub(/-[0-9]+$/, "", name)
      t = (name == "shell") ? 0.8 : 0.25
      printf "| %s | %.0f | %.0f | **%.2f** | ≥ %s | %.2f | %.2f |\n", name, r, b, q, t, c, k
      what = (name == "shell") ? "/bin/true shell runs/s from a full queue, 8 workers" : "http action runs/s from a full queue, 8 workers, local 200 server"
      base = (name == "shell") ? "bare fork/exec loop" : "bare Go client loop"
      printf "%s\t%s %.0f/s\t%.0f/s\t%.3f\t≥ %s\t%s\n", what, base, b, r, q, t, (q >= t) ? "yes" : "no" >> summary }'
  echo
fi
# Issue 27's search and retention rows: a SQLite file of 1,000,000 events
# (HOOKRUNNER_BENCH_EVENTS to change), searched without and with the
# search indexes, then ingest latency alone and while Prune deletes them
# all. Several minutes; only with ONLY=search.
if [[ ",${ONLY:-}," == *,search,* ]]; then
  echo "## Search and retention over a million events (Go benchmark BenchmarkSearchMillion)"
  echo
  echo "Load: $(uptime)"
  echo
  echo '```'
  HOOKRUNNER_BENCH_SEARCH=1 go test -run '^$' -bench SearchMillion -benchtime 1x -count 1 -timeout 60m ./bench/ 2>&1 | grep -E '^(  |Benchmark|ok|FAIL|---)' || true
  echo '```'
  echo
fi
if want gobench; then
  echo "## Go benchmarks (matching, reload, store)"
  echo
  echo '```'
  go test -run '^$' -bench . -benchmem -benchtime 2s ./bench/ 2>&1 | grep -E '^(Benchmark|ok|PASS)' || true
  echo '```'
  echo
fi

echo "## Issue 22: every row against its baseline in this run"
echo
echo "Run $started → $(date -u +%FT%TZ); load average at start: $load_start; at the end: $(uptime | sed 's/.*load average: //')"
echo
echo "| what | baseline (same run) | value | ratio | target | met? |"
echo "|---|---|---|---|---|---|"
awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, ($4 == "") ? "" : "**" $4 "**", $5, $6 }' "$summary"
