#!/usr/bin/env bash
# Builds the stand-in images of the containers suite (README.md beside this file): one local
# image per image of compose/docker-compose.yaml that cannot be pulled here, each following its
# official image's conventions (paths, ports, user, entrypoint, the tools of the compose health
# checks). Dockerfiles: standins/<name>/, all FROM shopfloor/debian-base:bookworm.
#
#   build-standins.sh [name...]     default: every stand-in (names: the folders in standins/)
#   build-standins.sh --no-go       the stand-ins without Go-built binaries (setup-containers.sh
#                                   builds these while its Go builds run)
#
# 1. Ensures the inputs: the Go binaries (../build-*.sh, build-caddy.sh, build-mc.sh,
#    build-prometheus.sh; cached, seconds when built), Node (../ensure-node.sh), npm's package
#    tarball (`npm pack npm@<version>`, cached in $CACHE_DIR/npm-<version>/), the Collector image's
#    /healthcheck (built from otel-collector/healthcheck/main.go, cached by its sha256).
# 2. Per image: the inputs' sha256 (its standins/<name>/ folder, its binaries, the base image's ID,
#    the proxy/registry build args) is compared with the label org.shopfloor.standin.inputs of
#    the existing image: equal, nothing is done; else the build context is assembled in
#    $CACHE_DIR/standins-ctx/<name>/ (the folder plus hard links or copies of the binaries: the
#    classic builder sends the whole context) and `docker build --network host` runs (apt-get in
#    the Dockerfiles reaches the Debian mirror), log in $CACHE_DIR/standins-ctx/<name>.log.
#    The image it replaces is removed when no container uses it.
# Proxies: http_proxy/https_proxy/no_proxy (either case) set in the environment are passed as
# build args (apt-get in the builds uses them). For npm in the node stand-in (and `npm ci` in the
# images built FROM it), the host's npm setup is carried over: its registry (`npm config get
# registry`) when it is not the public one, and the CA certificates it added locally
# (/usr/local/share/ca-certificates/*.crt, e.g. of a TLS-inspecting egress proxy), installed
# into the image's CA bundle, which npm's global config then names as its cafile.
#
# stdout: the image tags, one per line. Progress (per image, with its time) and a summary go to
# stderr.
set -euo pipefail

BASE_IMAGE="shopfloor/debian-base:bookworm"
LABEL="org.shopfloor.standin.inputs"

LOG_PREFIX=containers:standins
# shellcheck source=../../native-stack/setup/go-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../native-stack/setup/go-lib.sh"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
setup_dir="$(cd "$here/../../native-stack/setup" && pwd)" # the native builds the stand-ins reuse
repo="$(cd "$here/../../.." && pwd)"
ctx_root="$CACHE_DIR/standins-ctx"

# name -> tag; the order is the build order.
STANDINS=(
  "node shopfloor-standin/node:$NODE_VERSION-bookworm-slim"
  "caddy shopfloor-standin/caddy:2.11.4"
  "postgres shopfloor-standin/postgres:15-bookworm"
  "rabbitmq shopfloor-standin/rabbitmq:3.10-bookworm"
  "minio shopfloor-standin/minio:RELEASE.2026-02-12"
  "jaeger shopfloor-standin/jaeger:2.12.0"
  "prometheus shopfloor-standin/prometheus:v3.13.2"
  "alertmanager shopfloor-standin/alertmanager:$ALERTMANAGER_VERSION"
  "node-exporter shopfloor-standin/node-exporter:$NODE_EXPORTER_VERSION"
  "postgres-exporter shopfloor-standin/postgres-exporter:$POSTGRES_EXPORTER_VERSION"
  "otelcol shopfloor-standin/otelcol:0.161.0"
  "victorialogs shopfloor-standin/victorialogs:v1.52.1"
)
# The ones with Go-built binaries among their inputs (inputs_of below).
GO_BUILT=(caddy minio jaeger prometheus alertmanager node-exporter postgres-exporter otelcol victorialogs)

tag_of() {
  local entry
  for entry in "${STANDINS[@]}"; do
    [[ "${entry%% *}" == "$1" ]] && { printf '%s\n' "${entry#* }"; return 0; }
  done
  return 1
}

