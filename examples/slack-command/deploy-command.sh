#!/bin/sh
# deploy-command.sh <user> <text>: answers a /deploy slash command. The
# real deploy would be queued here (e.g. by posting to another hookrunner
# source); Slack needs an answer within 3 seconds.
set -eu
user="$1"
text="${2:-}"
app=$(printf '%s' "$text" | awk '{print $1}')
env=$(printf '%s' "$text" | awk '{print $2}')
[ -n "$env" ] || env=staging
case "$app" in
  ""|*[!A-Za-z0-9_-]*) printf '{"response_type":"ephemeral","text":"usage: /deploy <app> [environment]"}\n'; exit 0 ;;
esac
case "$env" in *[!A-Za-z0-9_-]*) env=staging ;; esac
printf '{"response_type":"in_channel","text":"Deploying %s to %s, requested by @%s"}\n' "$app" "$env" "$user"
