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
fetch_module_source "$VL_MODULE" "$VL_VERSION" "$build_dir/src"
[[ -d "$build_dir/src/app/victoria-logs" ]] || die "$VL_MODULE@$VL_VERSION has no app/victoria-logs"

log "compiling ./app/victoria-logs (a cold build takes a few minutes)"
start=$SECONDS
# buildinfo.Version is what `-version` and the /metrics vm_app_version series report.
ldflags="-s -w -X github.com/VictoriaMetrics/VictoriaMetrics/lib/buildinfo.Version=victoria-logs-$VL_VERSION-gomod"
if ! (cd "$build_dir/src" && CGO_ENABLED=0 GOFLAGS="-trimpath -buildvcs=false -mod=mod" \
    go build -ldflags="$ldflags" -o "$build_dir/victoria-logs" ./app/victoria-logs >&2); then
  die "go build of VictoriaLogs $VL_VERSION failed (output above). Check 'go version' (needs >= $GO_MIN_VERSION) and that the Go module proxy serves its dependencies"
fi

install_built "$build_dir/victoria-logs" "$binary"
log "built in $((SECONDS - start))s: $binary"
printf '%s\n' "$binary"
