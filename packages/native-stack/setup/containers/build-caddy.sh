#!/usr/bin/env bash
# Builds Caddy (the Jaeger UI proxy of the compose file, and `caddy hash-password` in
# compose/auth/render.sh) from its Go module at a pinned version, for the stand-in image of
# caddy:2.11.4-alpine (standins/caddy). Cached outside the repo, keyed by version:
#   ${SHOPFLOOR_CACHE_DIR:-$HOME/.cache/shopfloor}/caddy-<version>/caddy
# A second run prints the path and exits at once.
#
# `go install github.com/caddyserver/caddy/v2/cmd/caddy@<version>` works (no replace or exclude
# directives), about 3 minutes cold. Built that way Caddy is its own main module, so its
# Version() finds no version in the build info ("unknown"): CustomVersion is set with -X, as
# xcaddy-less builds are told to, so `caddy version` reports the release.
#
# stdout: the absolute path of the binary, on the last line. Progress goes to stderr.
set -euo pipefail

CADDY_MODULE="github.com/caddyserver/caddy/v2"
CADDY_VERSION="v2.11.4"

NAME=caddy
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

binary="$CACHE_DIR/caddy-$CADDY_VERSION/caddy"
use_cached "$binary"
require_go

mkdir -p "$CACHE_DIR"
build_dir="$(mktemp -d "$CACHE_DIR/.caddy-build-XXXXXX")"
trap 'rm -rf "$build_dir"' EXIT

log "compiling $CADDY_MODULE/cmd/caddy@$CADDY_VERSION (a cold build takes about 3 minutes)"
run_logged "go install caddy" "$build_dir/build.log" \
  env GOBIN="$build_dir/bin" CGO_ENABLED=0 GOFLAGS="-trimpath" \
  go install -ldflags="-s -w -X $CADDY_MODULE.CustomVersion=$CADDY_VERSION" "$CADDY_MODULE/cmd/caddy@$CADDY_VERSION" \
  || die "go install of Caddy $CADDY_VERSION failed (log above). Check 'go version' (needs >= $GO_MIN_VERSION) and that the Go module proxy serves its dependencies"

have="$("$build_dir/bin/caddy" version 2>&1)" || die "the built caddy does not run: $have"
[[ "$have" == "$CADDY_VERSION"* ]] || die "the built caddy reports '$have', expected $CADDY_VERSION"
install_built "$build_dir/bin/caddy" "$binary"
log "cached $binary"
printf '%s\n' "$binary"
