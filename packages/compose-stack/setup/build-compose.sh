#!/usr/bin/env bash
# Builds the Docker Compose v2 CLI plugin from its Go module at a pinned version and installs it
# as a Docker CLI plugin, so `docker compose` works (Debian has only the old Python
# docker-compose 1.29, and no image or binary can be downloaded here).
#
# Cached outside the repo, keyed by version:
#   ${SHOPFLOOR_CACHE_DIR:-$HOME/.cache/shopfloor}/docker-compose-<version>/docker-compose
# and linked as the plugin ${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins/docker-compose.
# A second run only checks the link (seconds). If `docker compose` already works through a
# plugin that is not ours (Docker Desktop, docker-compose-plugin), it is left alone and used.
#
#   build-compose.sh            the plugin: built if needed, linked, checked; stdout: its path
#   build-compose.sh --binary   only the cached binary (no docker CLI needed yet: setup-containers.sh
#                               runs this in the background while it installs the engine);
#                               stdout: its path, or nothing when another plugin is in use
#
# Why not `go install github.com/docker/compose/v2/cmd@v2.40.3`: its go.mod has exclude
# directives, which `go install pkg@version` refuses. So it is built from the module's source
# (`go build ./cmd`, as its Makefile does), about 2 minutes cold.
set -euo pipefail

COMPOSE_MODULE="github.com/docker/compose/v2"

LOG_PREFIX=containers:compose
# shellcheck source=../../native-stack/setup/go-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../native-stack/setup/go-lib.sh"

binary="$CACHE_DIR/docker-compose-$COMPOSE_VERSION/docker-compose"
plugin="${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins/docker-compose"

# Another compose v2 plugin that is not ours already works: use it.
if command -v docker >/dev/null 2>&1 && [[ "$(readlink "$plugin" 2>/dev/null)" != "$binary" ]] \
    && other="$(docker compose version --short 2>/dev/null)" && [[ "$other" == 2.* || "$other" == v2.* ]]; then
  [[ "${1:-}" == --binary ]] && exit 0
  log "docker compose $other is already installed (not by this script): using it"
  printf '%s\n' "$(docker info --format '{{range .ClientInfo.Plugins}}{{if eq .Name "compose"}}{{.Path}}{{end}}{{end}}' 2>/dev/null || echo compose)"
  exit 0
fi

# The Makefile's flags: the version shown by `docker compose version` is set by ldflags.
go_build --module "$COMPOSE_MODULE@$COMPOSE_VERSION" --from-source --what "Docker Compose $COMPOSE_VERSION" \
  --env CGO_ENABLED=0 --ldflags "-X $COMPOSE_MODULE/internal.Version=$COMPOSE_VERSION" \
  --bin ./cmd "$binary" >/dev/null
if [[ "${1:-}" == --binary ]]; then
  printf '%s\n' "$binary"
  exit 0
fi

command -v docker >/dev/null 2>&1 || die "no 'docker' CLI on PATH: run ensure-dockerd.sh first (it installs docker.io)"
if [[ "$(readlink "$plugin" 2>/dev/null)" != "$binary" ]]; then
  link_atomic "$binary" "$plugin" || die "could not link $plugin -> $binary"
  log "linked $plugin -> $binary"
fi
have="$(docker compose version --short 2>&1)" || die "'docker compose version' fails with the plugin in place: $have"
[[ "v${have#v}" == "$COMPOSE_VERSION" ]] || die "'docker compose version' reports $have, expected $COMPOSE_VERSION (another plugin earlier in the CLI's search path?)"
printf '%s\n' "$plugin"
