#!/usr/bin/env bash
# Groundwork of the containers suite (issue 8, section 2): `npm run setup:containers`.
#   In the background, at most GO_COMPILE_SLOTS compiles at a time (logs in
#   .run/setup-logs/containers-go/): the Go builds build-compose.sh --binary, build-prometheus.sh,
#   build-caddy.sh, build-mc.sh, build-{postgres-exporter,alertmanager,node-exporter}.sh and ../build-{collector,jaeger,minio,victorialogs}.sh (cached by
#   `npm run setup`). Meanwhile, in the foreground:
#   1. ensure-dockerd.sh            a Docker engine: Debian's docker.io installed, dockerd started
#   2. build-base-image.sh          shopfloor/debian-base:bookworm, from debootstrap
#   3. build-standins.sh --no-go    the stand-in images whose inputs need no Go build
#   Then, once the Go builds are done:
#   4. build-compose.sh             the Docker Compose v2 plugin linked and checked
#   5. build-standins.sh            the other stand-in images (standins/*/Dockerfile)
# Idempotent and cached (README.md beside this file): the first run takes about 10 minutes (the
# Go builds), a second one seconds. `npm test` runs it (pretest) after `npm run setup`.
# Writes .run/containers.json (engine version, compose plugin, base image, stand-in image tags).
# Progress on stderr.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
run_dir="$repo/.run"

LOG_PREFIX=setup:containers
# shellcheck source=../../native-stack/setup/lib.sh
source "$here/../../native-stack/setup/lib.sh"

start=$SECONDS
bg_init "$run_dir/setup-logs/containers-go" "Go build"
# The longest first: they queue for the compile slots in about this order.
bg_start prometheus bash "$here/build-prometheus.sh"
bg_start compose bash "$here/build-compose.sh" --binary
bg_start caddy bash "$here/build-caddy.sh"
bg_start mc bash "$here/build-mc.sh"
bg_start postgres-exporter bash "$here/build-postgres-exporter.sh"
bg_start alertmanager bash "$here/build-alertmanager.sh"
bg_start node-exporter bash "$here/build-node-exporter.sh"
for tool in collector jaeger minio victorialogs; do
  bg_start "$tool" bash "$here/../../native-stack/setup/build-$tool.sh"
done

engine="$(bash "$here/ensure-dockerd.sh")" || die "no Docker engine (see above)."
log "Docker engine $engine ($((SECONDS - start))s)"
base="$(bash "$here/build-base-image.sh")" || die "the base image failed (see above)."
log "base image $base ($((SECONDS - start))s)"
bash "$here/build-standins.sh" --no-go >/dev/null || die "the stand-in images failed (see above)."

bg_wait || die "the Go builds above failed; setup:containers is incomplete (re-run after fixing: what was built is cached)."
compose="$(bash "$here/build-compose.sh")" || die "the Docker Compose plugin failed (see above)."
log "docker compose $(docker compose version --short) at $compose ($((SECONDS - start))s)"
standins="$(bash "$here/build-standins.sh")" || die "the stand-in images failed (see above)."
log "stand-in images: $(wc -l <<<"$standins") ($((SECONDS - start))s)"

mkdir -p "$run_dir"
node -e 'const [file, dockerEngine, composePlugin, baseImage, standins] = process.argv.slice(1);
  const json = { dockerEngine, composePlugin, baseImage, standinImages: standins.split("\n").filter(Boolean) };
  require("fs").writeFileSync(file, JSON.stringify(json, null, 2) + "\n");' \
  "$run_dir/containers.json" "$engine" "$compose" "$base" "$standins"
log "ready in $((SECONDS - start))s ($run_dir/containers.json)"
