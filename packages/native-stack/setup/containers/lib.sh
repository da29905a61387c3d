# Shared by the containers setup scripts (sourced, not run): cache location, logging, apt,
# progress for long steps. Each script sets NAME before sourcing. Progress goes to stderr;
# a script's stdout is kept for its result.
# CACHE_DIR, version_at_least, require_go and the module-build helpers from the native stack's go-lib.sh.
# shellcheck source=../go-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../go-lib.sh"

log() { printf '[containers:%s] %s\n' "$NAME" "$*" >&2; }
die() { printf '[containers:%s] ERROR: %s\n' "$NAME" "$*" >&2; exit 1; }

# Runs "$@" with its output in the log file $2 and a progress line every 15 s (elapsed time and
# the log's last line); on failure prints the log's tail. $1: what is running, for the messages.
run_logged() {
  local what="$1" logfile="$2"; shift 2
  local start=$SECONDS pid rc=0 last
  "$@" >"$logfile" 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    if (( (SECONDS - start) % 15 == 0 )); then
      last="$(tail -n 1 "$logfile" 2>/dev/null | cut -c1-100)"
      log "  $what: $((SECONDS - start))s${last:+ ($last)}"
    fi
  done
  wait "$pid" || rc=$?
  if (( rc != 0 )); then
    tail -n 30 "$logfile" >&2
    log "$what failed after $((SECONDS - start))s (exit $rc; full log: $logfile)"
    return "$rc"
  fi
  log "$what done in $((SECONDS - start))s"
}

# as_root cmd...: runs it directly as root, or through sudo.
as_root() {
  if [[ "$(id -u)" -eq 0 ]]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "needs root for: $*  (run as root, or install sudo)"
  fi
}

# apt_install pkg...: Debian packages, as setup.sh installs its own (no recommends; their
# services are not started by the install).
apt_install() {
  command -v apt-get >/dev/null 2>&1 || die "missing $*, and no apt-get: install them with your package manager."
  log "installing Debian packages: $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || die "apt-get update failed (see above)."
  as_root env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y -qq --no-install-recommends "$@" >&2 \
    || die "apt-get install $* failed (see above)."
}
