#!/usr/bin/env bash
# Builds VictoriaLogs (the log store: OTLP logs from the Collector, LogsQL queries, its own web
# UI vmui) from its Go module at a pinned version, cached outside the repo keyed by that version:
#   ${SHOPFLOOR_CACHE_DIR:-$HOME/.cache/shopfloor}/victorialogs-<module version>/victoria-logs
# If it is already there, the script prints its path and exits at once.
#
# The binary is the module's ./app/victoria-logs. The web UI is not built from source: the module
# ships the compiled vmui bundle in app/vlselect/vmui/ and embeds it (go:embed), so the Go build
# serves it at http://<host>:9428/select/vmui/.
# Like build-jaeger.sh, the module source is fetched with `go mod download` and built there as
# the main module (its own go.mod and go.sum then apply; `go install pkg@version` is not used so
# that the same flags and the scratch-dir-then-rename step apply to every build).
#
# stdout: the absolute path of the binary, on the last line. Progress goes to stderr.
set -euo pipefail

VL_MODULE="github.com/VictoriaMetrics/VictoriaLogs"
VL_VERSION="v1.52.1"

NAME=victorialogs
# shellcheck source=go-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/go-lib.sh"

out_dir="$CACHE_DIR/victorialogs-$VL_VERSION"
binary="$out_dir/victoria-logs"

use_cached "$binary"

require_go

mkdir -p "$CACHE_DIR"
build_dir="$(mktemp -d "$CACHE_DIR/.victorialogs-build-XXXXXX")"
cleanup() { rm -rf "$build_dir"; }
trap cleanup EXIT

log "fetching $VL_MODULE@$VL_VERSION"
# Run outside any module so `go mod download` treats the argument as a plain module query.
if ! mod_json="$(cd "$build_dir" && GOFLAGS=-mod=mod go mod download -json "$VL_MODULE@$VL_VERSION")"; then
  printf '%s\n' "${mod_json:-}" >&2
  die "could not download $VL_MODULE@$VL_VERSION (is the Go module proxy reachable? see 'go env GOPROXY')"
fi
mod_dir="$(printf '%s\n' "$mod_json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' | head -n1)"
[[ -n "$mod_dir" && -f "$mod_dir/go.mod" && -d "$mod_dir/app/victoria-logs" ]] \
  || die "go mod download returned no source dir with app/victoria-logs for $VL_MODULE@$VL_VERSION"

# The module cache is read-only; copy it and make it writable (go build may touch go.sum).
cp -R "$mod_dir" "$build_dir/src"
chmod -R u+w "$build_dir/src"

log "compiling ./app/victoria-logs (a cold build takes a few minutes)"
start=$SECONDS
# buildinfo.Version is what `-version` and the /metrics vm_app_version series report.
ldflags="-s -w -X github.com/VictoriaMetrics/VictoriaMetrics/lib/buildinfo.Version=victoria-logs-$VL_VERSION-gomod"
if ! (cd "$build_dir/src" && CGO_ENABLED=0 GOFLAGS="-trimpath -buildvcs=false -mod=mod" \
    go build -ldflags="$ldflags" -o "$build_dir/victoria-logs" ./app/victoria-logs >&2); then
  die "go build of VictoriaLogs $VL_VERSION failed (output above). Check 'go version' (needs >= $GO_MIN_VERSION) and that the Go module proxy serves its dependencies"
fi

# Scratch dir, then one rename: a half-written binary is never taken for the cached one.
mkdir -p "$out_dir"
mv -f "$build_dir/victoria-logs" "$binary.tmp.$$"
mv -f "$binary.tmp.$$" "$binary"
log "built in $((SECONDS - start))s: $binary"
printf '%s\n' "$binary"
