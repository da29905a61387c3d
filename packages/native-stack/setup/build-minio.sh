#!/usr/bin/env bash
# Builds MinIO (the S3-compatible server holding the shop's 3D model files) from its Go module
# at a pinned commit, cached outside the repo keyed by that version:
#   ${SHOPFLOOR_CACHE_DIR:-$HOME/.cache/shopfloor}/minio-<module version>/minio
# MinIO publishes no semver module tags, so the pin is a pseudo-version (a commit).
# stdout: the absolute path of the binary, on the last line. Progress goes to stderr.
set -euo pipefail

MINIO_MODULE="github.com/minio/minio"

LOG_PREFIX=build-minio
# shellcheck source=go-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/go-lib.sh"

go_build --module "$MINIO_MODULE@$MINIO_VERSION" --bin . "$CACHE_DIR/minio-$MINIO_VERSION/minio"
