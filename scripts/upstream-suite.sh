#!/usr/bin/env bash
# Runs mod_python 3.5's own test suite (test/test.py of a grisha/mod_python checkout) against
# our module or against Debian's mod_python 3.5, under one MPM, and prints one line per test
# and a summary.
#
#   scripts/upstream-suite.sh CHECKOUT [--module ours|reference] [--mpm prefork|event|worker]
#                                      [--only NAME,NAME...]
#
# The checkout is used as it is, from a scratch copy: its test/ directory is copied to a
# temporary directory, where the MPM its generated configuration loads is switched when
# asked. Its runner needs `mod_python.version` (paths of this machine's Apache and of the
# module under test) and `mod_python.httpdconf` (the checkout's own) on the command-line
# Python's path; both are provided in a directory of the scratch copy that only the runner
# sees, so Apache's embedded Python is not affected. Nothing of the checkout is kept.
#
# Exit status: 0 when every test that ran passed, 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

usage() { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
[ $# -ge 1 ] || usage
CHECKOUT=$(cd "$1" && pwd)
shift
MODULE=ours
MPM=prefork
ONLY=
while [ $# -gt 0 ]; do
    case "$1" in
        --module) MODULE=$2; shift 2 ;;
        --mpm) MPM=$2; shift 2 ;;
        --only) ONLY=$2; shift 2 ;;
        *) usage ;;
    esac
done
[ -f "$CHECKOUT/test/test.py" ] || { echo "no test/test.py in $CHECKOUT" >&2; exit 2; }
case "$MPM" in prefork|event|worker) ;; *) usage ;; esac

LIBEXEC=/usr/lib/apache2/modules
case "$MODULE" in
    ours)
        if [ -z "${MOD_PYTHON_SO:-}" ]; then
            PYO3_PYTHON=${PYO3_PYTHON:-/usr/bin/python3} cargo build --release -p mod_python >&2
            MOD_PYTHON_SO=$ROOT/target/release/libmod_python.so
        fi
        ;;
    reference)
        MOD_PYTHON_SO=$LIBEXEC/mod_python.so
        [ -f "$MOD_PYTHON_SO" ] || { echo "install libapache2-mod-python first" >&2; exit 2; }
        ;;
    *) usage ;;
esac

WORK=$(mktemp -d /tmp/upstream-suite.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cp -r "$CHECKOUT/test" "$WORK/test"
TESTHOME=$WORK/test
mkdir -p "$TESTHOME/conf" "$WORK/runner/mod_python"
# Apache's children (not root) read the documents and write the scratch files.
chmod -R a+rX "$WORK"
chmod 755 "$WORK"

# The MPM: test.py loads prefork unless one is loaded already; load the one asked for first.
if [ "$MPM" != prefork ]; then
    sed -i "s/mpm_prefork_module/mpm_${MPM}_module/; s/mod_mpm_prefork\.so/mod_mpm_${MPM}.so/" \
        "$TESTHOME/test.py"
fi

HTTPD_VERSION=$(/usr/sbin/apache2 -v | sed -n 's|^Server version: Apache/\([0-9.]*\).*|\1|p')
cat > "$WORK/runner/mod_python/__init__.py" <<EOF
EOF
cat > "$WORK/runner/mod_python/version.py" <<EOF
version = "3.5.0"
HTTPD = "/usr/sbin/apache2"
HTTPD_VERSION = "$HTTPD_VERSION"
APR_VERSION = ""
LIBEXECDIR = "$LIBEXEC"
SYSCONFDIR = "/etc/apache2"
TESTHOME = "$TESTHOME"
TEST_MOD_PYTHON_SO = "$MOD_PYTHON_SO"
PYTHON_BIN = "/usr/bin/python3"
EOF
ln -s "$CHECKOUT/lib/python/mod_python/httpdconf.py" "$WORK/runner/mod_python/httpdconf.py"

# The runner: the suite's own test.py, each outcome also written to results.txt by name,
# optionally only the tests named.
cat > "$WORK/runner/run.py" <<'EOF'
import os, runpy, sys, unittest

only = [n for n in os.environ.get("UPSTREAM_ONLY", "").split(",") if n]
results = open(os.environ["UPSTREAM_RESULTS"], "a")

def record(test, outcome):
    name = getattr(test, "_testMethodName", str(test))
    if name != "testPerRequestTests":
        results.write("%s %s\n" % (outcome, name))
        results.flush()

class RecordingResult(unittest.TextTestResult):
    def addSuccess(self, test):
        super().addSuccess(test)
        record(test, "PASS")

    def addFailure(self, test, err):
        super().addFailure(test, err)
        record(test, "FAIL")

    def addError(self, test, err):
        super().addError(test, err)
        record(test, "ERROR")

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        record(test, "SKIP")

class NamedRunner(unittest.TextTestRunner):
    def __init__(self, *args, **kwargs):
        kwargs["verbosity"] = 2
        kwargs["resultclass"] = RecordingResult
        kwargs.setdefault("stream", sys.stdout)
        super().__init__(*args, **kwargs)

    def run(self, test):
        if only:
            test = filter_suite(test)
        return super().run(test)

def filter_suite(suite):
    kept = unittest.TestSuite()
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            kept.addTest(filter_suite(t))
        elif t._testMethodName in only or t._testMethodName == "testPerRequestTests":
            kept.addTest(t)
    return kept

unittest.TextTestRunner = NamedRunner
sys.argv = ["test.py"]
runpy.run_path("test.py", run_name="__main__")
EOF

cd "$TESTHOME"
echo "==> upstream suite: module $MODULE ($MOD_PYTHON_SO), mpm $MPM" >&2
UPSTREAM_ONLY=$ONLY UPSTREAM_RESULTS=$WORK/results.txt PYTHONPATH= /usr/bin/python3 -c \
    "import sys; sys.path.insert(0, '$WORK/runner'); exec(open('$WORK/runner/run.py').read())" \
    > "$WORK/out.txt" 2>&1 || true
# Stop an Apache the suite left running (a failed test may skip its stop), by its PID.
if [ -f "$TESTHOME/logs/httpd.pid" ]; then
    kill "$(cat "$TESTHOME/logs/httpd.pid")" 2>/dev/null || true
    sleep 1
fi
if [ -n "${UPSTREAM_KEEP:-}" ]; then
    mkdir -p "$UPSTREAM_KEEP"
    cp "$WORK/out.txt" "$UPSTREAM_KEEP/out-$MODULE-$MPM.txt"
    cp "$TESTHOME/logs/error_log" "$UPSTREAM_KEEP/error_log-$MODULE-$MPM" 2>/dev/null || true
fi
if [ ! -s "$WORK/results.txt" ]; then
    tail -40 "$WORK/out.txt"
    exit 1
fi
sort -k2 "$WORK/results.txt"
passed=$(grep -c '^PASS ' "$WORK/results.txt" || true)
total=$(wc -l < "$WORK/results.txt")
echo "==> $passed of $total passed (module $MODULE, mpm $MPM)"
[ "$passed" -eq "$total" ]
