#!/bin/sh
# Builds the pod test server (images/netexec/netexec.c) as one static executable: it needs nothing
# from the image it is copied into (no libc version match), and a static binary maps no shared
# libraries, so each pod's process stays a few hundred KB (BENCHMARKS.md, "Pod server memory").
#   usage: images/netexec/build.sh OUT     (CC: the C compiler, default cc; needs libc6-dev's libc.a)
set -eu
OUT="${1:?usage: build.sh OUT}"
CC="${CC:-cc}"
command -v "$CC" >/dev/null 2>&1 || { echo "build.sh: no C compiler ($CC): apt-get install gcc libc6-dev" >&2; exit 1; }
exec "$CC" -std=gnu11 -static -Os -s -Wall -Wextra -o "$OUT" "$(dirname "$0")/netexec.c"
