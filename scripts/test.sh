#!/usr/bin/env bash
# Everything the tests need, then the tests: a Docker engine where none answers, the npm
# dependencies, the lab image; then `npm test` (unit tests without Docker, end-to-end tests with it).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup-docker.sh
./scripts/setup-test-host.sh
npm ci --no-audit --no-fund
node bin/lab.js images build
npm test
