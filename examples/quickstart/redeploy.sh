#!/bin/sh
# Stand-in for a real deploy: a real one would git fetch, check out "$1",
# build and restart. Arguments arrive as separate argv entries; nothing is
# ever interpreted by a shell.
set -eu
sha="$1"
who="${2:-unknown}"
echo "deploying acme/api at ${sha} (pushed by ${who}); event ${HOOKRUNNER_EVENT_ID}, run ${HOOKRUNNER_RUN_ID}"
mkdir -p var
echo "$(date -u +%FT%TZ) deployed ${sha}" >> var/deploys.log
