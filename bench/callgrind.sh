#!/usr/bin/env bash
# Instructions per request of the hello handler, counted by callgrind on a one-process
# server (apache2 -X, prefork): two runs of different lengths, so start-up cancels out.
#   bench/callgrind.sh [--module ours|reference] [--requests N]
# Instruction counts are repeatable whatever else the machine does (docs/performance.md).
set -euo pipefail
cd "$(dirname "$0")/.."
module=ours
requests=1000
while [ $# -gt 0 ]; do
    case "$1" in
        --module) module="$2"; shift 2 ;;
        --requests) requests="$2"; shift 2 ;;
        *) echo "usage: bench/callgrind.sh [--module ours|reference] [--requests N]" >&2; exit 2 ;;
    esac
done
export PATH="$HOME/.cargo/bin:$PATH"
cargo build --release -q -p mod_python -p test-httpd
case "$module" in
    ours) so="$PWD/target/release/libmod_python.so" ;;
    /*) so="$module" ;;
    reference) so=/usr/lib/apache2/modules/mod_python.so ;;
    *) echo "--module ours|reference|/path/to/mod_python.so" >&2; exit 2 ;;
esac
work=$(mktemp -d)
chmod 755 "$work"
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
mkdir -p "$work/site" "$work/out"
chmod 777 "$work/out"
cp bench/build/hello.py "$work/site/" 2>/dev/null || cat >"$work/site/hello.py" <<'PY'
from mod_python import apache

def handler(req):
    req.content_type = "text/plain"
    req.write("Hello, world!")
    return apache.OK
PY
cat >"$work/site/site.conf" <<'CONF'
<Location /hello>
    SetHandler mod_python
    PythonPath "['@DOCROOT@'] + sys.path"
    PythonHandler hello
</Location>
CONF
# One run: start the server under callgrind, N requests, stop; prints the total.
run() {
    local n=$1 port root
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    root="$work/root-$n"
    # The configuration only (test-httpd writes it; apache2 is started here, under valgrind).
    target/release/test-httpd serve --site "$work/site" --port "$port" --mpm prefork \
        --module "$so" --root "$root" --write-only >/dev/null
    # Apache started as root would write the profile as www-data, in a file root made:
    # run the whole server as www-data instead (it then keeps its user).
    local as=()
    if [ "$(id -u)" = 0 ]; then
        chmod -R a+rwX "$root"
        as=(runuser -u www-data --)
    fi
    "${as[@]}" valgrind --tool=callgrind --callgrind-out-file="$work/out/cg-$n.out" --trace-children=no \
        /usr/sbin/apache2 -X -d "$root" -f "$root/httpd.conf" >"$work/valgrind-$n.log" 2>&1 &
    local pid=$!
    for _ in $(seq 1 300); do
        curl -s -o /dev/null "http://127.0.0.1:$port/hello" && break
        sleep 0.2
    done
    for _ in $(seq 2 "$n"); do
        curl -s -o /dev/null "http://127.0.0.1:$port/hello" || true
    done
    kill -TERM "$pid"
    wait "$pid" || true
    callgrind_annotate "$work/out/cg-$n.out" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}'
}
short=$(run 100)
long=$(run $((100 + requests)))
echo "$module: $(( (long - short) / requests )) instructions per request ($short for 100, $long for $((100 + requests)))"
