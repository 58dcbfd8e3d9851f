#!/usr/bin/env bash
# Offline builder of the lab image: no container registry needed, only a Debian mirror.
#   usage: scripts/build-image-debootstrap.sh OUT_TAG
#          scripts/build-image-debootstrap.sh --base OUT_TAG
# Builds a Debian bookworm minbase root with images/node/packages.debian plus netexec,
# slims it, and imports it into the local engine as OUT_TAG. With --base, the bare minbase
# root only (apt pointed at the same mirror): a local stand-in for debian:bookworm-slim, to
# build images/node/Dockerfile from (--build-arg BASE=OUT_TAG) where no registry answers.
# Safe to run concurrently (each run uses its own temp dir). Needs Linux, root, debootstrap
# and a Docker engine.
set -euo pipefail

BASE_ONLY=0
if [ "${1:-}" = "--base" ]; then
  BASE_ONLY=1
  shift
fi
TAG="${1:-}"
if [ -z "$TAG" ]; then
  echo "usage: $0 [--base] OUT_TAG" >&2
  exit 2
fi

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PKG_LIST="$ROOT/images/node/packages.debian"
NETEXEC_BUILD="$ROOT/images/netexec/build.sh"
SUITE="${DEBIAN_SUITE:-bookworm}"

die() { echo "build-image-debootstrap: $*" >&2; exit 1; }

[ "$(uname -s)" = Linux ] || die "needs Linux"
[ "$(id -u)" = 0 ] || die "needs root (debootstrap creates device nodes and chroots)"
command -v debootstrap >/dev/null || die "debootstrap is missing: run ./scripts/setup-docker.sh (as root)"
docker info >/dev/null 2>&1 || die "no Docker engine answers: run ./scripts/setup-docker.sh (as root)"

# An existing tag is never rebuilt: the tag is a hash of this recipe.
if docker image inspect "$TAG" >/dev/null 2>&1; then
  echo "image $TAG already exists"
  exit 0
fi

# The mirror apt already uses on this host works offline-ish (proxy, snapshot, local mirror).
mirror() {
  if [ -n "${DEBIAN_MIRROR:-}" ]; then echo "$DEBIAN_MIRROR"; return; fi
  local m=""
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    m="$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)"
  fi
  if [ -z "$m" ] && [ -f /etc/apt/sources.list ]; then
    m="$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' /etc/apt/sources.list)"
  fi
  echo "${m:-http://deb.debian.org/debian}"
}
MIRROR="$(mirror)"

INCLUDE="$(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$PKG_LIST" | grep -v '^$' | paste -sd, -)"
[ -n "$INCLUDE" ] || die "empty package list $PKG_LIST"
INCLUDE_ARG=(--include="$INCLUDE")
[ "$BASE_ONLY" = 0 ] || INCLUDE_ARG=()

WORK="$(mktemp -d "${TMPDIR:-/var/tmp}/k8s-netlab-image.XXXXXX")"
cleanup() { rm -rf --one-file-system "$WORK"; }
trap cleanup EXIT INT TERM
DIR="$WORK/rootfs"

# The pod test server first (a static binary, seconds): a missing compiler fails before debootstrap.
[ "$BASE_ONLY" = 1 ] || sh "$NETEXEC_BUILD" "$WORK/netexec" || die "compiling netexec failed (apt-get install gcc libc6-dev)"

echo "debootstrap $SUITE from $MIRROR into $DIR"
[ "$BASE_ONLY" = 1 ] && echo "packages: minbase only (a base image)" || echo "packages: $INCLUDE"
start=$(date +%s)
debootstrap --variant=minbase "${INCLUDE_ARG[@]}" "$SUITE" "$DIR" "$MIRROR"

[ "$BASE_ONLY" = 1 ] || install -m 0755 "$WORK/netexec" "$DIR/usr/local/bin/netexec"

# Slim: nothing in the lab reads caches, docs, manuals or translations.
rm -rf "$DIR"/var/cache/apt/*.bin "$DIR"/var/cache/apt/archives/*.deb "$DIR"/var/cache/apt/archives/partial/* \
  "$DIR"/var/lib/apt/lists/* "$DIR"/var/cache/debconf/*-old "$DIR"/var/log/*.log "$DIR"/var/log/apt/* \
  "$DIR"/usr/share/doc/* "$DIR"/usr/share/man/* "$DIR"/usr/share/info/* "$DIR"/usr/share/lintian \
  "$DIR"/usr/share/locale/* "$DIR"/debootstrap
# Keep (and complete) the stdlib bytecode: the lab's python programs (CNI runtime, probes) run
# often, and without .pyc files each start recompiles its imports and keeps several MB more memory.
[ "$BASE_ONLY" = 1 ] || chroot "$DIR" python3 -m compileall -q -j 0 /usr/lib/python3.11 >/dev/null 2>&1 || true
# The engine provides these per container; don't bake the build host's into the image.
rm -f "$DIR"/etc/resolv.conf "$DIR"/etc/hostname
: >"$DIR"/etc/hosts

echo "importing as $TAG"
tar -C "$DIR" --numeric-owner -c . | docker import \
  --change 'CMD ["sleep","infinity"]' \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "LABEL k8s-netlab.builder=debootstrap$([ "$BASE_ONLY" = 1 ] && echo -base)" \
  - "$TAG" >/dev/null
echo "built $TAG in $(($(date +%s) - start)) s ($(docker image inspect -f '{{.Size}}' "$TAG" | awk '{printf "%.0f MB", $1/1e6}'))"
