#!/usr/bin/env bash
# Runs the directive parser's fuzz targets for a bounded time each (default 30 s):
#   scripts/fuzz.sh [SECONDS]
# Installs cargo-fuzz when missing. cargo-fuzz needs nightly compiler flags; on a stable
# toolchain RUSTC_BOOTSTRAP=1 allows them for this build only.
set -euo pipefail
cd "$(dirname "$0")/../directives"
seconds="${1:-30}"
export PATH="$HOME/.cargo/bin:$PATH"
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "==> Installing cargo-fuzz"
    cargo install --locked --quiet cargo-fuzz
fi
for target in parse_directive read_config; do
    echo "==> Fuzzing $target for ${seconds}s"
    log="$(mktemp)"
    status=0
    RUSTC_BOOTSTRAP=1 cargo fuzz run "$target" -- -max_total_time="$seconds" >"$log" 2>&1 || status=$?
    grep -E "^Done|ERROR|panicked|SUMMARY" "$log" || true
    if [ "$status" -ne 0 ]; then
        tail -40 "$log" >&2
        echo "fuzz target $target failed (exit $status): see directives/fuzz/artifacts/$target" >&2
        exit 1
    fi
    rm -f "$log"
done
