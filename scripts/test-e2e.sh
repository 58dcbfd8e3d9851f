#!/usr/bin/env bash
# The end-to-end tests against the real engine. Most of their time is spent waiting (timeouts,
# grace periods, readiness), not computing, so the files run in parallel: each lab has its own
# name (test/e2e/helpers.ts labName), and the host-state checks compare host tables that labs
# never touch. robustness.test.ts runs alone afterwards: one of its tests removes every lab
# (`lab down --all`). K8S_NETLAB_E2E_WORKERS=1 runs everything one file at a time.
set -uo pipefail
cd "$(dirname "$0")/.."
workers="${K8S_NETLAB_E2E_WORKERS:-3}"
rc=0
npx jest test/e2e --maxWorkers="$workers" --testPathIgnorePatterns /node_modules/ robustness "$@" || rc=$?
npx jest --runInBand test/e2e/robustness.test.ts "$@" || rc=$?
exit "$rc"
