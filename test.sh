#!/usr/bin/env bash
# Runs the whole test suite: unit tests and integration tests against a real Apache under
# the event, worker and prefork MPMs. Installs what is missing first.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/ensure-deps.sh
export PATH="$HOME/.cargo/bin:$PATH"
echo "==> Building mod_python"
cargo build -p mod_python
echo "==> Running the tests"
cargo test --workspace "$@"
