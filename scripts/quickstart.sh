#!/usr/bin/env bash
# The main job from a fresh clone, in one command: a Docker engine where none answers, the npm
# dependencies, the lab image, then the guide lab brought up and verified.
# Extra arguments go to `lab up` (e.g. -t topologies/other.yaml --proxy nftables).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup-docker.sh
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run --silent build
node bin/lab.js images build
node bin/lab.js up "$@"
