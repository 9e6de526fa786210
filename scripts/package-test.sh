#!/usr/bin/env bash
# Builds the .deb, installs it the way an administrator would (replacing Debian's
# libapache2-mod-python if present), enables it with a2enmod, starts the system Apache with
# apache2ctl on a loopback port with a handler page, asks for the page, then stops Apache,
# purges the package and puts back what was there. Needs root (or sudo); changes the
# system's Apache configuration only for its run.
#   scripts/package-test.sh [PORT]
set -euo pipefail
cd "$(dirname "$0")/.."
port="${1:-18080}"
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
# The first non-empty answer of URL within 10 s (a server is starting).
first_answer() {
    local answer=""
    for _ in $(seq 1 50); do
        answer=$(curl -s "$1" || true)
        [ -n "$answer" ] && break
        sleep 0.2
    done
    echo "$answer"
}
deb=$(scripts/build-deb.sh | tail -1)
had_reference=no
dpkg-query -W -f='${Status}' libapache2-mod-python 2>/dev/null | grep -q "install ok installed" && had_reference=yes
wsgi_enabled=no
[ -e /etc/apache2/mods-enabled/wsgi.load ] && wsgi_enabled=yes
site=/var/www/mod-python-rs-test
conf=/etc/apache2/conf-available/mod-python-rs-test.conf

cleanup() {
    $SUDO apache2ctl stop >/dev/null 2>&1 || true
    sleep 1
    $SUDO a2disconf -q mod-python-rs-test >/dev/null 2>&1 || true
    $SUDO a2dismod -q python >/dev/null 2>&1 || true
    $SUDO rm -f "$conf"
    $SUDO rm -rf "$site"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q libmod-python-rs >/dev/null 2>&1 || true
    if [ "$wsgi_enabled" = yes ]; then
        $SUDO a2enmod -q wsgi >/dev/null 2>&1 || true
    fi
    if [ "$had_reference" = yes ]; then
        $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q libapache2-mod-python >/dev/null
    fi
}
trap cleanup EXIT

echo "==> Installing $deb"
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "./$deb" >/dev/null
test -f /usr/lib/apache2/modules/mod_python.so
test -f /etc/apache2/mods-available/python.conf
mod-python-config explain --help >/dev/null 2>&1 || true

echo "==> a2enmod python, a site on 127.0.0.1:$port"
$SUDO mkdir -p "$site"
printf 'from mod_python import apache\n\ndef handler(req):\n    req.content_type = "text/plain"\n    req.write("served by the packaged module")\n    return apache.OK\n' \
    | $SUDO tee "$site/pkgtest.py" >/dev/null
$SUDO tee "$conf" >/dev/null <<CONF
Listen 127.0.0.1:$port
<VirtualHost 127.0.0.1:$port>
    DocumentRoot $site
    <Directory $site>
        Require all granted
        SetHandler mod_python
        PythonPath "['$site'] + sys.path"
        PythonHandler pkgtest
    </Directory>
</VirtualHost>
CONF
# mod_wsgi cannot share an Apache with us (both embed Python, MPY0003).
[ "$wsgi_enabled" = yes ] && $SUDO a2dismod -q wsgi
$SUDO a2enmod -q python
$SUDO a2enconf -q mod-python-rs-test
$SUDO apache2ctl configtest
$SUDO apache2ctl start
answer=$(first_answer "http://127.0.0.1:$port/x.py")
echo "answer: $answer"
[ "$answer" = "served by the packaged module" ] || { $SUDO tail -20 /var/log/apache2/error.log; exit 1; }
echo "==> mod_python create with the installed command"
tmp=$(mktemp -d)
mod_python create "$tmp/site" --listen "127.0.0.1:$((port + 1))" >/dev/null
grep -q "LoadModule python_module /usr/lib/apache2/modules/mod_python.so" "$tmp/site/conf/httpd.conf"
rm -rf "$tmp"
echo "==> The apxs install path (scripts/install.sh), into a scratch directory"
tmp=$(mktemp -d)
chmod 755 "$tmp"   # Apache's children (www-data) read the site under it
scripts/install.sh --libexecdir "$tmp/modules" >/dev/null
cargo build -q --release -p test-httpd
target/release/test-httpd serve --site examples/hello --port "$((port + 2))" \
    --module "$tmp/modules/mod_python.so" --root "$tmp/root" >/dev/null 2>&1 &
serve=$!
answer=$(first_answer "http://127.0.0.1:$((port + 2))/hello.py")
kill -INT "$serve"
wait "$serve" || true
rm -rf "$tmp"
echo "answer: $answer"
case "$answer" in "Hello from Python inside Apache!"*) ;; *) exit 1 ;; esac
echo "package test passed"
