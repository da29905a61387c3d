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
# Why not `go install github.com/docker/compose/v2/cmd@v2.40.3`: its go.mod has exclude
# directives, which `go install pkg@version` refuses. So the module source is fetched with
# `go mod download`, copied to a scratch dir and built there as the main module (`go build ./cmd`,
# as its Makefile does), about 2 minutes cold.
#
# stdout: the plugin's path on the last line. Progress goes to stderr.
set -euo pipefail

COMPOSE_MODULE="github.com/docker/compose/v2"
COMPOSE_VERSION="v2.40.3"

NAME=compose
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

out_dir="$CACHE_DIR/docker-compose-$COMPOSE_VERSION"
binary="$out_dir/docker-compose"
plugin_dir="${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins"
plugin="$plugin_dir/docker-compose"

command -v docker >/dev/null 2>&1 || die "no 'docker' CLI on PATH: run ensure-dockerd.sh first (it installs docker.io)"

# Another compose v2 plugin that is not ours already works: use it.
if [[ "$(readlink "$plugin" 2>/dev/null)" != "$binary" ]] && other="$(docker compose version --short 2>/dev/null)" && [[ "$other" == 2.* || "$other" == v2.* ]]; then
  log "docker compose $other is already installed (not by this script): using it"
  printf '%s\n' "$(docker info --format '{{range .ClientInfo.Plugins}}{{if eq .Name "compose"}}{{.Path}}{{end}}{{end}}' 2>/dev/null || echo compose)"
  exit 0
fi

if [[ ! -x "$binary" ]]; then
  require_go

  mkdir -p "$CACHE_DIR"
  build_dir="$(mktemp -d "$CACHE_DIR/.compose-build-XXXXXX")"
  trap 'rm -rf "$build_dir"' EXIT

  log "fetching $COMPOSE_MODULE@$COMPOSE_VERSION"
  fetch_module_source "$COMPOSE_MODULE" "$COMPOSE_VERSION" "$build_dir/src"

  log "compiling ./cmd (docker-compose $COMPOSE_VERSION; a cold build takes about 2 minutes)"
  # The Makefile's flags: the version shown by `docker compose version` is set by ldflags.
  run_logged "go build" "$build_dir/build.log" \
    env -C "$build_dir/src" CGO_ENABLED=0 GOFLAGS="-trimpath -buildvcs=false" \
    go build -ldflags="-s -w -X $COMPOSE_MODULE/internal.Version=$COMPOSE_VERSION" -o "$build_dir/docker-compose" ./cmd \
    || die "go build of Docker Compose $COMPOSE_VERSION failed (output above). Check 'go version' against its go.mod and that the Go module proxy serves its dependencies"

  install_built "$build_dir/docker-compose" "$binary"
  log "cached $binary"
fi

if [[ "$(readlink "$plugin" 2>/dev/null)" != "$binary" ]]; then
  mkdir -p "$plugin_dir"
  ln -sfn "$binary" "$plugin.tmp.$$" && mv -Tf "$plugin.tmp.$$" "$plugin" || die "could not link $plugin -> $binary"
  log "linked $plugin -> $binary"
fi

have="$(docker compose version --short 2>&1)" || die "'docker compose version' fails with the plugin in place: $have"
[[ "v${have#v}" == "$COMPOSE_VERSION" ]] || die "'docker compose version' reports $have, expected $COMPOSE_VERSION (another plugin earlier in the CLI's search path?)"
printf '%s\n' "$plugin"
