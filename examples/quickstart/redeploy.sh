#!/bin/sh
# Stand-in for a real deploy: a real one would git fetch, check out "$1",
# build and restart. Arguments arrive as separate argv entries; nothing is
# ever interpreted by a shell.
set -eu
sha="$1"
who="${2:-unknown}"
echo "deploying acme/api at ${sha} (pushed by ${who}); event ${HOOKRUNNER_EVENT_ID}, run ${HOOKRUNNER_RUN_ID}"
# Logs go to var/ beside the config when that is writable (the quick start),
# else under the service's home (/var/lib/hookrunner in the container and
# the systemd unit, where the config's folder is read-only).
logdir=var
mkdir -p "$logdir" 2>/dev/null && [ -w "$logdir" ] || { logdir="$HOME/var"; mkdir -p "$logdir"; }
echo "$(date -u +%FT%TZ) deployed ${sha}" >> "$logdir/deploys.log"
