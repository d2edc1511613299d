#!/bin/sh
# redeploy.sh <sha>: bring $REPO_DIR to <sha>, build, restart.
# The sha arrives as one argv entry; it is never interpreted by a shell.
set -eu
sha="$1"
case "$sha" in *[!0-9a-f]*|"") echo "refusing: not a commit sha: $sha" >&2; exit 2 ;; esac
log="${DEPLOY_LOG:-deploys.log}"
case "$log" in /*) ;; *) log="$PWD/$log" ;; esac
cd "${REPO_DIR:?REPO_DIR not set}"
echo "$(date -u +%s%N) start $sha" >> "$log"
git fetch --quiet origin
git checkout --quiet --detach "$sha"
if [ -f Makefile ]; then make --quiet build; fi
$RESTART_CMD
echo "$(date -u +%s%N) end $sha" >> "$log"
echo "deployed $sha"
