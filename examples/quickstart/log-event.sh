#!/bin/sh
# Appends one line per event to var/events.log.
set -eu
mkdir -p var
echo "$(date -u +%FT%TZ) ${HOOKRUNNER_SOURCE}/${HOOKRUNNER_EVENT}: $*" | tee -a var/events.log
