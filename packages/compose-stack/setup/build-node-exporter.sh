#!/usr/bin/env bash
# Builds node_exporter from its Go module at the compose file's release, for the stand-in image
# of prom/node-exporter (standins/node-exporter). Cached outside the repo, keyed by version:
#   ${SHOPFLOOR_CACHE_DIR:-$HOME/.cache/shopfloor}/node-exporter-<version>/node_exporter
# A second run prints the path and exits at once.
#
# Built from the module's source (`go mod download`, then `go build .`), as
# build-postgres-exporter.sh does; the version is set with -X as promu does, and checked.
#
# stdout: the absolute path of the binary, on the last line. Progress goes to stderr.
set -euo pipefail

MODULE="github.com/prometheus/node_exporter"

LOG_PREFIX=containers:node-exporter
# shellcheck source=../../native-stack/setup/go-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../native-stack/setup/go-lib.sh"

go_build --module "$MODULE@$NODE_EXPORTER_VERSION" --from-source --env CGO_ENABLED=0 \
  --ldflags "$(promu_ldflags "$NODE_EXPORTER_VERSION" "$NODE_EXPORTER_VERSION")" \
  --check --version "*version ${NODE_EXPORTER_VERSION#v} *" \
  --bin . "$CACHE_DIR/node-exporter-$NODE_EXPORTER_VERSION/node_exporter"
