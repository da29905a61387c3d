#!/usr/bin/env bash
# Builds the shopfloor OpenTelemetry Collector (otelcol-shopfloor) from
# otel-collector/builder-config.yaml with the OpenTelemetry Collector Builder (OCB).
#
# Idempotent: the binary is cached outside the repo, keyed by the sha256 of the manifest:
#   ${SHOPFLOOR_CACHE_DIR:-$HOME/.cache/shopfloor}/otelcol-shopfloor-<sha256[:12]>/otelcol-shopfloor
# If it is already there, the script prints its path and exits at once.
#
# stdout: the absolute path of the binary, on the last line. Progress goes to stderr.
# Needs: Go >= GO_MIN_VERSION (go-lib.sh) and the Go module proxy.
set -euo pipefail

BUILDER_VERSION="v0.155.0" # must match the core module versions in builder-config.yaml

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../../.." && pwd)"
MANIFEST="$REPO_ROOT/otel-collector/builder-config.yaml"

NAME=collector
# shellcheck source=go-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/go-lib.sh"

[[ -f "$MANIFEST" ]] || die "builder manifest not found: $MANIFEST"

hash="$(sha256sum "$MANIFEST" | cut -c1-12)"
out_dir="$CACHE_DIR/otelcol-shopfloor-$hash"
binary="$out_dir/otelcol-shopfloor"

use_cached "$binary"

require_go

if ! grep -q "go.opentelemetry.io/collector/receiver/otlpreceiver $BUILDER_VERSION" "$MANIFEST"; then
  die "builder-config.yaml does not use core collector $BUILDER_VERSION; update BUILDER_VERSION in $0 together with the manifest"
fi

mkdir -p "$CACHE_DIR"

# 1. The builder itself, pinned and cached by version.
builder_dir="$CACHE_DIR/otelcol-builder-$BUILDER_VERSION"
builder="$builder_dir/builder"
if [[ ! -x "$builder" ]]; then
  log "installing OpenTelemetry Collector Builder $BUILDER_VERSION into $builder_dir"
  tmp_bin="$(mktemp -d "$CACHE_DIR/.builder-XXXXXX")"
  if ! GOBIN="$tmp_bin" GOFLAGS="${GOFLAGS:-} -trimpath" \
      go install -ldflags='-s -w' "go.opentelemetry.io/collector/cmd/builder@$BUILDER_VERSION" >&2; then
    rm -rf "$tmp_bin"
    die "could not install go.opentelemetry.io/collector/cmd/builder@$BUILDER_VERSION (is the Go module proxy reachable? see 'go env GOPROXY')"
  fi
  mkdir -p "$builder_dir"
  mv -f "$tmp_bin/builder" "$builder"
  rm -rf "$tmp_bin"
fi

# 2. The collector: generate sources + compile in a scratch dir inside the cache, then
#    move only the binary into place (atomic rename, so a half-built binary is never used).
build_dir="$(mktemp -d "$CACHE_DIR/.otelcol-build-XXXXXX")"
cleanup() { rm -rf "$build_dir"; }
trap cleanup EXIT

log "building otelcol-shopfloor (manifest sha256 $hash) in $build_dir; a cold build takes several minutes"
start=$SECONDS
# The builder already compiles with -trimpath and -ldflags='-s -w'.
if ! GOFLAGS="${GOFLAGS:-} -trimpath" "$builder" --config "$MANIFEST" --output-path "$build_dir/src" >&2; then
  die "the OpenTelemetry Collector Builder failed (output above). Check Go (go version: $(go version 2>/dev/null || echo none)) and that the Go module proxy serves every module pinned in $MANIFEST"
fi
[[ -x "$build_dir/src/otelcol-shopfloor" ]] || die "builder finished but $build_dir/src/otelcol-shopfloor is missing"

mkdir -p "$out_dir"
mv -f "$build_dir/src/otelcol-shopfloor" "$binary.tmp.$$"
mv -f "$binary.tmp.$$" "$binary"
log "built in $((SECONDS - start))s: $binary"
printf '%s\n' "$binary"
