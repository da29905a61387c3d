#!/usr/bin/env bash
# Builds Prometheus and promtool (the compose file's Prometheus health check:
# `promtool check ready`) from the Go module at a pinned version, for the stand-in image of
# prom/prometheus (standins/prometheus). Cached outside the repo, keyed by the release:
#   ${SHOPFLOOR_CACHE_DIR:-$HOME/.cache/shopfloor}/prometheus-<release>/{prometheus,promtool}
# A second run prints the directory and exits at once.
#
# Prometheus v3.13.2 is the Go module github.com/prometheus/prometheus v0.313.2 (v3.x.y ->
# v0.3xx.y). `go install` refuses it (replace directives), so it is built from the module's
# source (go_build --from-source). The module ships a go.work (web/ui and internal tools) that
# must not apply: GOWORK=off. The version is set as the Makefile's promu does
# (-X …/common/version.Version) and checked.
# The web UI assets are not built (they need npm and the React build, and are not in the Go
# module): the binary serves the API (/api/v1/...), /-/ready, /-/healthy, /metrics and the
# federation endpoint; the UI pages answer with an error. The compose stack uses the API only.
#
# stdout: the directory holding both binaries, on the last line. Progress goes to stderr.
set -euo pipefail

PROM_MODULE="github.com/prometheus/prometheus"

LOG_PREFIX=containers:prometheus
# shellcheck source=../../native-stack/setup/go-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../native-stack/setup/go-lib.sh"

out_dir="$CACHE_DIR/prometheus-$PROMETHEUS_RELEASE"
go_build --module "$PROM_MODULE@$PROMETHEUS_MODULE_VERSION" --from-source --what "Prometheus $PROMETHEUS_RELEASE" \
  --env GOWORK=off --env CGO_ENABLED=0 \
  --ldflags "$(promu_ldflags "$PROMETHEUS_RELEASE" "$PROMETHEUS_MODULE_VERSION")" \
  --check --version "*version ${PROMETHEUS_RELEASE#v} *" \
  --bin ./cmd/prometheus "$out_dir/prometheus" --bin ./cmd/promtool "$out_dir/promtool" >/dev/null
printf '%s\n' "$out_dir"
