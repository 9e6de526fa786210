#!/usr/bin/env bash
# Installs what building and testing mod_python needs, when it is missing:
# Debian/Ubuntu packages (Apache, its headers, libclang for bindgen, the system Python's
# headers) and a Rust toolchain. Safe to run again: it only installs what is not there.
set -euo pipefail

# libapache2-mod-python: Debian's mod_python 3.5, the reference the differential tests compare
# with (installed, never enabled: test servers load it themselves).
packages=(apache2 apache2-dev libclang-dev python3 python3-dev python3-pip python3-cryptography redis-tools redis-server libapr1-dev libaprutil1-dev gcc pkg-config curl ca-certificates openssl libapache2-mod-python)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

if [ "${#missing[@]}" -gt 0 ]; then
    echo "==> Installing Debian packages: ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    # Debian starts the stock apache2 service on install; our servers use their own ports
    # and configuration, so it can stay as it is.
fi

if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
fi
if ! command -v cargo >/dev/null 2>&1; then
    echo "==> Installing the Rust toolchain (rustup)"
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal -c rustfmt,clippy
    export PATH="$HOME/.cargo/bin:$PATH"
fi
