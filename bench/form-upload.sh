#!/usr/bin/env bash
# One large upload (1 GiB by default) through mod_python.util.FieldStorage, on ours and on
# Debian's mod_python 3.5 in the same run: throughput and the handling child's peak RSS growth.
#
#   bench/form-upload.sh [--mib N] [--mpm event|worker|prefork]... [--out FILE]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
scripts/ensure-deps.sh
if [ ! -f /usr/lib/apache2/modules/mod_python.so ]; then
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q libapache2-mod-python
fi
PYO3_PYTHON=${PYO3_PYTHON:-/usr/bin/python3} cargo build --release -q -p mod_python
exec /usr/bin/python3 bench/form_upload.py --ours "$ROOT/target/release/libmod_python.so" "$@"
