#!/usr/bin/env bash
# Serves one example site on a real Apache in the foreground, until Ctrl-C:
#   examples/run.sh NAME [PORT]      (PORT: 8080; MPM=prefork chooses another MPM)
# NAME is a folder of examples/: hello, publisher, psp, flask, filters, protocols, vhosts,
# snippets (the book's shorter samples).
# Its site.conf is the configuration, its other files the document root. Installs what is
# missing first, like ./demo.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
name="${1:-}"
if [ -z "$name" ] || [ ! -f "examples/$name/site.conf" ]; then
    echo "usage: examples/run.sh NAME [PORT]; NAME is one of:" \
        $(cd examples && ls -d */ | tr -d /) >&2
    exit 2
fi
port="${2:-8080}"
source scripts/ensure-deps.sh
export PATH="$HOME/.cargo/bin:$PATH"
cargo build --release -q -p mod_python -p test-httpd
vars=(--var "KV_PORT=$((port + 1))" --var "EXAMPLES=$PWD/examples")
if [ "$name" = flask ]; then
    vars+=(--var "PYAPPS=$(scripts/pyapps.sh)")
fi
if [ "$name" = protocols ]; then
    echo "The Redis-compatible server listens on 127.0.0.1:$((port + 1))"
fi
exec target/release/test-httpd serve --site "examples/$name" --port "$port" \
    --module target/release/libmod_python.so --mpm "${MPM:-event}" "${vars[@]}"
