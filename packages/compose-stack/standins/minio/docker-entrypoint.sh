#!/bin/sh
# As the official MinIO image's entrypoint (dockerscripts/docker-entrypoint.sh): a command that
# does not start with `minio` (e.g. `server /data ...`) is run as `minio <args>`. Its deprecated
# MINIO_USERNAME/MINIO_GROUPNAME user switch is not carried over.
if [ "${1}" != "minio" ] && [ -n "${1}" ]; then
  set -- minio "$@"
fi
exec "$@"