# --- the selection ---------------------------------------------------------------------------
selected=()
if (( $# == 0 )); then
  for entry in "${STANDINS[@]}"; do selected+=("${entry%% *}"); done
elif [[ "$*" == --no-go ]]; then
  for entry in "${STANDINS[@]}"; do
    [[ " ${GO_BUILT[*]} " == *" ${entry%% *} "* ]] || selected+=("${entry%% *}")
  done
else
  for name in "$@"; do
    tag_of "$name" >/dev/null || die "unknown stand-in '$name' (known: $(for e in "${STANDINS[@]}"; do printf '%s ' "${e%% *}"; done))"
    selected+=("$name")
  done
fi
wants() { local n; for n in "${selected[@]}"; do [[ "$n" == "$1" ]] && return 0; done; return 1; }

docker info >/dev/null 2>&1 || die "the Docker engine does not answer: run ensure-dockerd.sh first"
bash "$here/build-base-image.sh" >/dev/null || die "the base image $BASE_IMAGE failed (see above)"
base_id="$(docker image inspect --format '{{.Id}}' "$BASE_IMAGE")"

# --- build args: proxies and the npm registry --------------------------------------------------
build_args=()
for var in http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY; do
  [[ -n "${!var:-}" ]] && build_args+=(--build-arg "$var=${!var}")
done
npm_registry=""
if command -v npm >/dev/null 2>&1; then
  npm_registry="$(cd / && npm config get registry 2>/dev/null || true)"
fi
[[ "$npm_registry" == "https://registry.npmjs.org/" || "$npm_registry" == "https://registry.npmjs.org" ]] && npm_registry=""
# The CA certificates the host added locally (Debian's /usr/local/share/ca-certificates, e.g. a
# TLS-inspecting egress proxy's): npm in the node stand-in needs them to reach the registry.
local_cas=()
for ca in /usr/local/share/ca-certificates/*.crt; do
  [[ -f "$ca" ]] && local_cas+=("$ca")
done

# --- inputs ------------------------------------------------------------------------------------
# Each ensure_* prints progress on stderr and sets a variable with the path.
ensure_go_binary() { # ensure_go_binary <script> <what>: the script's last stdout line
  local out
  out="$(bash "$1")" || die "$2 failed (see above)"
  printf '%s\n' "$out" | tail -n1
}

ensure_npm_tarball() {
  local dir="$CACHE_DIR/npm-$NODE_NPM_VERSION" tmp tarball
  npm_tgz="$dir/npm-$NODE_NPM_VERSION.tgz"
  [[ -s "$npm_tgz" ]] && return 0
  command -v npm >/dev/null 2>&1 || die "npm is not on PATH: it fetches npm@$NODE_NPM_VERSION for the node stand-in"
  mkdir -p "$CACHE_DIR"
  tmp="$(mktemp -d "$CACHE_DIR/.npm-pack-XXXXXX")"
  log "fetching npm@$NODE_NPM_VERSION (npm pack)"
  if ! tarball="$(cd "$tmp" && npm pack --loglevel=error --pack-destination "$tmp" "npm@$NODE_NPM_VERSION" 2>"$tmp/err" | tail -n1)" \
      || [[ ! -s "$tmp/$tarball" ]]; then
    cat "$tmp/err" >&2 || true
    rm -rf "$tmp"
    die "could not fetch npm@$NODE_NPM_VERSION with 'npm pack' (output above). Is the npm registry reachable ($(npm config get registry 2>/dev/null))?"
  fi
  install_atomic "$tmp/$tarball" "$npm_tgz"
  rm -rf "$tmp"
}

ensure_healthcheck() {
  local src="$repo/otel-collector/healthcheck/main.go" hash tmp
  [[ -f "$src" ]] || die "missing $src"
  hash="$(sha256sum "$src" | cut -c1-12)"
  healthcheck_bin="$CACHE_DIR/otelcol-healthcheck-$hash/healthcheck"
  [[ -x "$healthcheck_bin" ]] && return 0
  require_go "otel-collector/healthcheck"
  mkdir -p "$CACHE_DIR"
  tmp="$(mktemp -d "$CACHE_DIR/.healthcheck-build-XXXXXX")"
  log "compiling otel-collector/healthcheck/main.go"
  # The flags of otel-collector/Dockerfile; outside any module, the file alone (standard library).
  if ! (cd "$tmp" && cp "$src" main.go && GOWORK=off GOFLAGS="-trimpath" CGO_ENABLED=0 \
      go build -ldflags='-s -w' -o healthcheck main.go >&2); then
    rm -rf "$tmp"
    die "go build of otel-collector/healthcheck/main.go failed (output above)"
  fi
  install_atomic "$tmp/healthcheck" "$healthcheck_bin"
  rm -rf "$tmp"
}

wants node && { node_bin="$(bash "$setup_dir/ensure-node.sh" "$NODE_VERSION")" || die "Node.js $NODE_VERSION failed (see above)"; node_bin="$(tail -n1 <<<"$node_bin")"; ensure_npm_tarball; }
wants caddy && caddy_bin="$(ensure_go_binary "$here/build-caddy.sh" "the Caddy build")"
if wants minio; then
  minio_bin="$(ensure_go_binary "$setup_dir/build-minio.sh" "the MinIO build")"
  mc_bin="$(ensure_go_binary "$here/build-mc.sh" "the mc build")"
fi
wants jaeger && jaeger_bin="$(ensure_go_binary "$setup_dir/build-jaeger.sh" "the Jaeger build")"
wants prometheus && prometheus_dir="$(ensure_go_binary "$here/build-prometheus.sh" "the Prometheus build")"
wants alertmanager && alertmanager_dir="$(ensure_go_binary "$here/build-alertmanager.sh" "the Alertmanager build")"
wants node-exporter && node_exporter_bin="$(ensure_go_binary "$here/build-node-exporter.sh" "the node_exporter build")"
wants postgres-exporter && postgres_exporter_bin="$(ensure_go_binary "$here/build-postgres-exporter.sh" "the postgres_exporter build")"
if wants otelcol; then
  collector_bin="$(ensure_go_binary "$setup_dir/build-collector.sh" "the Collector build")"
  ensure_healthcheck
fi
wants victorialogs && victorialogs_bin="$(ensure_go_binary "$setup_dir/build-victorialogs.sh" "the VictoriaLogs build")"

# inputs_of <name>: "<name in the context> <source path>" lines, the files besides the folder.
inputs_of() {
  case "$1" in
    node)
      printf '%s %s\n' node "$node_bin" npm.tgz "$npm_tgz"
      local ca
      for ca in "${local_cas[@]}"; do printf 'local-ca/%s %s\n' "$(basename "$ca")" "$ca"; done
      ;;
    caddy) printf '%s %s\n' caddy "$caddy_bin" ;;
    minio) printf '%s %s\n' minio "$minio_bin" mc "$mc_bin" ;;
    jaeger) printf '%s %s\n' jaeger-linux "$jaeger_bin" ;;
    prometheus) printf '%s %s\n' prometheus "$prometheus_dir/prometheus" promtool "$prometheus_dir/promtool" ;;
    alertmanager) printf '%s %s\n' alertmanager "$alertmanager_dir/alertmanager" amtool "$alertmanager_dir/amtool" ;;
    node-exporter) printf '%s %s\n' node_exporter "$node_exporter_bin" ;;
    postgres-exporter) printf '%s %s\n' postgres_exporter "$postgres_exporter_bin" ;;
    otelcol) printf '%s %s\n' otelcol-shopfloor "$collector_bin" healthcheck "$healthcheck_bin" ;;
    victorialogs) printf '%s %s\n' victoria-logs-prod "$victorialogs_bin" ;;
    *) ;;
  esac
}

# build_args_of <name>: the build args of one image.
build_args_of() {
  local args=("${build_args[@]}")
  if [[ "$1" == node && -n "$npm_registry" ]]; then
    args+=(--build-arg "NPM_CONFIG_REGISTRY=$npm_registry")
  fi
  (( ${#args[@]} )) && printf '%s\n' "${args[@]}"
  return 0
}

# The sha256 of a big file, remembered by path, size and mtime (a warm run hashes nothing big).
sha_memo="$ctx_root/.sha256-memo"
file_sha() {
  local key sum
  key="$1 $(stat -L -c '%s %Y' "$1")"
  if [[ -f "$sha_memo" ]] && sum="$(grep -F -m1 "$key " "$sha_memo" | awk '{print $NF}')" && [[ -n "$sum" ]]; then
    printf '%s\n' "$sum"
    return 0
  fi
  sum="$(sha256sum <"$1" | cut -d' ' -f1)"
  printf '%s %s\n' "$key" "$sum" >>"$sha_memo"
  printf '%s\n' "$sum"
}

# inputs_hash <name>: sha256 over the folder's files, the inputs, the base image, the build args.
inputs_hash() {
  local name="$1" dir="$here/../standins/$1" dest src
  {
    (cd "$dir" && find . -type f -print0 | sort -z | xargs -0 sha256sum)
    (cd "$dir" && find . -type f -perm -u+x | sort) # an executable bit change counts
    while read -r dest src; do
      [[ -n "$dest" ]] || continue
      printf '%s %s\n' "$(file_sha "$src")" "$dest"
    done < <(inputs_of "$name")
    printf 'base %s\n' "$base_id"
    build_args_of "$name"
  } | sha256sum | cut -d' ' -f1
}

assemble_context() {
  local name="$1" ctx="$ctx_root/$1" dest src
  rm -rf "$ctx"
  mkdir -p "$ctx"
  cp -R "$here/../standins/$name/." "$ctx/"
  while read -r dest src; do
    [[ -n "$dest" ]] || continue
    mkdir -p "$(dirname "$ctx/$dest")"
    # Hard links when the cache and the context share a file system: nothing is copied.
    ln -f "$src" "$ctx/$dest" 2>/dev/null || cp -f "$src" "$ctx/$dest"
  done < <(inputs_of "$name")
}

# --- the builds ----------------------------------------------------------------------------------
mkdir -p "$ctx_root"
summary=()
start_all=$SECONDS
for name in "${selected[@]}"; do
  tag="$(tag_of "$name")"
  [[ -f "$here/../standins/$name/Dockerfile" ]] || die "missing $here/../standins/$name/Dockerfile"
  while read -r dest src; do
    [[ -z "$dest" || -f "$src" ]] || die "input $src of the $name stand-in is missing"
  done < <(inputs_of "$name")
  want="$(inputs_hash "$name")"
  have="$(docker image inspect --format "{{index .Config.Labels \"$LABEL\"}}" "$tag" 2>/dev/null || true)"
  if [[ "$have" == "$want" ]]; then
    summary+=("$(printf '%-52s up to date' "$tag")")
    continue
  fi
  old_id="$(docker image inspect --format '{{.Id}}' "$tag" 2>/dev/null || true)"
  log "$tag: ${old_id:+inputs changed, }building (standins/$name)"
  start=$SECONDS
  assemble_context "$name"
  mapfile -t args < <(build_args_of "$name")
  run_logged "docker build $tag" "$ctx_root/$name.log" \
    docker build --network host --force-rm --label "$LABEL=$want" "${args[@]}" -t "$tag" "$ctx_root/$name" \
    || die "docker build of $tag failed (log tail above; context $ctx_root/$name)"
  new_id="$(docker image inspect --format '{{.Id}}' "$tag")"
  if [[ -n "$old_id" && "$old_id" != "$new_id" ]]; then
    docker rmi "$old_id" >/dev/null 2>&1 || true # still used by a container: left
  fi
  rm -rf "${ctx_root:?}/$name" # the binaries are in the cache; the context is rebuilt when needed
  summary+=("$(printf '%-52s built in %ss (%s)' "$tag" "$((SECONDS - start))" "$(docker image inspect --format '{{.Size}}' "$tag" | awk '{printf "%d MB", $1/1000000}')")")
done

log "stand-in images ($((SECONDS - start_all))s):"
for line in "${summary[@]}"; do log "  $line"; done
for name in "${selected[@]}"; do tag_of "$name"; done
