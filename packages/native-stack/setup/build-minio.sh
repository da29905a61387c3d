#!/usr/bin/env bash
# Builds MinIO (the S3-compatible server holding the shop's 3D model files) from its Go module
# at a pinned commit, cached outside the repo keyed by that version:
#   ${SHOPFLOOR_CACHE_DIR:-$HOME/.cache/shopfloor}/minio-<module version>/minio
# MinIO publishes no semver module tags, so the pin is a pseudo-version (a commit).
# stdout: the absolute path of the binary, on the last line. Progress goes to stderr.
set -euo pipefail

MINIO_MODULE="github.com/minio/minio"
MINIO_VERSION="v0.0.0-20260212201848-7aac2a2c5b7c"

NAME=minio
# shellcheck source=go-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/go-lib.sh"

out_dir="$CACHE_DIR/minio-$MINIO_VERSION"
binary="$out_dir/minio"
use_cached "$binary"
require_go

log "compiling $MINIO_MODULE@$MINIO_VERSION (a cold build takes several minutes)"
start=$SECONDS
mkdir -p "$CACHE_DIR"
# Built into a scratch dir and moved into place (one rename), like the other builds: a
# half-written binary is never taken for a cached one.
tmp_bin="$(mktemp -d "$CACHE_DIR/.minio-build-XXXXXX")"
trap 'rm -rf "$tmp_bin"' EXIT
GOBIN="$tmp_bin" GOFLAGS="-trimpath" go install -ldflags="-s -w" "$MINIO_MODULE@$MINIO_VERSION" >&2 \
  || die "go build of MinIO failed (output above). Check 'go version' (needs >= $GO_MIN_VERSION) and that the Go module proxy serves its dependencies"
install_built "$tmp_bin/minio" "$binary"
log "built in $((SECONDS - start))s: $binary"
printf '%s\n' "$binary"
