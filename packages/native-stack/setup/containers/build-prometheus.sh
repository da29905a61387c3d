#!/usr/bin/env bash
# Builds Prometheus and promtool (the compose file's Prometheus health check:
# `promtool check ready`) from the Go module at a pinned version, for the stand-in image of
# prom/prometheus (standins/prometheus). Cached outside the repo, keyed by the release:
#   ${SHOPFLOOR_CACHE_DIR:-$HOME/.cache/shopfloor}/prometheus-<release>/{prometheus,promtool}
# A second run prints the directory and exits at once.
#
# Prometheus v3.13.2 is the Go module github.com/prometheus/prometheus v0.313.2 (v3.x.y ->
# v0.3xx.y). `go install` refuses it (replace directives), so the module source is fetched with
# `go mod download` (fetch_module_source), copied to a scratch dir and built there as the main
# module. The module ships a go.work (web/ui and internal tools) that must not apply: GOWORK=off.
# The version is set as the Makefile's promu does (-X …/common/version.Version).
# The web UI assets are not built (they need npm and the React build, and are not in the Go
# module): the binary serves the API (/api/v1/...), /-/ready, /-/healthy, /metrics and the
# federation endpoint; the UI pages answer with an error. The compose stack uses the API only.
#
# stdout: the directory holding both binaries, on the last line. Progress goes to stderr.
set -euo pipefail

PROM_MODULE="github.com/prometheus/prometheus"
PROM_MODULE_VERSION="v0.313.2"
PROM_RELEASE="v3.13.2"

NAME=prometheus
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

out_dir="$CACHE_DIR/prometheus-$PROM_RELEASE"
if [[ -x "$out_dir/prometheus" && -x "$out_dir/promtool" ]]; then
  printf '%s\n' "$out_dir"
  exit 0
fi
require_go

mkdir -p "$CACHE_DIR"
build_dir="$(mktemp -d "$CACHE_DIR/.prometheus-build-XXXXXX")"
trap 'rm -rf "$build_dir"' EXIT

log "fetching $PROM_MODULE@$PROM_MODULE_VERSION (Prometheus $PROM_RELEASE)"
fetch_module_source "$PROM_MODULE" "$PROM_MODULE_VERSION" "$build_dir/src"

log "compiling ./cmd/prometheus and ./cmd/promtool (a cold build takes several minutes)"
ldflags="-s -w -X github.com/prometheus/common/version.Version=${PROM_RELEASE#v}"
ldflags+=" -X github.com/prometheus/common/version.Revision=gomod-$PROM_MODULE_VERSION"
ldflags+=" -X github.com/prometheus/common/version.Branch=HEAD"
mkdir -p "$build_dir/bin"
run_logged "go build prometheus" "$build_dir/build.log" \
  env -C "$build_dir/src" GOWORK=off CGO_ENABLED=0 GOFLAGS="-trimpath -buildvcs=false" \
  go build -ldflags="$ldflags" -o "$build_dir/bin/" ./cmd/prometheus ./cmd/promtool \
  || die "go build of Prometheus $PROM_RELEASE failed (log above). Check 'go version' (needs >= $GO_MIN_VERSION) and that the Go module proxy serves its dependencies"

have="$("$build_dir/bin/prometheus" --version 2>&1 | head -n1)" || die "the built prometheus does not run: $have"
[[ "$have" == *"version ${PROM_RELEASE#v} "* ]] || die "the built prometheus reports '$have', expected ${PROM_RELEASE#v}"
# promtool first: the directory counts as cached once prometheus is there too.
install_built "$build_dir/bin/promtool" "$out_dir/promtool"
install_built "$build_dir/bin/prometheus" "$out_dir/prometheus"
log "cached $out_dir/{prometheus,promtool}"
printf '%s\n' "$out_dir"
