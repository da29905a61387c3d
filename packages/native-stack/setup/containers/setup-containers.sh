#!/usr/bin/env bash
# Groundwork of the containers suite (issue 8, section 2): `npm run setup:containers`.
#   1. ensure-dockerd.sh     a Docker engine: Debian's docker.io installed, dockerd started
#   2. build-compose.sh      the Docker Compose v2 plugin, built from its Go module
#   3. build-base-image.sh   shopfloor/debian-base:bookworm, from debootstrap
#   4. build-standins.sh     the stand-in images of compose/docker-compose.yaml's images
#                            (standins/*/Dockerfile, with the Go builds build-caddy.sh,
#                            build-mc.sh, build-prometheus.sh and ../build-*.sh)
# Idempotent and cached (README.md beside this file): the first run takes about 15 to 25
# minutes (the Go builds), a second one seconds. `npm test` runs it (pretest) after `npm run setup`.
# Writes .run/containers.json (engine version, compose plugin, base image, stand-in image tags).
# Progress on stderr.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../../.." && pwd)"
run_dir="$repo/.run"

say() { printf '[setup:containers] %s\n' "$*" >&2; }
die() { printf '[setup:containers] error: %s\n' "$*" >&2; exit 1; }

start=$SECONDS
engine="$(bash "$here/ensure-dockerd.sh")" || die "no Docker engine (see above)."
say "Docker engine $engine ($((SECONDS - start))s)"
compose="$(bash "$here/build-compose.sh")" || die "the Docker Compose plugin failed (see above)."
say "docker compose $(docker compose version --short) at $compose ($((SECONDS - start))s)"
base="$(bash "$here/build-base-image.sh")" || die "the base image failed (see above)."
say "base image $base ($((SECONDS - start))s)"
standins="$(bash "$here/build-standins.sh")" || die "the stand-in images failed (see above)."
say "stand-in images: $(wc -l <<<"$standins") ($((SECONDS - start))s)"

mkdir -p "$run_dir"
# The tags (no spaces in them) as JSON strings, one a line.
# shellcheck disable=SC2086
standins_json="$(printf '    "%s",\n' $standins | sed '$ s/,$//')"
printf '{\n  "dockerEngine": "%s",\n  "composePlugin": "%s",\n  "baseImage": "%s",\n  "standinImages": [\n%s\n  ]\n}\n' \
  "$engine" "$compose" "$base" "$standins_json" >"$run_dir/containers.json"
say "ready in $((SECONDS - start))s ($run_dir/containers.json)"
