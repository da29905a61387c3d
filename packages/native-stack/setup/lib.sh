# shellcheck shell=bash
# Shared by every set-up script here and in containers/ (sourced, not run): the cache location,
# logging, root and apt, atomic installs, long steps with progress, background jobs.
# The sourcing script sets LOG_PREFIX first (e.g. "setup", "build-jaeger", "containers:compose").
# Progress and errors go to stderr; a script's stdout is kept for its result.
# shellcheck disable=SC2034 # used by the sourcing scripts
CACHE_DIR="${SHOPFLOOR_CACHE_DIR:-$HOME/.cache/shopfloor}"

# Every pinned version (NODE_VERSION, GO_MIN_VERSION, JAEGER_MODULE_VERSION, ...): the repository's versions.env.
# shellcheck source=../../../versions.env
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)/versions.env"

log() { printf '[%s] %s\n' "${LOG_PREFIX:-setup}" "$*" >&2; }
die() { printf '[%s] ERROR: %s\n' "${LOG_PREFIX:-setup}" "$*" >&2; exit 1; }

# True when version $1 (1.25, 1.25.0, go1.26.8, go1.25rc1, 22.22.0) is at least $2.
version_at_least() {
  local have="${1#go}" want="${2#go}"
  have="${have%%[!0-9.]*}"
  [[ "$(printf '%s\n%s\n' "$want" "$have" | sort -V | head -n1)" == "$want" ]]
}

# as_root cmd...: runs it directly as root, or through sudo.
as_root() {
  if [[ "$(id -u)" -eq 0 ]]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "needs root for: $*  (run as root, or install sudo)"
  fi
}

# apt_install pkg...: Debian packages without recommends; RUNLEVEL=1 keeps their services from
# starting (the stack and the suite run their own instances).
apt_install() {
  command -v apt-get >/dev/null 2>&1 || die "missing $*, and no apt-get: install them with your package manager."
  log "installing Debian packages: $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || die "apt-get update failed (see above)."
  as_root env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y -qq --no-install-recommends "$@" >&2 \
    || die "apt-get install $* failed (see above)."
}

# install_atomic <file> <dest>: moves a finished file to its cached path with one rename (via a
# temporary name beside it, so a move across file systems is atomic too): a half-written file is
# never taken for the cached one.
install_atomic() {
  mkdir -p "$(dirname "$2")"
  mv -f "$1" "$2.tmp.$$"
  mv -f "$2.tmp.$$" "$2"
}

# link_atomic <target> <link>: (re)points a symlink with one rename.
link_atomic() {
  mkdir -p "$(dirname "$2")"
  ln -sfn "$1" "$2.tmp.$$" && mv -Tf "$2.tmp.$$" "$2"
}

# run_logged <what> <logfile> cmd...: runs cmd with its output in logfile and a progress line
# every 15 s (elapsed time, the log's last line); on failure prints the log's tail and returns
# cmd's status. cmd stays in the foreground, so Ctrl-C reaches it; the ticker ends with its shell.
run_logged() {
  local what="$1" logfile="$2"; shift 2
  local start=$SECONDS rc=0 ticker parent=$BASHPID
  (
    set +e
    n=0
    while kill -0 "$parent" 2>/dev/null; do
      sleep 1
      (( ++n % 15 )) || log "  $what: ${n}s$(tail -n 1 "$logfile" 2>/dev/null | cut -c1-100 | sed 's/.\{1,\}/ (&)/')"
    done
  ) &
  ticker=$!
  "$@" >"$logfile" 2>&1 || rc=$?
  kill "$ticker" 2>/dev/null || true
  wait "$ticker" 2>/dev/null || true
  if (( rc != 0 )); then
    tail -n 30 "$logfile" >&2
    log "$what failed after $((SECONDS - start))s (exit $rc; full log: $logfile)"
    return "$rc"
  fi
  log "$what done in $((SECONDS - start))s"
}

# --- background jobs ---------------------------------------------------------------------------
# For independent long steps (the Go builds) that run while the script does other work:
#   bg_init <dir> <what>    logs in <dir> (emptied), <what> names them in messages ("Go build");
#                           sets the EXIT/INT/TERM traps that stop the jobs
#   bg_start <name> cmd...  starts cmd in its own session: stdout <dir>/<name>.out, stderr
#                           <dir>/<name>.log
#   bg_wait                 waits for every job; prints the log tail of each failed one and
#                           returns 1 if any failed
#   bg_out <name>           the last line of the job's stdout (its result)
# Meanwhile a line every 15 s names the running jobs and their state (the last line of each log);
# a job's end is reported unless it printed nothing (a cached build). Ctrl-C, an error or a
# signal in the script stops the jobs (each with its whole process group: go and its compilers).
BG_DIR=""
BG_WHAT=""
BG_NAMES=()
BG_TICKER=""
BG_START=0

