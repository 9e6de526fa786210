#!/usr/bin/env bash
# Installs Flask and Django for the system Python into target/pyapps (pip --target), once,
# and prints the directory. The Flask example and the WSGI framework tests use it.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="$PWD/target/pyapps"
if [ ! -f "$dir/.installed" ]; then
    /usr/bin/python3 -m pip install --quiet --disable-pip-version-check --upgrade \
        --target "$dir" 'flask>=3,<4' 'django>=5.2,<6' >&2
    echo "flask, django" >"$dir/.installed"
fi
echo "$dir"
