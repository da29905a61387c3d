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
# xcaddy-less builds are told to, so `caddy version` reports the release (checked).
#
# stdout: the absolute path of the binary, on the last line. Progress goes to stderr.
set -euo pipefail

CADDY_MODULE="github.com/caddyserver/caddy/v2"

LOG_PREFIX=containers:caddy
# shellcheck source=../../native-stack/setup/go-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../native-stack/setup/go-lib.sh"

go_build --module "$CADDY_MODULE@$CADDY_VERSION" --env CGO_ENABLED=0 \
  --ldflags "-X $CADDY_MODULE.CustomVersion=$CADDY_VERSION" --check version "$CADDY_VERSION*" \
  --bin ./cmd/caddy "$CACHE_DIR/caddy-$CADDY_VERSION/caddy"
