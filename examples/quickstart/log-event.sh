#!/bin/sh
# Appends one line per event to var/events.log (see redeploy.sh for where).
set -eu
# Logs go to var/ beside the config when that is writable (the quick start),
# else under the service's home (/var/lib/hookrunner in the container and
# the systemd unit, where the config's folder is read-only).
logdir=var
mkdir -p "$logdir" 2>/dev/null && [ -w "$logdir" ] || { logdir="$HOME/var"; mkdir -p "$logdir"; }
echo "$(date -u +%FT%TZ) ${HOOKRUNNER_SOURCE}/${HOOKRUNNER_EVENT}: $*" | tee -a "$logdir/events.log"
