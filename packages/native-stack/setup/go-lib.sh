# Shared by the build-*.sh scripts (sourced, not run): cache location, logging, the Go check.
# Each script sets NAME before sourcing.
CACHE_DIR="${SHOPFLOOR_CACHE_DIR:-$HOME/.cache/shopfloor}"

log() { printf '[build-%s] %s\n' "$NAME" "$*" >&2; }
die() { printf '[build-%s] ERROR: %s\n' "$NAME" "$*" >&2; exit 1; }

# Prints the cached binary and exits when it is already built.
use_cached() {
  if [[ -x "$1" ]]; then
    printf '%s\n' "$1"
    exit 0
  fi
}

require_go() {
  # Go's standard install location is often not on PATH of non-login shells.
  if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
    PATH="/usr/local/go/bin:$PATH"
  fi
  command -v go >/dev/null 2>&1 || die "'go' is not on PATH. Install Go 1.25 or newer (https://go.dev/dl/) and re-run setup; $NAME is built from its Go module source."
}
