#!/usr/bin/env bash
# Makes sure a Docker engine answers on this machine:
#   - no `dockerd` (or no `docker` CLI): installs Debian's docker.io with apt (as root or sudo);
#   - `docker info` fails: starts dockerd in the background (detached, log in
#     ${SHOPFLOOR_CACHE_DIR:-$HOME/.cache/shopfloor}/dockerd.log) and waits up to
#     DOCKERD_WAIT_SECONDS (default 60) for it to answer; a clear error with the log's tail if not;
#   - it already answers: nothing (seconds).
# dockerd keeps running after this script (and `npm run setup:containers`) ends: stop it with
# `kill $(cat /var/run/docker.pid)`.
# stdout: the engine's version on the last line. Progress goes to stderr.
set -euo pipefail

LOG_PREFIX=containers:dockerd
# shellcheck source=../../native-stack/setup/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../native-stack/setup/lib.sh"

wait_seconds="${DOCKERD_WAIT_SECONDS:-60}"

engine_version() { docker version --format '{{.Server.Version}}' 2>/dev/null; }

if version="$(engine_version)" && [[ -n "$version" ]]; then
  printf '%s\n' "$version"
  exit 0
fi

if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
  apt_install docker.io
  hash -r
  command -v dockerd >/dev/null 2>&1 || die "docker.io is installed but dockerd is not on PATH ($PATH)"
fi

# The package's own service may have started it meanwhile.
if version="$(engine_version)" && [[ -n "$version" ]]; then
  log "Docker engine $version is running"
  printf '%s\n' "$version"
  exit 0
fi

if [[ -n "${DOCKER_HOST:-}" ]]; then
  die "DOCKER_HOST=$DOCKER_HOST does not answer ('docker info' fails); unset it to use a local dockerd, or start that engine"
fi

mkdir -p "$CACHE_DIR"
dockerd_log="$CACHE_DIR/dockerd.log"
log "starting dockerd in the background (log: $dockerd_log)"
printf '\n--- %s: started by setup:containers\n' "$(date -u +%FT%TZ)" >>"$dockerd_log"
log_from=$(( $(wc -c <"$dockerd_log") + 1 ))
# This start's part of the log.
log_tail() { tail -c "+$log_from" "$dockerd_log" | tail -n 20 >&2; }
# setsid: its own session, so it outlives this script and the terminal.
as_root setsid dockerd >>"$dockerd_log" 2>&1 </dev/null &
dockerd_pid=$!

start=$SECONDS
until version="$(engine_version)" && [[ -n "$version" ]]; do
  if ! kill -0 "$dockerd_pid" 2>/dev/null && ! pgrep -x dockerd >/dev/null 2>&1; then
    log_tail
    die "dockerd exited at start (log above, full log: $dockerd_log)"
  fi
  if (( SECONDS - start >= wait_seconds )); then
    log_tail
    die "dockerd (pid $dockerd_pid, left running) did not answer within ${wait_seconds}s (log above, full log: $dockerd_log). Raise DOCKERD_WAIT_SECONDS, or fix the error in the log."
  fi
  sleep 1
done
log "Docker engine $version is up after $((SECONDS - start))s"
printf '%s\n' "$version"
