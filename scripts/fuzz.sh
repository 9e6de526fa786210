#!/usr/bin/env bash
# Runs every fuzz target (the directive parser's, the form parsers', the PSP translator, the
# APR table layer, the cookie parsers and session ids) for a bounded time each (default 30 s):
#   scripts/fuzz.sh [SECONDS]
# Installs cargo-fuzz when missing. cargo-fuzz needs nightly compiler flags; on a stable
# toolchain RUSTC_BOOTSTRAP=1 allows them for this build only.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
seconds="${1:-30}"
export PATH="$HOME/.cargo/bin:$PATH"
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "==> Installing cargo-fuzz"
    cargo install --locked --quiet cargo-fuzz
fi
# crate directory:target, one per fuzz target
targets="directives:parse_directive directives:read_config forms:multipart forms:querystring psp:translate bindings:table"
for entry in $targets; do
    crate=${entry%%:*}
    target=${entry#*:}
    echo "==> Fuzzing $crate/$target for ${seconds}s"
    log="$(mktemp)"
    status=0
    # The corpus grows in fuzz/corpus/TARGET (not kept); fuzz/seeds/TARGET are the seeds kept
    # in the repository, with any input that once found a crash.
    mkdir -p "$root/$crate/fuzz/corpus/$target"
    (cd "$root/$crate" && RUSTC_BOOTSTRAP=1 cargo fuzz run "$target" "fuzz/corpus/$target" "fuzz/seeds/$target" -- -max_total_time="$seconds") >"$log" 2>&1 || status=$?
    grep -E "^Done|ERROR|panicked|SUMMARY" "$log" || true
    if [ "$status" -ne 0 ]; then
        tail -40 "$log" >&2
        echo "fuzz target $target failed (exit $status): see $crate/fuzz/artifacts/$target" >&2
        exit 1
    fi
    rm -f "$log"
done
# The cookie parsers and session-id checks are Python: a standard-library fuzzer of our own.
echo "==> Fuzzing mod_python.Cookie and session ids for ${seconds}s"
/usr/bin/python3 "$root/scripts/fuzz_cookies.py" "$seconds"
