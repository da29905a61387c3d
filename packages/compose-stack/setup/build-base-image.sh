#!/usr/bin/env bash
# Builds the local base image shopfloor/debian-base:bookworm, the FROM of the suite's stand-in
# images (no image registry is reachable here, so nothing can be pulled):
#   debootstrap --variant=minbase bookworm (from the Debian mirror apt uses) into a scratch dir,
#   trimmed as the official debian image is (no apt lists or .debs, policy-rc.d, apt clean-up
#   config), then `tar | docker import` with CMD ["bash"].
# About 90 s the first time. Cached:
#   - by the image itself: when `docker image inspect` finds it, nothing is done (seconds);
#   - by the root file system tarball ${SHOPFLOOR_CACHE_DIR:-$HOME/.cache/shopfloor}/debian-base-bookworm/rootfs.tar:
#     when only the image is gone (docker's data reset), it is re-imported from it (seconds).
# Installs debootstrap with apt when it is missing. Needs root (or sudo) and a running dockerd.
# Mirror: SHOPFLOOR_DEBIAN_MIRROR, else the first Debian URI in apt's sources, else deb.debian.org.
# stdout: the image name on the last line. Progress goes to stderr.
set -euo pipefail

SUITE="bookworm"
IMAGE="shopfloor/debian-base:$SUITE"

LOG_PREFIX=containers:base-image
# shellcheck source=../../native-stack/setup/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../native-stack/setup/lib.sh"

docker info >/dev/null 2>&1 || die "the Docker engine does not answer: run ensure-dockerd.sh first"

if docker image inspect "$IMAGE" >/dev/null 2>&1; then
  printf '%s\n' "$IMAGE"
  exit 0
fi

out_dir="$CACHE_DIR/debian-base-$SUITE"
tarball="$out_dir/rootfs.tar"

# The first URI of apt's sources whose path matches $1 (a grep -E pattern on the URI).
apt_uri() {
  local pattern="$1" f
  {
    for f in /etc/apt/sources.list.d/*.sources; do
      [[ -f "$f" ]] && sed -n 's/^URIs:[[:space:]]*//p' "$f" | tr ' ' '\n'
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
      [[ -f "$f" ]] && sed -n 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\{0,1\}\([^[:space:]]\+\).*/\2/p' "$f"
    done
  } 2>/dev/null | grep -E "$pattern" | head -n1
}

# Image config as the official debian image has it.
import_tarball() {
  log "importing $tarball as $IMAGE"
  docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' \
    --message "debootstrap --variant=minbase $SUITE (packages/compose-stack/setup/build-base-image.sh)" \
    "$tarball" "$IMAGE" >/dev/null || die "docker import of $tarball failed (see above)"
}

if [[ -f "$tarball" ]]; then
  import_tarball
  printf '%s\n' "$IMAGE"
  exit 0
fi

if ! command -v debootstrap >/dev/null 2>&1; then
  apt_install debootstrap
  hash -r
fi

mirror="${SHOPFLOOR_DEBIAN_MIRROR:-$(apt_uri '^https?://.*/debian/?$' || true)}"
mirror="${mirror:-http://deb.debian.org/debian}"
mirror="${mirror%/}"
security="$(apt_uri '^https?://.*/debian-security/?$' || true)"
security="${security:-http://deb.debian.org/debian-security}"
security="${security%/}"

mkdir -p "$out_dir"
scratch="$(mktemp -d "$CACHE_DIR/.debootstrap-XXXXXX")"
trap 'as_root rm -rf "$scratch"' EXIT
rootfs="$scratch/rootfs"

log "debootstrap --variant=minbase $SUITE from $mirror (about 90 s)"
run_logged "debootstrap" "$scratch/debootstrap.log" \
  as_root debootstrap --variant=minbase "$SUITE" "$rootfs" "$mirror" \
  || die "debootstrap failed (log above). Is $mirror reachable? Set SHOPFLOOR_DEBIAN_MIRROR to another Debian mirror."

# As the official image (debuerreotype): apt sources for the release, its updates and security
# fixes; no package lists, cached .debs or host files left in; services never start in a build;
# apt removes the .debs after installing and fetches no translations.
as_root tee "$rootfs/etc/apt/sources.list.d/debian.sources" >/dev/null <<SOURCES
Types: deb
URIs: $mirror
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
as_root rm -f "$rootfs/etc/apt/sources.list"
as_root tee "$rootfs/usr/sbin/policy-rc.d" >/dev/null <<'POLICY'
#!/bin/sh
# Services do not start inside image builds (as in the official debian image).
exit 101
POLICY
as_root chmod 755 "$rootfs/usr/sbin/policy-rc.d"
as_root tee "$rootfs/etc/apt/apt.conf.d/docker-clean" >/dev/null <<'CLEAN'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
CLEAN
printf 'Acquire::Languages "none";\n' | as_root tee "$rootfs/etc/apt/apt.conf.d/docker-no-languages" >/dev/null
as_root find "$rootfs/var/lib/apt/lists" "$rootfs/var/cache/apt" -type f -delete
as_root find "$rootfs/var/log" -type f -delete
as_root rm -f "$rootfs/etc/resolv.conf" "$rootfs/etc/hostname"
as_root rm -rf "$rootfs/tmp/"* "$rootfs/var/tmp/"*

as_root tar -C "$rootfs" --numeric-owner -cf "$scratch/rootfs.tar" . || die "could not pack $rootfs"
install_atomic "$scratch/rootfs.tar" "$tarball"
log "root file system: $tarball ($(du -h "$tarball" | cut -f1))"
import_tarball
printf '%s\n' "$IMAGE"
