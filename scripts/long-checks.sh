#!/usr/bin/env bash
# The long versions of what CI runs in short: every fuzz target for FUZZ_SECONDS each
# (default 300), the request paths under valgrind memcheck for MEMCHECK_ROUNDS rounds
# (default 20), and RESTART_STORM graceful restarts per MPM under load (default 1000).
#   scripts/long-checks.sh
#   FUZZ_SECONDS=60 MEMCHECK_ROUNDS=5 RESTART_STORM=100 scripts/long-checks.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-deps.sh
export PATH="$HOME/.cargo/bin:$PATH"
echo "==> fuzzing, ${FUZZ_SECONDS:-300}s per target"
scripts/fuzz.sh "${FUZZ_SECONDS:-300}"
echo "==> valgrind memcheck, ${MEMCHECK_ROUNDS:-20} rounds"
scripts/memcheck.sh --rounds "${MEMCHECK_ROUNDS:-20}"
echo "==> ${RESTART_STORM:-1000} graceful restarts per MPM under load"
RESTART_STORM="${RESTART_STORM:-1000}" cargo test -q -p mod_python --test restart_storm -- --nocapture
echo "long checks passed"
