#!/usr/bin/env bash
# Builds Jaeger v2 (the single `jaeger` binary) from its Go module at a pinned version.
#
# Idempotent: the binary is cached outside the repo, keyed by the module version:
#   ${SHOPFLOOR_CACHE_DIR:-$HOME/.cache/shopfloor}/jaeger-<module version>/jaeger
# If it is already there, the script prints its path and exits at once.
#
# Why not `go install github.com/jaegertracing/jaeger/cmd/jaeger@...`: the module's go.mod
# has replace directives, which `go install pkg@version` refuses. So it is built from the
# module's source (go_build --from-source). The UI assets are not built: the default
# build embeds a placeholder UI; the HTTP API (/api/...) on 16686 is complete.
#
# stdout: the absolute path of the binary, on the last line. Progress goes to stderr.
set -euo pipefail

# Go module github.com/jaegertracing/jaeger v1.75.0 == Jaeger v2.12.0 (the module's tags are
# v1.x; later Jaeger releases have no Go-usable tag).
JAEGER_MODULE="github.com/jaegertracing/jaeger"

LOG_PREFIX=build-jaeger
# shellcheck source=go-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/go-lib.sh"

go_build --module "$JAEGER_MODULE@$JAEGER_MODULE_VERSION" --from-source --what "Jaeger $JAEGER_RELEASE" \
  --ldflags "-X $JAEGER_MODULE/internal/version.latestVersion=$JAEGER_RELEASE -X $JAEGER_MODULE/internal/version.commitSHA=gomod-$JAEGER_MODULE_VERSION" \
  --bin ./cmd/jaeger "$CACHE_DIR/jaeger-$JAEGER_MODULE_VERSION/jaeger"
