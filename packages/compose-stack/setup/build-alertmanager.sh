#!/usr/bin/env bash
# Builds Alertmanager and amtool (the compose file's Alertmanager health check:
# `amtool config show`) from the Go module at the compose file's release, for the stand-in image of
# prom/alertmanager (standins/alertmanager). Cached outside the repo, keyed by version:
#   ${SHOPFLOOR_CACHE_DIR:-$HOME/.cache/shopfloor}/alertmanager-<version>/{alertmanager,amtool}
# A second run prints the directory and exits at once.
#
# Built from the module's source (`go mod download`, then `go build`), as build-prometheus.sh
# does; the version is set with -X as promu does, and checked. The web UI's built assets
# (ui/app/dist, made by npm in its release build) are not in the Go module, and ui/web.go embeds
# that folder: a one-page placeholder stands in for them. The API (/api/v2/...), /-/ready and
# /-/healthy, /metrics and amtool work; the UI page says where the UI is. The compose stack and its
# tests use the API only.
#
# stdout: the directory holding both binaries, on the last line. Progress goes to stderr.
set -euo pipefail

MODULE="github.com/prometheus/alertmanager"

LOG_PREFIX=containers:alertmanager
# shellcheck source=../../native-stack/setup/go-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../native-stack/setup/go-lib.sh"

# alertmanager_source DIR: the module's source, with the placeholder UI.
alertmanager_source() {
  fetch_module_source "$MODULE" "$ALERTMANAGER_VERSION" "$1"
  mkdir -p "$1/ui/app/dist"
  printf '<!doctype html><title>Alertmanager</title><p>Alertmanager %s stand-in built from its Go module: the web UI is not part of it; the API is at /api/v2/.</p>\n' \
    "$ALERTMANAGER_VERSION" > "$1/ui/app/dist/index.html"
}

out_dir="$CACHE_DIR/alertmanager-$ALERTMANAGER_VERSION"
go_build --module "$MODULE@$ALERTMANAGER_VERSION" --source-from alertmanager_source --what "Alertmanager $ALERTMANAGER_VERSION" \
  --env GOWORK=off --env CGO_ENABLED=0 \
  --ldflags "$(promu_ldflags "$ALERTMANAGER_VERSION" "$ALERTMANAGER_VERSION")" \
  --check --version "*version ${ALERTMANAGER_VERSION#v} *" \
  --bin ./cmd/alertmanager "$out_dir/alertmanager" --bin ./cmd/amtool "$out_dir/amtool" >/dev/null
printf '%s\n' "$out_dir"
