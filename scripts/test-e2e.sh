#!/usr/bin/env bash
# The end-to-end tests against the real engine. Most of their time is spent waiting (timeouts,
# grace periods, readiness), not computing, so the files run in parallel: each lab has its own
# name (test/e2e/helpers.ts labName), and the host-state checks compare host tables that labs
# never touch. down-all.test.ts runs alone afterwards: it removes every lab (`lab down --all`).
# K8S_NETLAB_E2E_WORKERS=1 runs the files one at a time.
set -uo pipefail
cd "$(dirname "$0")/.."
workers="${K8S_NETLAB_E2E_WORKERS:-3}"
rc=0
npx jest test/e2e --maxWorkers="$workers" --testPathIgnorePatterns /node_modules/ down-all "$@" || rc=$?
npx jest --runInBand test/e2e/down-all.test.ts "$@" || rc=$?
exit "$rc"
