#!/usr/bin/env bash
# The unit tests that touch no C code under Miri (undefined behaviour, aliasing, leaks in
# unsafe Rust): the form parsers, the status board (atomics shared by threads), and the safe layer's leases and log levels. Miri needs a
# nightly toolchain: installed with rustup when missing; where that cannot be done, the run
# is skipped with a message (it is not a substitute for the tests, which ran already).
#   scripts/miri.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
if ! cargo +nightly miri --version >/dev/null 2>&1; then
    echo "==> Installing a nightly toolchain with Miri"
    if ! rustup toolchain install nightly --profile minimal -c miri,rust-src >/dev/null 2>&1; then
        echo "miri: no nightly toolchain can be installed here; skipped"
        exit 0
    fi
fi
cargo +nightly miri setup >/dev/null 2>&1 || { echo "miri: setup failed; skipped"; exit 0; }
cargo +nightly miri test -q -p forms
cargo +nightly miri test -q -p status
cargo +nightly miri test -q -p bindings --lib -- lease:: log::tests
echo "miri: passed"
