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
MC_VERSION="v0.0.0-20250313080218-cf909e1063a9"
MC_RELEASE_TIME="2025-03-13T08:02:18Z" # the pseudo-version's commit time
MC_COMMIT="cf909e1063a9"

NAME=mc
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

binary="$CACHE_DIR/mc-$MC_VERSION/mc"
use_cached "$binary"
require_go

mkdir -p "$CACHE_DIR"
build_dir="$(mktemp -d "$CACHE_DIR/.mc-build-XXXXXX")"
trap 'rm -rf "$build_dir"' EXIT

ldflags="-s -w -X $MC_MODULE/cmd.Version=$MC_RELEASE_TIME -X $MC_MODULE/cmd.CopyrightYear=2025"
ldflags+=" -X $MC_MODULE/cmd.ReleaseTag=gomod-$MC_VERSION -X $MC_MODULE/cmd.CommitID=$MC_COMMIT -X $MC_MODULE/cmd.ShortCommitID=$MC_COMMIT"

log "compiling $MC_MODULE@$MC_VERSION (a cold build takes about a minute)"
run_logged "go install mc" "$build_dir/build.log" \
  env GOBIN="$build_dir/bin" CGO_ENABLED=0 GOFLAGS="-trimpath" \
  go install -ldflags="$ldflags" "$MC_MODULE@$MC_VERSION" \
  || die "go install of mc $MC_VERSION failed (log above). Check 'go version' (needs >= $GO_MIN_VERSION) and that the Go module proxy serves its dependencies"

"$build_dir/bin/mc" --version >/dev/null 2>&1 || die "the built mc does not run"
install_built "$build_dir/bin/mc" "$binary"
log "cached $binary"
printf '%s\n' "$binary"
