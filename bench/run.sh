#!/usr/bin/env bash
# Reproduces every figure of bench/RESULTS.md from a clean checkout. It talks
# only to 127.0.0.1 and ends by itself (about 6 minutes on 2 vCPU).
#   bench/run.sh                 # ingest, execution, memory, Go benchmarks
#   ONLY=ingest bench/run.sh     # one scenario
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
"$out/loadgen" -hookrunner "$out/hookrunner" -bare "$out/bare" -only "${ONLY:-ingest,exec,memory,postgres}" -flood "${FLOOD:-60s}"
if [ -z "${ONLY:-}" ]; then
  echo "## Go benchmarks (matching, reload, store)"
  echo
  echo '```'
  go test -run '^$' -bench . -benchmem -benchtime 2s ./engine/ ./bench/ 2>&1 | grep -E '^(Benchmark|ok|PASS)' || true
  echo '```'
fi
rm -rf "$out"
