#!/usr/bin/env bash
# Builds VictoriaLogs (the log store: OTLP logs from the Collector, LogsQL queries, its own web
# UI vmui) from its Go module at a pinned version, cached outside the repo keyed by that version:
#   ${SHOPFLOOR_CACHE_DIR:-$HOME/.cache/shopfloor}/victorialogs-<module version>/victoria-logs
# If it is already there, the script prints its path and exits at once.
#
# The binary is the module's ./app/victoria-logs. The web UI is not built from source: the module
# ships the compiled vmui bundle in app/vlselect/vmui/ and embeds it (go:embed), so the Go build
# serves it at http://<host>:9428/select/vmui/.
# Built from the module's source like Jaeger (go_build --from-source; its own go.mod and go.sum
# apply, -mod=mod: the module cache, not a vendor dir).
#
# stdout: the absolute path of the binary, on the last line. Progress goes to stderr.
set -euo pipefail

VL_MODULE="github.com/VictoriaMetrics/VictoriaLogs"

LOG_PREFIX=build-victorialogs
# shellcheck source=go-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/go-lib.sh"

# buildinfo.Version is what `-version` and the /metrics vm_app_version series report.
go_build --module "$VL_MODULE@$VICTORIALOGS_VERSION" --from-source \
  --env CGO_ENABLED=0 --env GOFLAGS=-mod=mod \
  --ldflags "-X github.com/VictoriaMetrics/VictoriaMetrics/lib/buildinfo.Version=victoria-logs-$VICTORIALOGS_VERSION-gomod" \
  --bin ./app/victoria-logs "$CACHE_DIR/victorialogs-$VICTORIALOGS_VERSION/victoria-logs"
