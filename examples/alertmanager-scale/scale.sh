#!/bin/sh
# scale.sh up|down <service>: one scaling step per cool-down period.
set -eu
direction="$1"
service="$2"
case "$direction" in up|down) ;; *) echo "usage: scale.sh up|down <service>" >&2; exit 2 ;; esac
case "$service" in *[!A-Za-z0-9_.-]*|"") echo "refusing service name: $service" >&2; exit 2 ;; esac
dir="${STATE_DIR:-scale-state}"
mkdir -p "$dir"
stamp="$dir/$service.$direction.last"
now=$(date +%s)
if [ -f "$stamp" ] && [ $((now - $(cat "$stamp"))) -lt "${COOLDOWN_SECONDS:-300}" ]; then
  echo "cool-down: not scaling $service $direction again yet"
  exit 0
fi
echo "$now" > "$stamp"
# A real setup would run e.g.: kubectl scale deployment/"$service" --replicas=…
echo "$(date -u +%FT%TZ) scale $direction $service" >> "$dir/actions.log"
echo "scaled $service $direction"
