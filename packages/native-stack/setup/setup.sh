#!/usr/bin/env bash
# Idempotent setup for the native stack: Debian packages, npm dependencies, the Collector,
# Jaeger, MinIO and VictoriaLogs built from Go modules (cached outside the repo, keyed by version),
# TypeScript build.
# A second run does only what is missing and takes seconds.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
run_dir="$repo/.run"
mkdir -p "$run_dir"

# GO_MIN_VERSION, require_go, version_at_least (setup's own say/die below replace its log/die).
NAME="the Collector, Jaeger, MinIO and VictoriaLogs"
# shellcheck source=go-lib.sh
source "$here/go-lib.sh"
say() { printf '[setup] %s\n' "$*" >&2; }
die() { printf '[setup] error: %s\n' "$*" >&2; exit 1; }

# --- Node ---------------------------------------------------------------------------------
# With a Node.js >= NODE_MIN on PATH, that one is used. Otherwise (older or none) the pinned
# NODE_PINNED is installed into the cache (ensure-node.sh) and linked as node_modules/.bin/node:
# npm puts that directory first on PATH for every run-script, so the rest of `npm start` /
# `npm test` (and nested `npm run`, whose `#!/usr/bin/env node` finds the link) runs on it.
NODE_MIN="22.22.0"   # package.json engines
NODE_PINNED="24.22.3"
node_link="$repo/node_modules/.bin/node"

# The first node on PATH that is not a node_modules/.bin link (ours, from an earlier run).
path_node() {
  local dir IFS=:
  for dir in $PATH; do
    case "$dir" in "" | */node_modules/.bin) continue ;; esac
    if [ -x "$dir/node" ]; then printf '%s\n' "$dir/node"; return 0; fi
  done
  return 1
}
sys_node="$(path_node || true)"
sys_node_version=""
[ -n "$sys_node" ] && sys_node_version="$("$sys_node" -p 'process.versions.node' 2>/dev/null || true)"
pinned_node=""
if [ -n "$sys_node_version" ] && version_at_least "$sys_node_version" "$NODE_MIN"; then
  : # new enough: nothing to install, no link (a stale one is removed after npm ci below)
else
  pinned_node="$(bash "$here/ensure-node.sh" "$NODE_PINNED")" \
    || die "Node.js ${sys_node_version:-(none)} on PATH is older than $NODE_MIN and installing Node.js $NODE_PINNED failed (see above). Install Node.js >= $NODE_MIN yourself, or fix the npm registry access, and re-run."
  say "node on PATH is ${sys_node_version:+v}${sys_node_version:-missing}: using Node.js $NODE_PINNED ($pinned_node)"
  # The rest of this script (npm ci, tsc) runs on it too.
  PATH="$(dirname "$pinned_node"):$PATH"
  export PATH
fi

# --- Debian packages ----------------------------------------------------------------------
# binary -> package; the binaries are what the native stack runs.
declare -A need=(
  [/usr/lib/postgresql/15/bin/postgres]=postgresql
  [/usr/lib/rabbitmq/bin/rabbitmq-server]=rabbitmq-server
  [/usr/bin/prometheus]=prometheus
  [/usr/bin/promtool]=prometheus
  [/usr/bin/prometheus-alertmanager]=prometheus-alertmanager
  [/usr/bin/amtool]=prometheus-alertmanager
  [/usr/bin/prometheus-node-exporter]=prometheus-node-exporter
  [/usr/bin/prometheus-postgres-exporter]=prometheus-postgres-exporter
  [/usr/bin/redis-server]=redis-server
  [/usr/sbin/mariadbd]=mariadb-server
  [/usr/bin/mariadb-install-db]=mariadb-server
  [/usr/bin/mariadb]=mariadb-server
  # The headless browser of the order watchdog's page tests (playwright-core drives it; no browser download).
  [/usr/bin/chromium]=chromium
)
missing=()
for bin in "${!need[@]}"; do
  [ -x "$bin" ] || missing+=("${need[$bin]}")
done
if [ "${#missing[@]}" -gt 0 ]; then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  command -v apt-get >/dev/null || die "missing ${missing[*]} and no apt-get: install them with your package manager."
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || die "missing ${missing[*]}: run as root: apt-get install -y ${missing[*]}"
    sudo="sudo"
  fi
  say "installing Debian packages: ${missing[*]}"
  # The packages' own services must not start: the stack runs its own instances.
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  $sudo env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 \
    || die "apt-get install ${missing[*]} failed (see above)."
  for svc in postgresql rabbitmq-server prometheus prometheus-alertmanager prometheus-node-exporter prometheus-postgres-exporter redis-server mariadb; do
    $sudo service "$svc" stop >/dev/null 2>&1 || true
  done
fi

# --- npm dependencies ---------------------------------------------------------------------
if [ ! -f "$repo/node_modules/.package-lock.json" ] || [ "$repo/package-lock.json" -nt "$repo/node_modules/.package-lock.json" ]; then
  say "installing npm dependencies (npm ci)"
  (cd "$repo" && npm ci --no-audit --no-fund >&2) || die "npm ci failed (see above)."
fi

# npm ci empties node_modules, so the link is (re)made after it.
if [ -n "$pinned_node" ]; then
  if [ "$(readlink "$node_link" 2>/dev/null)" != "$pinned_node" ]; then
    mkdir -p "$(dirname "$node_link")"
    ln -sfn "$pinned_node" "$node_link.tmp.$$" && mv -Tf "$node_link.tmp.$$" "$node_link" \
      || die "could not link $node_link -> $pinned_node"
    say "linked $node_link -> $pinned_node (npm start / npm test run on Node.js $NODE_PINNED)"
  fi
elif [ -L "$node_link" ]; then
  case "$(readlink "$node_link")" in
    "$CACHE_DIR"/node-*) rm -f "$node_link" && say "node on PATH is v$sys_node_version: removed the link to the cached Node.js" ;;
  esac
fi

# --- Go builds ----------------------------------------------------------------------------
require_go # Go >= GO_MIN_VERSION (go-lib.sh), or a clear error
otelcol="$(bash "$here/build-collector.sh")" || die "building the Collector failed (see above)."
jaeger="$(bash "$here/build-jaeger.sh")" || die "building Jaeger failed (see above)."
minio="$(bash "$here/build-minio.sh")" || die "building MinIO failed (see above)."
victorialogs="$(bash "$here/build-victorialogs.sh")" || die "building VictoriaLogs failed (see above)."
printf '{\n  "otelcol": "%s",\n  "jaeger": "%s",\n  "minio": "%s",\n  "victorialogs": "%s"\n}\n' \
  "$otelcol" "$jaeger" "$minio" "$victorialogs" > "$run_dir/tools.json"

# --- TypeScript ---------------------------------------------------------------------------
(cd "$repo" && npx tsc -b) || die "TypeScript build failed (see above)."
say "ready (tools in $run_dir/tools.json)"
