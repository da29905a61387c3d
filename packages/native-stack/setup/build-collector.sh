#!/usr/bin/env bash
# Builds the shopfloor OpenTelemetry Collector (otelcol-shopfloor) from
# otel-collector/builder-config.yaml with the OpenTelemetry Collector Builder (OCB).
#
# Idempotent: the binary is cached outside the repo, keyed by the sha256 of the manifest:
#   ${SHOPFLOOR_CACHE_DIR:-$HOME/.cache/shopfloor}/otelcol-shopfloor-<sha256[:12]>/otelcol-shopfloor
# If it is already there, the script prints its path and exits at once.
# The builder itself is `go install`ed into the cache, keyed by its version. It generates the
# distribution's main module (--skip-compilation) and go_build compiles it with the flags the
# builder would use (-trimpath, -ldflags='-s -w', CGO_ENABLED=0), so the compile waits for a
# compile slot like every other Go build.
#
# stdout: the absolute path of the binary, on the last line. Progress goes to stderr.
# Needs: Go >= GO_MIN_VERSION (go-lib.sh) and the Go module proxy.
set -euo pipefail

LOG_PREFIX=build-collector
# shellcheck source=go-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/go-lib.sh"
MANIFEST="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)/otel-collector/builder-config.yaml"

[[ -f "$MANIFEST" ]] || die "builder manifest not found: $MANIFEST"
grep -q "go.opentelemetry.io/collector/receiver/otlpreceiver $OTELCOL_BUILDER_VERSION" "$MANIFEST" \
  || die "builder-config.yaml does not use core collector $OTELCOL_BUILDER_VERSION; update OTELCOL_BUILDER_VERSION in versions.env together with the manifest"
hash="$(sha256sum "$MANIFEST" | cut -c1-12)"
binary="$CACHE_DIR/otelcol-shopfloor-$hash/otelcol-shopfloor"

# ocb_source <dir>: the distribution's main module (sources, go.mod, go.sum), not compiled.
ocb_source() {
  local builder
  builder="$(go_build --module "go.opentelemetry.io/collector/cmd/builder@$OTELCOL_BUILDER_VERSION" \
    --bin . "$CACHE_DIR/otelcol-builder-$OTELCOL_BUILDER_VERSION/builder")"
  run_logged "OpenTelemetry Collector Builder" "$(dirname "$1")/ocb.log" \
    "$builder" --config "$MANIFEST" --output-path "$1" --skip-compilation \
    || die "the OpenTelemetry Collector Builder failed (log above). Check that the Go module proxy serves every module pinned in $MANIFEST"
}

go_build --source-from ocb_source --what "otelcol-shopfloor (manifest sha256 $hash)" \
  --env CGO_ENABLED=0 --bin . "$binary"
