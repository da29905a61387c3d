#!/usr/bin/env bash
# Idempotent setup for the native stack: Debian packages, npm dependencies, the Collector,
# Jaeger and MinIO built from Go modules (cached outside the repo, keyed by version), TypeScript build.
# A second run does only what is missing and takes seconds.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
run_dir="$repo/.run"
mkdir -p "$run_dir"

say() { printf '[setup] %s\n' "$*" >&2; }
die() { printf '[setup] error: %s\n' "$*" >&2; exit 1; }

# --- Node ---------------------------------------------------------------------------------
node_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
[ "$node_major" -ge 20 ] || die "Node.js >= 20.6 is required (found: $(node --version 2>/dev/null || echo none))."

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
  for svc in postgresql rabbitmq-server prometheus prometheus-alertmanager prometheus-node-exporter prometheus-postgres-exporter; do
    $sudo service "$svc" stop >/dev/null 2>&1 || true
  done
fi

# --- npm dependencies ---------------------------------------------------------------------
if [ ! -f "$repo/node_modules/.package-lock.json" ] || [ "$repo/package-lock.json" -nt "$repo/node_modules/.package-lock.json" ]; then
  say "installing npm dependencies (npm ci)"
  (cd "$repo" && npm ci --no-audit --no-fund >&2) || die "npm ci failed (see above)."
fi

# --- Go builds ----------------------------------------------------------------------------
command -v go >/dev/null || die "Go is required to build the Collector and Jaeger: install Go >= 1.24 (https://go.dev/doc/install)."
otelcol="$(bash "$here/build-collector.sh")" || die "building the Collector failed (see above)."
jaeger="$(bash "$here/build-jaeger.sh")" || die "building Jaeger failed (see above)."
minio="$(bash "$here/build-minio.sh")" || die "building MinIO failed (see above)."
printf '{\n  "otelcol": "%s",\n  "jaeger": "%s",\n  "minio": "%s"\n}\n' "$otelcol" "$jaeger" "$minio" > "$run_dir/tools.json"

# --- TypeScript ---------------------------------------------------------------------------
(cd "$repo" && npx tsc -b) || die "TypeScript build failed (see above)."
say "ready (tools in $run_dir/tools.json)"
