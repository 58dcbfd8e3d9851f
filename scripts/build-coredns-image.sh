#!/usr/bin/env bash
# Builds the lab's CoreDNS image from CoreDNS's Go module (no container registry needed, only the
# Go module proxy): a static binary of images/coredns (the pinned release, the lab's plugins),
# packed on an empty base by images/coredns/Dockerfile and tagged OUT_TAG.
#   usage: scripts/build-coredns-image.sh OUT_TAG
# Needs Go >= 1.21 (on PATH or /usr/local/go/bin/go) and a Docker engine; not root.
set -euo pipefail

TAG="${1:-}"
if [ -z "$TAG" ]; then
  echo "usage: $0 OUT_TAG" >&2
  exit 2
fi
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC="$ROOT/images/coredns"

die() { echo "build-coredns-image: $*" >&2; exit 1; }

GO="$(command -v go || true)"
[ -n "$GO" ] || { [ -x /usr/local/go/bin/go ] && GO=/usr/local/go/bin/go; } || true
[ -n "$GO" ] || die "no Go toolchain (go on PATH or /usr/local/go/bin/go); install Go >= 1.21 from https://go.dev/dl/"
docker info >/dev/null 2>&1 || die "no Docker engine answers (is DOCKER_HOST right, and may this user use the socket?)"

# An existing tag is never rebuilt: the tag is a hash of this recipe.
if docker image inspect "$TAG" >/dev/null 2>&1; then
  echo "image $TAG already exists"
  exit 0
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/k8s-netlab-coredns.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT INT TERM

start=$(date +%s)
echo "go build of $(awk '$1 == "require" && $2 ~ /coredns\/coredns$/ {print $2, $3}' "$SRC/go.mod") with $("$GO" version | awk '{print $3}')"
# -mod=readonly: exactly the versions go.sum pins; GOTOOLCHAIN=local: never download another Go.
(cd "$SRC" && CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-mod=readonly "$GO" build -trimpath -ldflags='-s -w' -o "$WORK/coredns" .)
built=$(date +%s)
cp "$SRC/Dockerfile" "$WORK/Dockerfile"
# The legacy builder's deprecation notice is noise here; anything else it says is shown on failure.
docker build -q --label k8s-netlab.builder=go-module -t "$TAG" "$WORK" >/dev/null 2>"$WORK/build.log" || { cat "$WORK/build.log" >&2; die "docker build failed"; }
echo "built $TAG in $((built - start)) s (go) + $(($(date +%s) - built)) s (image), $(docker image inspect -f '{{.Size}}' "$TAG" | awk '{printf "%.1f MB", $1/1e6}')"
