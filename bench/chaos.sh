#!/usr/bin/env bash
# The chaos run of bench/RESULTS.md ("## Chaos"): 100,000 signed events at a
# steady rate while hookrunner is killed with SIGKILL every 30 s and
# restarted (SQLite; then two PostgreSQL replicas killed in turn when
# HOOKRUNNER_TEST_POSTGRES is set). Builds the binary, talks only to
# 127.0.0.1, stops by itself, and records its summary in bench/RESULTS.md.
#   bench/chaos.sh                                   # the full run
#   bench/chaos.sh -events 20000 -kill-every 20s -label "reduced run"
set -euo pipefail
cd "$(dirname "$0")/.."
exec go run ./bench/chaos -record bench/RESULTS.md "$@"
