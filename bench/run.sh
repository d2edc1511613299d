#!/usr/bin/env bash
# Reproduces every figure of bench/RESULTS.md from a clean checkout. It talks
# only to 127.0.0.1 and ends by itself (about 6 minutes on 2 vCPU).
#   bench/run.sh                 # ingest, execution, memory, Go benchmarks
#   ONLY=ingest bench/run.sh     # one scenario (ingest, exec, execqueue, memory, postgres, drain, search)
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
go build -o "$out/hookrunner" ./cmd/hookrunner
go build -o "$out/bare" ./bench/bare
go build -o "$out/loadgen" ./bench/loadgen
echo "# hookrunner benchmark run $(date -u +%FT%TZ)"
echo
echo "Machine: $(nproc) vCPU, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr), $(go version | cut -d' ' -f3)"
echo
scenarios=$(echo ",${ONLY:-ingest,exec,memory,postgres}," | sed 's/,drain,/,/; s/,execqueue,/,/; s/,search,/,/; s/^,//; s/,$//')
if [ -n "$scenarios" ]; then
  "$out/loadgen" -hookrunner "$out/hookrunner" -bare "$out/bare" -only "$scenarios" -flood "${FLOOD:-60s}"
fi
# Issue 22's drain row: claim + finish runs/s with 100,000 queued against
# 1,000 queued, in the same run (and the test process's RSS at 100,000).
drain() {
  local pkg=$1 name=$2
  local res
  res=$(go test -run '^$' -bench 'ClaimDeepQueue|ClaimRatio' -benchtime 3x -count 1 -timeout 30m "$pkg" 2>&1 | grep -E '^Benchmark(ClaimDeepQueue|ClaimRatio)' || true)
  if [ -z "$res" ]; then
    echo "| $name | skipped | | | |"
    return
  fi
  # runs/s from ClaimRatio (both queues drained in alternation, so load
  # from other processes falls on both alike); RSS from ClaimDeepQueue.
  echo "$res" | awk -v name="$name" '
    { for (i = 1; i < NF; i++) {
        if ($(i+1) == "runs/s@1k") a = $i; if ($(i+1) == "runs/s@100k") b = $i
        if ($(i+1) == "ratio") r = $i; if ($(i+1) == "RSS-MiB" && $i > m) m = $i } }
    END { printf "| %s | %.0f | %.0f | **%.2f** | %.1f |\n", name, a, b, r, m }'
}
if [ -z "${ONLY:-}" ] || [[ ",${ONLY}," == *,drain,* ]]; then
  echo "## Claims with a deep queue (Go benchmark BenchmarkClaimDeepQueue, 8 workers)"
  echo
  echo "| store | runs/s, 1,000 queued | runs/s, 100,000 queued | ratio (target ≥ 0.9) | RSS MiB at 100,000 (target ≤ 150) |"
  echo "|---|---|---|---|---|"
  drain ./store/sqlite/ sqlite
  if [ -n "${HOOKRUNNER_TEST_POSTGRES:-}" ]; then drain ./store/postgres/ postgres; fi
  echo
fi
# Issue 22's execution rows from a full queue: runs/s of an in-process
# engine (SQLite, 8 workers) draining queued runs, against a bare Go loop
# doing the same work on 8 goroutines, alternated in each iteration.
if [ -z "${ONLY:-}" ] || [[ ",${ONLY}," == *,execqueue,* ]]; then
  echo "## Execution from a full queue (Go benchmark BenchmarkDrainFullQueue, 8 workers)"
  echo
  echo "| action | runs/s | bare runs/s | ratio | target | commits/run | claims/run |"
  echo "|---|---|---|---|---|---|---|"
  go test -run '^$' -bench DrainFullQueue -benchtime 3x -count 1 -timeout 30m ./engine/ 2>&1 | grep -E '^BenchmarkDrainFullQueue' | awk '
    { for (i = 1; i < NF; i++) {
        if ($(i+1) == "runs/s") r = $i; if ($(i+1) == "bare/s") b = $i; if ($(i+1) == "ratio") q = $i
        if ($(i+1) == "commits/run") c = $i; if ($(i+1) == "claims/run") k = $i }
      name = $1; sub(/^BenchmarkDrainFullQueue\//, "", name); sub(/-[0-9]+$/, "", name)
      t = (name == "shell") ? "≥ 0.8" : "≥ 0.25"
      printf "| %s | %.0f | %.0f | **%.2f** | %s | %.2f | %.2f |\n", name, r, b, q, t, c, k }'
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
if [ -z "${ONLY:-}" ]; then
  echo "## Go benchmarks (matching, reload, store)"
  echo
  echo '```'
  go test -run '^$' -bench . -benchmem -benchtime 2s ./bench/ 2>&1 | grep -E '^(Benchmark|ok|PASS)' || true
  echo '```'
fi
rm -rf "$out"
