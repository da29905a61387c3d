# Shared by the build-*.sh scripts and setup.sh (sourced, not run): cache location, logging,
# the Go check. Each script sets NAME before sourcing.
CACHE_DIR="${SHOPFLOOR_CACHE_DIR:-$HOME/.cache/shopfloor}"

# The oldest Go that builds every Go binary of the stack: the highest `go` directive among the
# Collector's generated go.mod (OCB v0.155.0 and the v0.155.0 components: go 1.25.0), Jaeger's
# go.mod (v1.76.0: go 1.24.6), MinIO's go.mod (the pinned commit: go 1.24.0) and VictoriaLogs'
# go.mod (v1.52.1: go 1.26.5, the highest). The one place this is set: README.md and
# otel-collector/README.md follow it; otel-collector/Dockerfile (golang:1.25) builds only the
# Collector, whose own minimum is 1.25.0.
GO_MIN_VERSION="1.26.5"

log() { printf '[build-%s] %s\n' "$NAME" "$*" >&2; }
die() { printf '[build-%s] ERROR: %s\n' "$NAME" "$*" >&2; exit 1; }

# Prints the cached binary and exits when it is already built.
use_cached() {
  if [[ -x "$1" ]]; then
    printf '%s\n' "$1"
    exit 0
  fi
}

# True when version $1 (1.25, 1.25.0, go1.26.8, go1.25rc1) is at least $2.
version_at_least() {
  local have="${1#go}" want="${2#go}"
  have="${have%%[!0-9.]*}"
  [[ "$(printf '%s\n%s\n' "$want" "$have" | sort -V | head -n1)" == "$want" ]]
}

require_go() {
  # Go's standard install location is often not on PATH of non-login shells.
  if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
    PATH="/usr/local/go/bin:$PATH"
  fi
  command -v go >/dev/null 2>&1 || die "'go' is not on PATH. Install Go $GO_MIN_VERSION or newer (https://go.dev/dl/) and re-run setup; $NAME is built from its Go module source."
  # GOVERSION is the toolchain `go` will actually use (it honours GOTOOLCHAIN).
  local have
  have="$(go env GOVERSION 2>/dev/null)" || have="unknown"
  version_at_least "$have" "$GO_MIN_VERSION" \
    || die "Go $GO_MIN_VERSION or newer is required to build $NAME (found ${have} at $(command -v go)). Install a newer Go (https://go.dev/dl/), or, with Go >= 1.21, let it fetch the toolchain: GOTOOLCHAIN=go$GO_MIN_VERSION npm run setup"
}

# Copies the source of module $1 at version $2 into $3 (writable), for modules that
# `go install pkg@version` refuses (replace or exclude directives): built there as the main
# module, their own go.mod and go.sum apply. Run outside any module, so `go mod download`
# treats the argument as a plain module query.
fetch_module_source() {
  local module="$1" version="$2" dest="$3" mod_json mod_dir
  if ! mod_json="$(cd "$(dirname "$dest")" && GOFLAGS=-mod=mod go mod download -json "$module@$version")"; then
    printf '%s\n' "${mod_json:-}" >&2
    die "could not download $module@$version (is the Go module proxy reachable? see 'go env GOPROXY')"
  fi
  mod_dir="$(printf '%s\n' "$mod_json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' | head -n1)"
  [[ -n "$mod_dir" && -f "$mod_dir/go.mod" ]] || die "go mod download returned no source dir for $module@$version"
  # The module cache is read-only; the copy is made writable (go build may touch go.sum).
  cp -R "$mod_dir" "$dest"
  chmod -R u+w "$dest"
}

# Moves a freshly built binary $1 to its cached path $2 with one rename, so a half-written
# binary is never taken for the cached one.
install_built() {
  mkdir -p "$(dirname "$2")"
  mv -f "$1" "$2.tmp.$$"
  mv -f "$2.tmp.$$" "$2"
}
