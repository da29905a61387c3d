#!/usr/bin/env bash
# Builds Jaeger v2 (the single `jaeger` binary) from its Go module at a pinned version.
#
# Idempotent: the binary is cached outside the repo, keyed by the module version:
#   ${SHOPFLOOR_CACHE_DIR:-$HOME/.cache/shopfloor}/jaeger-<module version>/jaeger
# If it is already there, the script prints its path and exits at once.
#
# Why not `go install github.com/jaegertracing/jaeger/cmd/jaeger@...`: the module's go.mod
# has replace directives, which `go install pkg@version` refuses. So the module source is
# fetched with `go mod download`, copied to a scratch dir and built there as the main module
# (its replace directives and go.sum then apply). The UI assets are not built: the default
# build embeds a placeholder UI; the HTTP API (/api/...) on 16686 is complete.
#
# stdout: the absolute path of the binary, on the last line. Progress goes to stderr.
set -euo pipefail

# Go module github.com/jaegertracing/jaeger v1.76.0 == Jaeger v2.13.0 (the module's tags are
# v1.x; later Jaeger releases have no Go-usable tag).
JAEGER_MODULE="github.com/jaegertracing/jaeger"
JAEGER_MODULE_VERSION="v1.76.0"
JAEGER_RELEASE="v2.13.0"

NAME=jaeger
# shellcheck source=go-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/go-lib.sh"

out_dir="$CACHE_DIR/jaeger-$JAEGER_MODULE_VERSION"
binary="$out_dir/jaeger"

use_cached "$binary"

require_go

mkdir -p "$CACHE_DIR"
build_dir="$(mktemp -d "$CACHE_DIR/.jaeger-build-XXXXXX")"
cleanup() { rm -rf "$build_dir"; }
trap cleanup EXIT

log "fetching $JAEGER_MODULE@$JAEGER_MODULE_VERSION (Jaeger $JAEGER_RELEASE)"
fetch_module_source "$JAEGER_MODULE" "$JAEGER_MODULE_VERSION" "$build_dir/src"

log "compiling ./cmd/jaeger (a cold build takes several minutes)"
start=$SECONDS
ldflags="-s -w"
ldflags+=" -X $JAEGER_MODULE/internal/version.latestVersion=$JAEGER_RELEASE"
ldflags+=" -X $JAEGER_MODULE/internal/version.commitSHA=gomod-$JAEGER_MODULE_VERSION"
if ! (cd "$build_dir/src" && GOFLAGS="-trimpath -buildvcs=false" \
    go build -ldflags="$ldflags" -o "$build_dir/jaeger" ./cmd/jaeger >&2); then
  die "go build of Jaeger $JAEGER_RELEASE failed (output above). Check 'go version' (needs >= $GO_MIN_VERSION) and that the Go module proxy serves its dependencies"
fi

install_built "$build_dir/jaeger" "$binary"
log "built in $((SECONDS - start))s: $binary"
printf '%s\n' "$binary"
