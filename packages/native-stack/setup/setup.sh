#!/usr/bin/env bash
# Idempotent setup for the native stack: Debian packages, npm dependencies, the Collector,
# Jaeger, MinIO and VictoriaLogs built from Go modules (cached outside the repo, keyed by version),
# TypeScript build.
# The Go builds run in the background (logs in .run/setup-logs/go/, at most GO_COMPILE_SLOTS
# compiles at a time) while Node, apt and npm ci, which wait on the network and the disk, run in
# the foreground. A second run does only what is missing and takes seconds.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
run_dir="$repo/.run"
mkdir -p "$run_dir"

LOG_PREFIX=setup
# shellcheck source=go-lib.sh
source "$here/go-lib.sh"

# --- Go builds, in the background -----------------------------------------------------------
require_go "the Collector, Jaeger, MinIO and VictoriaLogs" # fail before anything else runs
bg_init "$run_dir/setup-logs/go" "Go build"
for tool in collector jaeger minio victorialogs; do
  bg_start "$tool" bash "$here/build-$tool.sh"
done

# --- Node ---------------------------------------------------------------------------------
# With a Node.js >= NODE_MIN on PATH, that one is used. Otherwise (older or none) the pinned
# NODE_VERSION is installed into the cache (ensure-node.sh) and linked as node_modules/.bin/node:
# npm puts that directory first on PATH for every run-script, so the rest of `npm start` /
# `npm test` (and nested `npm run`, whose `#!/usr/bin/env node` finds the link) runs on it.
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
  pinned_node="$(bash "$here/ensure-node.sh" "$NODE_VERSION")" \
    || die "Node.js ${sys_node_version:-(none)} on PATH is older than $NODE_MIN and installing Node.js $NODE_VERSION failed (see above). Install Node.js >= $NODE_MIN yourself, or fix the npm registry access, and re-run."
  log "node on PATH is ${sys_node_version:+v}${sys_node_version:-missing}: using Node.js $NODE_VERSION ($pinned_node)"
  # The rest of this script (npm ci, tsc, tools.json) runs on it too.
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
  apt_install "${missing[@]}"
  for svc in postgresql rabbitmq-server prometheus prometheus-alertmanager prometheus-node-exporter prometheus-postgres-exporter redis-server mariadb; do
    as_root service "$svc" stop >/dev/null 2>&1 || true
  done
  # Stopping rabbitmq-server runs rabbitmqctl, whose Erlang VM starts an epmd daemon when none
  # runs. epmd -kill stops it again, and refuses while a node is registered (another RabbitMQ).
  as_root epmd -kill >/dev/null 2>&1 || true
fi

# --- npm dependencies ---------------------------------------------------------------------
if [ ! -f "$repo/node_modules/.package-lock.json" ] || [ "$repo/package-lock.json" -nt "$repo/node_modules/.package-lock.json" ]; then
  log "installing npm dependencies (npm ci)"
  (cd "$repo" && npm ci --no-audit --no-fund >&2) || die "npm ci failed (see above)."
fi

# npm ci empties node_modules, so the link is (re)made after it.
if [ -n "$pinned_node" ]; then
  if [ "$(readlink "$node_link" 2>/dev/null)" != "$pinned_node" ]; then
    link_atomic "$pinned_node" "$node_link" || die "could not link $node_link -> $pinned_node"
    log "linked $node_link -> $pinned_node (npm start / npm test run on Node.js $NODE_VERSION)"
  fi
elif [ -L "$node_link" ]; then
  case "$(readlink "$node_link")" in
    "$CACHE_DIR"/node-*) rm -f "$node_link" && log "node on PATH is v$sys_node_version: removed the link to the cached Node.js" ;;
  esac
fi

# --- TypeScript ---------------------------------------------------------------------------
(cd "$repo" && npx tsc -b) || die "TypeScript build failed (see above)."

# --- the Go builds' results ------------------------------------------------------------------
bg_wait || die "the Go builds above failed; setup is incomplete (re-run after fixing: what was built is cached)."
node -e 'const [file, ...tools] = process.argv.slice(1);
  const json = {};
  for (let i = 0; i < tools.length; i += 2) json[tools[i]] = tools[i + 1];
  require("fs").writeFileSync(file, JSON.stringify(json, null, 2) + "\n");' \
  "$run_dir/tools.json" otelcol "$(bg_out collector)" jaeger "$(bg_out jaeger)" \
  minio "$(bg_out minio)" victorialogs "$(bg_out victorialogs)"
log "ready (tools in $run_dir/tools.json)"
