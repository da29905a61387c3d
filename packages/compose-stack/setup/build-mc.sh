#!/usr/bin/env bash
# Builds the MinIO client `mc` (the compose file's MinIO health check: `mc ready local`) from its
# Go module at a pinned commit, for the MinIO stand-in image (standins/minio). Cached outside the
# repo, keyed by version:
#   ${SHOPFLOOR_CACHE_DIR:-$HOME/.cache/shopfloor}/mc-<module version>/mc
# A second run prints the path and exits at once.
#
# mc publishes no semver module tags: the pin is the newest pseudo-version the Go module proxy
# serves (2025-03-13). `go install` works (no replace or exclude directives), about 1 minute
# cold. The version is set with -X as mc's buildscripts/gen-ldflags.go does, so `mc --version`
# names the commit instead of DEVELOPMENT.GOGET.
#
# stdout: the absolute path of the binary, on the last line. Progress goes to stderr.
set -euo pipefail

MC_MODULE="github.com/minio/mc"

LOG_PREFIX=containers:mc
# shellcheck source=../../native-stack/setup/go-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../native-stack/setup/go-lib.sh"

# The pseudo-version's commit time and hash (v0.0.0-YYYYMMDDhhmmss-<12 hex>), as mc's release build stamps them.
mc_time="${MC_VERSION#v0.0.0-}"; mc_time="${mc_time%%-*}"
MC_COMMIT="${MC_VERSION##*-}"
MC_RELEASE_TIME="${mc_time:0:4}-${mc_time:4:2}-${mc_time:6:2}T${mc_time:8:2}:${mc_time:10:2}:${mc_time:12:2}Z"

go_build --module "$MC_MODULE@$MC_VERSION" --env CGO_ENABLED=0 \
  --ldflags "-X $MC_MODULE/cmd.Version=$MC_RELEASE_TIME -X $MC_MODULE/cmd.CopyrightYear=${mc_time:0:4} -X $MC_MODULE/cmd.ReleaseTag=gomod-$MC_VERSION -X $MC_MODULE/cmd.CommitID=$MC_COMMIT -X $MC_MODULE/cmd.ShortCommitID=$MC_COMMIT" \
  --check --version '*' \
  --bin . "$CACHE_DIR/mc-$MC_VERSION/mc"
