#!/usr/bin/env bash
# The module's request paths under valgrind memcheck (apache2 -X): fails on any invalid
# read, write or free. A short run by default (CI); --rounds N for a longer one.
#   scripts/memcheck.sh [--rounds N] [--keep]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || {
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q valgrind >/dev/null
}
PYO3_PYTHON=${PYO3_PYTHON:-/usr/bin/python3} cargo build -q -p mod_python
exec /usr/bin/python3 scripts/memcheck.py --module "$PWD/target/debug/libmod_python.so" "$@"
