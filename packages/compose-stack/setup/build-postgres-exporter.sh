#!/usr/bin/env bash
# Builds postgres_exporter (the compose file's quay.io/prometheuscommunity/postgres-exporter) from
# its Go module at the pinned release, for its stand-in image (standins/postgres-exporter): the
# release the users' file runs, not Debian's 0.11. Cached outside the repo, keyed by version:
#   ${SHOPFLOOR_CACHE_DIR:-$HOME/.cache/shopfloor}/postgres-exporter-<version>/postgres_exporter
# A second run prints the path and exits at once.
#
# Built from the module's source (`go mod download`, then `go build ./cmd/postgres_exporter`), not
# with `go install pkg@version`: that also reads the module's version list for deprecations,
# which the module proxy here refuses (403) for this module. The version is set with -X as its
# Makefile (promu) does, so `postgres_exporter --version` names the release (checked).
#
# stdout: the absolute path of the binary, on the last line. Progress goes to stderr.
set -euo pipefail

MODULE="github.com/prometheus-community/postgres_exporter"

LOG_PREFIX=containers:postgres-exporter
# shellcheck source=../../native-stack/setup/go-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../native-stack/setup/go-lib.sh"

go_build --module "$MODULE@$POSTGRES_EXPORTER_VERSION" --from-source --env CGO_ENABLED=0 \
  --ldflags "$(promu_ldflags "$POSTGRES_EXPORTER_VERSION" "$POSTGRES_EXPORTER_VERSION")" \
  --check --version "*${POSTGRES_EXPORTER_VERSION#v}*" \
  --bin ./cmd/postgres_exporter "$CACHE_DIR/postgres-exporter-$POSTGRES_EXPORTER_VERSION/postgres_exporter"
