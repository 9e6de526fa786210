#!/usr/bin/env bash
# Builds mod_python and installs it into an Apache 2.4 with that Apache's own apxs: for
# systems without the Debian package (scripts/build-deb.sh), or an httpd built from source.
#   scripts/install.sh [--apxs PATH] [--enable] [--libexecdir DIR]
#     --apxs PATH       the apxs of the Apache to install into (default: apxs on PATH)
#     --enable          also add the LoadModule line to that Apache's httpd.conf (apxs -a)
#     --libexecdir DIR  install the module there instead of apxs' LIBEXECDIR
# Needs Rust (rustup), clang (bindgen), Apache's and APR's headers and Python's.
set -euo pipefail
cd "$(dirname "$0")/.."
apxs=apxs
enable=()
overrides=()
libexecdir=""
while [ $# -gt 0 ]; do
    case "$1" in
        --apxs) apxs="$2"; shift 2 ;;
        --enable) enable=(-a); shift ;;
        --libexecdir) libexecdir="$2"; overrides=(-S "LIBEXECDIR=$2"); shift 2 ;;
        *) echo "usage: scripts/install.sh [--apxs PATH] [--enable] [--libexecdir DIR]" >&2; exit 2 ;;
    esac
done
command -v "$apxs" >/dev/null || { echo "no $apxs: install Apache's development files" >&2; exit 1; }
export PATH="$HOME/.cargo/bin:$PATH"
export PYO3_PYTHON="${PYO3_PYTHON:-/usr/bin/python3}"
echo "==> Building mod_python (release) for $("$apxs" -q TARGET) in $("$apxs" -q PREFIX)"
cargo build --release -q -p mod_python
# apxs installs a file under its own name: give it the module's.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp target/release/libmod_python.so "$work/mod_python.so"
dir="${libexecdir:-$("$apxs" -q LIBEXECDIR)}"
mkdir -p "$dir"
"$apxs" "${overrides[@]}" -i "${enable[@]}" -n python "$work/mod_python.so"
echo "installed $dir/mod_python.so"
if [ ${#enable[@]} -eq 0 ]; then
    echo "enable it with: LoadModule python_module $dir/mod_python.so"
fi
