#!/usr/bin/env bash
# The bench: ours against Debian's mod_python 3.5, mod_wsgi (embedded and daemon) and native
# C bounds, on private Apaches on loopback, under event and prefork. Installs what is missing
# (wrk, apache2-dev, libapache2-mod-python, libapache2-mod-wsgi-py3), builds our module in
# release mode, the native bound module with apxs and the echo load client, then runs
# bench/bench.py and writes the table to bench/results.md (or --out FILE).
#
#   bench/run.sh [--mpm event|worker|prefork]... [--scenario hello|filter|conn|upload|phases]...
#                [--contender NAME]... [--seconds N] [--rounds N] [--out FILE]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
scripts/ensure-deps.sh
missing=()
command -v wrk >/dev/null || missing+=(wrk)
[ -f /usr/lib/apache2/modules/mod_wsgi.so ] || missing+=(libapache2-mod-wsgi-py3)
[ -f /usr/lib/apache2/modules/mod_python.so ] || missing+=(libapache2-mod-python)
command -v taskset >/dev/null || missing+=(util-linux)
if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
fi
PYO3_PYTHON=${PYO3_PYTHON:-/usr/bin/python3} cargo build --release -q -p mod_python
mkdir -p bench/build
apxs -c -o bench/build/mod_bench.so bench/native/mod_bench.c >/dev/null
cc -O2 -pthread -o bench/build/echo_load bench/native/echo_load.c
exec /usr/bin/python3 bench/bench.py --ours "$ROOT/target/release/libmod_python.so" \
    --native "$ROOT/bench/build/.libs/mod_bench.so" "$@"