bg_init() {
  BG_DIR="$1"
  BG_WHAT="$2"
  rm -rf "$BG_DIR"
  mkdir -p "$BG_DIR"
  : >"$BG_DIR/jobs"
  BG_START=$SECONDS
  trap bg_stop EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM HUP
  local parent=$BASHPID
  (
    set +e # a file read mid-write must not end the ticker
    n=0
    while kill -0 "$parent" 2>/dev/null; do
      sleep 1
      if (( ++n % 15 )); then bg_report; else bg_report progress; fi
    done
  ) &
  BG_TICKER=$!
}

bg_start() {
  local name="$1"; shift
  printf '%s\n' "$name" >>"$BG_DIR/jobs"
  BG_NAMES+=("$name")
  # setsid: its own process group, to stop it with every child; -w in case setsid has to fork.
  # The job records that group's id ($$ of the session leader) for bg_stop.
  # shellcheck disable=SC2016 # expanded by the job's shell
  setsid -w bash -c 'echo $$ >"$1.pgid"; "${@:2}" >"$1.out" 2>"$1.log" </dev/null; echo "$? $SECONDS" >"$1.rc"' \
    bg-job "$BG_DIR/$name" "$@" &
  printf '%s\n' "$!" >"$BG_DIR/$name.pid"
}

# bg_report [progress]: a line for each job that ended since the last call (and said something);
# with "progress", one line for the running ones.
bg_report() {
  local name rc secs running=() last
  while read -r name; do
    if [[ -f "$BG_DIR/$name.rc" ]]; then
      [[ -e "$BG_DIR/$name.reported" ]] && continue
      read -r rc secs <"$BG_DIR/$name.rc"
      if [[ ! -s "$BG_DIR/$name.log" ]]; then
        : # a cached result: nothing to report
      elif [[ "$rc" == 0 ]]; then
        log "$BG_WHAT $name: done in ${secs}s"
      else
        log "$BG_WHAT $name: FAILED after ${secs}s (exit $rc; log: $BG_DIR/$name.log)"
      fi
      : >"$BG_DIR/$name.reported"
    else
      # The log's last line without its [prefix]: what the job is at.
      last="$(tail -n 1 "$BG_DIR/$name.log" 2>/dev/null | sed 's/^\[[^]]*\] *//' | cut -c1-70)"
      running+=("$name${last:+ ($last)}")
    fi
  done <"$BG_DIR/jobs"
  if [[ "${1:-}" == progress ]] && (( ${#running[@]} )); then
    local IFS=';'
    log "$BG_WHAT running, $((SECONDS - BG_START))s:${running[*]/#/ }"
  fi
}

bg_wait() {
  local name rc failed=()
  for name in "${BG_NAMES[@]}"; do
    wait "$(cat "$BG_DIR/$name.pid")" 2>/dev/null || true
  done
  kill "$BG_TICKER" 2>/dev/null || true
  wait "$BG_TICKER" 2>/dev/null || true
  BG_TICKER=""
  bg_report
  for name in "${BG_NAMES[@]}"; do
    rc="$(cut -d' ' -f1 "$BG_DIR/$name.rc" 2>/dev/null || echo killed)"
    if [[ "$rc" != 0 ]]; then
      log "---- $BG_WHAT $name failed (exit $rc); the end of $BG_DIR/$name.log:"
      tail -n 40 "$BG_DIR/$name.log" >&2
      failed+=("$name")
    fi
  done
  BG_NAMES=()
  if (( ${#failed[@]} )); then
    log "$BG_WHAT failed: ${failed[*]} (logs in $BG_DIR)"
    return 1
  fi
}

bg_out() { tail -n 1 "$BG_DIR/$1.out"; }

# The EXIT trap of bg_init: stops the jobs still running (an error or Ctrl-C before bg_wait).
bg_stop() {
  local name pgid
  [[ -z "$BG_TICKER" ]] || kill "$BG_TICKER" 2>/dev/null || true
  (( ${#BG_NAMES[@]} )) || return 0
  for name in "${BG_NAMES[@]}"; do
    [[ -f "$BG_DIR/$name.rc" ]] && continue
    log "stopping $BG_WHAT $name"
    # A job too young to have written its group id is still setsid itself: its pid.
    pgid="$(cat "$BG_DIR/$name.pgid" 2>/dev/null || cat "$BG_DIR/$name.pid")"
    kill -TERM -- "-$pgid" 2>/dev/null || kill -TERM "$pgid" 2>/dev/null || true
  done
  # Their EXIT traps remove their scratch dirs.
  wait 2>/dev/null
  return 0
}
