#!/usr/bin/env bash
# Builds mod_python (release) and serves the demo site on http://127.0.0.1:8080/ with a real
# Apache in the foreground. Ctrl-C stops it. Installs what is missing first.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/ensure-deps.sh
export PATH="$HOME/.cargo/bin:$PATH"
echo "==> Building mod_python (release)"
cargo build --release -p mod_python -p test-httpd
exec target/release/test-httpd serve --site demo --port "${PORT:-8080}" \
    --module target/release/libmod_python.so --mpm "${MPM:-event}"
