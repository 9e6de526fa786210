#!/usr/bin/env bash
# Builds the Debian package (target/debian/libmod-python-rs_*.deb) with cargo-deb:
# mod_python.so, python.load and a commented python.conf under mods-available, the
# mod-python-config explainer and the mod_python command. Installs cargo-deb when missing.
#   scripts/build-deb.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
command -v cargo-deb >/dev/null || cargo install --locked --quiet cargo-deb
PYO3_PYTHON=${PYO3_PYTHON:-/usr/bin/python3} cargo build --release -q -p mod_python
cargo build --release -q -p directives --bin mod-python-config
cargo deb -p mod_python --no-build --quiet
ls -1 target/debian/*.deb | tail -1
