#!/usr/bin/env python3
"""The bench: each scenario served by each contender on a private Apache (loopback, a free
port, stopped by its PID), loaded by wrk or our echo client, one after the other. bench/run.sh
builds what it needs and calls this.

For every run it reports requests per second, the server's CPU time per request (user and
system, summed over the Apache processes from /proc/PID/stat) and the memory of its children
(RSS and PSS from /proc/PID/smaps_rollup), then the ratios that the performance goals are
written in. Apache runs on core 0 and the load generator on core 1 when there are two.
"""

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

MODULES = "/usr/lib/apache2/modules"
HERE = os.path.dirname(os.path.abspath(__file__))
TICK_US = 1_000_000 / os.sysconf("SC_CLK_TCK")
TWO_CORES = os.cpu_count() and os.cpu_count() >= 2

HELLO_PY = '''
from mod_python import apache

def handler(req):
    req.content_type = "text/plain"
    req.write("Hello, World!")
    return apache.OK
'''

HELLO_WSGI = '''
def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "13")])
    return [b"Hello, World!"]
'''

UPPER_PY = '''
from mod_python import apache

def outputfilter(f):
    data = f.read()
    while data:
        f.write(data.upper())
        data = f.read()
    if data is None:
        f.close()
'''

ECHO_PY = '''
from mod_python import apache

def connectionhandler(conn):
    while True:
        line = conn.readline()
        if not line:
            return apache.OK
        conn.write(line)
'''

UPLOAD_PY = '''
from mod_python import apache

def handler(req):
    total = 0
    while True:
        chunk = req.read(65536)
        if not chunk:
            break
        total += len(chunk)
    req.content_type = "text/plain"
    req.write(str(total))
    return apache.OK
'''

UPLOAD_WSGI = '''
def application(environ, start_response):
    total = 0
    stream = environ["wsgi.input"]
    while True:
        chunk = stream.read(65536)
        if not chunk:
            break
        total += len(chunk)
    body = str(total).encode()
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(body)))])
    return [body]
'''

FORMUPLOAD_PY = '''
from mod_python import apache, util

def handler(req):
    upload = util.FieldStorage(req)["up"]
    upload.file.seek(0, 2)
    req.content_type = "text/plain"
    req.write(str(upload.file.tell()))
    return apache.OK
'''

PHASES_PY = '''
from mod_python import apache

def accesshandler(req):
    return apache.OK

def authenhandler(req):
    req.get_basic_auth_pw()
    return apache.OK

def fixuphandler(req):
    req.notes["fixed"] = "1"
    return apache.OK

def handler(req):
    req.content_type = "text/plain"
    req.write("Hello, World!")
    return apache.OK
'''

TUNING = {
    "event": "StartServers 2\nServerLimit 2\nThreadsPerChild 25\nMaxRequestWorkers 50\n"
             "MinSpareThreads 25\nMaxSpareThreads 75\n",
    "worker": "StartServers 2\nServerLimit 2\nThreadsPerChild 25\nMaxRequestWorkers 50\n"
              "MinSpareThreads 25\nMaxSpareThreads 75\n",
    "prefork": "StartServers 16\nMinSpareServers 16\nMaxSpareServers 16\nServerLimit 16\n"
               "MaxRequestWorkers 16\n",
}

PYTHON_CONTENDERS = ("ours", "mod_python")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def python_module(contender, ours_so):
    return ours_so if contender == "ours" else MODULES + "/mod_python.so"


def scenario_config(scenario, contender, docroot, ours_so, native_so, conn_port):
    """(LoadModule lines, configuration, files) of one contender in one scenario."""
    py = "LoadModule python_module %s\n" % python_module(contender, ours_so)
    path = 'PythonPath "[\'%s\'] + sys.path"\n' % docroot
    wsgi = "LoadModule wsgi_module %s/mod_wsgi.so\n" % MODULES
    native = "LoadModule bench_module %s\n" % native_so
    if scenario == "hello":
        if contender in PYTHON_CONTENDERS:
            return py, path + "<Location /hello>\n  SetHandler mod_python\n  PythonHandler hello\n</Location>\n", {"hello.py": HELLO_PY}
        if contender == "mod_wsgi":
            return wsgi, "WSGIScriptAlias /hello %s/hello.wsgi\nWSGIApplicationGroup %%{GLOBAL}\n" % docroot, {"hello.wsgi": HELLO_WSGI}
        if contender == "mod_wsgi-daemon":
            return wsgi, ("WSGIDaemonProcess bench processes=1 threads=16\nWSGIProcessGroup bench\n"
                          "WSGIApplicationGroup %%{GLOBAL}\nWSGIScriptAlias /hello %s/hello.wsgi\n" % docroot), {"hello.wsgi": HELLO_WSGI}
        if contender == "native":
            return native, "<Location /hello>\n  SetHandler bench-hello\n</Location>\n", {}
    if scenario == "filter":
        big = {"big.txt": ("abcdefghij" * 26215 + "\n")[:262144]}
        if contender in PYTHON_CONTENDERS:
            return py, path + "PythonOutputFilter upper UPPER\n<Location /big.txt>\n  SetOutputFilter UPPER\n</Location>\n", dict(big, **{"upper.py": UPPER_PY})
        if contender == "native":
            return "LoadModule case_filter_module %s/mod_case_filter.so\n" % MODULES, "CaseFilter On\n", big
        if contender == "static":
            return "", "", big
    if scenario == "conn":
        vhost = "Listen 127.0.0.1:%d\n<VirtualHost 127.0.0.1:%d>\n%s</VirtualHost>\n"
        if contender in PYTHON_CONTENDERS:
            return py, vhost % (conn_port, conn_port, "  " + path + "  PythonConnectionHandler echo\n"), {"echo.py": ECHO_PY}
        if contender == "native":
            return "LoadModule echo_module %s/mod_echo.so\n" % MODULES, vhost % (conn_port, conn_port, "  ProtocolEcho On\n"), {}
    if scenario == "upload":
        if contender in PYTHON_CONTENDERS:
            return py, path + "LimitRequestBody 0\n<Location /upload>\n  SetHandler mod_python\n  PythonHandler upload\n</Location>\n", {"upload.py": UPLOAD_PY}
        if contender == "mod_wsgi":
            return wsgi, "WSGIScriptAlias /upload %s/upload.wsgi\nWSGIApplicationGroup %%{GLOBAL}\n" % docroot, {"upload.wsgi": UPLOAD_WSGI}
        if contender == "native":
            return native, "<Location /upload>\n  SetHandler bench-upload\n</Location>\n", {}
    if scenario == "formupload" and contender in PYTHON_CONTENDERS:
        return py, path + "LimitRequestBody 0\n<Location /form>\n  SetHandler mod_python\n  PythonHandler formupload\n</Location>\n", {"formupload.py": FORMUPLOAD_PY}
    if scenario == "phases":
        if contender in PYTHON_CONTENDERS:
            return (py + "LoadModule authn_core_module %s/mod_authn_core.so\n"
                    "LoadModule authz_user_module %s/mod_authz_user.so\n" % (MODULES, MODULES),
                    path + "<Location /phases>\n  SetHandler mod_python\n  AuthType Basic\n  AuthName bench\n"
                    "  Require valid-user\n  PythonAccessHandler phases\n  PythonAuthenHandler phases\n"
                    "  PythonFixupHandler phases\n  PythonHandler phases\n</Location>\n", {"phases.py": PHASES_PY})
    return None


SCENARIOS = {
    # name: (contenders, url, wrk arguments)
    "hello": (("native", "ours", "mod_python", "mod_wsgi", "mod_wsgi-daemon"), "/hello", []),
    "filter": (("static", "native", "ours", "mod_python"), "/big.txt", []),
    "conn": (("native", "ours", "mod_python"), None, []),
    "upload": (("native", "ours", "mod_python", "mod_wsgi"), "/upload", ["-s", os.path.join(HERE, "upload.lua")]),
    "phases": (("ours", "mod_python"), "/phases", ["-H", "Authorization: Basic YmVuY2g6YmVuY2g="]),
}


class Server:
    """A private Apache: its directory, configuration and parent PID."""

    def __init__(self, mpm, scenario, contender, ours_so, native_so):
        self.root = tempfile.mkdtemp(prefix="bench-%s-%s-" % (scenario, contender))
        self.docroot = os.path.join(self.root, "htdocs")
        os.makedirs(self.docroot)
        os.makedirs(os.path.join(self.root, "run"))
        self.port = free_port()
        self.conn_port = free_port()
        loads, config, files = scenario_config(scenario, contender, self.docroot, ours_so,
                                               native_so, self.conn_port)
        for name, text in files.items():
            with open(os.path.join(self.docroot, name), "w") as f:
                f.write(text)
        os.system("chmod -R a+rX %s" % self.root)
        user = "User www-data\nGroup www-data\n" if os.geteuid() == 0 else ""
        conf = (
            'ServerRoot "{root}"\nPidFile "{root}/run/httpd.pid"\nDefaultRuntimeDir "{root}/run"\n'
            "Listen 127.0.0.1:{port}\nServerName 127.0.0.1\nErrorLog \"{root}/error.log\"\nLogLevel warn\n"
            "LoadModule mpm_{mpm}_module {m}/mod_mpm_{mpm}.so\n{tuning}"
            "LoadModule authz_core_module {m}/mod_authz_core.so\nLoadModule mime_module {m}/mod_mime.so\n"
            "TypesConfig /etc/mime.types\nKeepAlive On\nMaxKeepAliveRequests 0\n{user}"
            "{loads}DocumentRoot \"{doc}\"\n<Directory \"{doc}\">\n  Require all granted\n</Directory>\n"
            "<Directory />\n  AllowOverride None\n</Directory>\n{config}"
        ).format(root=self.root, port=self.port, mpm=mpm, m=MODULES, tuning=TUNING[mpm],
                 user=user, loads=loads, doc=self.docroot, config=config)
        self.conf = os.path.join(self.root, "httpd.conf")
        with open(self.conf, "w") as f:
            f.write(conf)
        pin = ["taskset", "-c", "0"] if TWO_CORES else []
        # A plain environment: an embedded Python must not find another Python (pyenv, a
        # virtualenv) first on PATH, nor PYTHONHOME/PYTHONPATH meant for something else.
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
        self.proc = subprocess.Popen(pin + ["/usr/sbin/apache2", "-f", self.conf, "-D", "FOREGROUND"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True, env=env)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError("Apache did not start: %s" % self.error_log())
                time.sleep(0.1)
        time.sleep(1.0)   # children started, interpreters made

    def error_log(self):
        try:
            with open(os.path.join(self.root, "error.log")) as f:
                return f.read()[-3000:]
        except OSError:
            return ""

    def pids(self):
        """The parent and every process whose parent it is."""
        pids = [self.proc.pid]
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open("/proc/%s/stat" % entry) as f:
                        fields = f.read().rsplit(")", 1)[1].split()
                    if int(fields[1]) == self.proc.pid:
                        pids.append(int(entry))
                except (OSError, IndexError, ValueError):
                    pass
        return pids

    def cpu(self):
        """{pid: (user, system) ticks} of the server's processes."""
        out = {}
        for pid in self.pids():
            try:
                with open("/proc/%d/stat" % pid) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                out[pid] = (int(fields[11]), int(fields[12]))
            except (OSError, IndexError):
                pass
        return out

    def memory_kib(self):
        """(RSS, PSS) of the children, KiB."""
        rss = pss = 0
        for pid in self.pids()[1:]:
            try:
                with open("/proc/%d/smaps_rollup" % pid) as f:
                    text = f.read()
                rss += int(re.search(r"^Rss:\s+(\d+)", text, re.M).group(1))
                pss += int(re.search(r"^Pss:\s+(\d+)", text, re.M).group(1))
            except (OSError, AttributeError):
                pass
        return rss, pss

    def stop(self):
        try:
            os.kill(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=15)
        except (OSError, subprocess.TimeoutExpired):
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        subprocess.call(["rm", "-rf", self.root])


def load(server, scenario, url, extra, seconds, connections):
    """Runs the load; returns the number of requests (or round trips) completed."""
    pin = ["taskset", "-c", "1"] if TWO_CORES else []
    if scenario == "conn":
        out = subprocess.run(pin + [os.path.join(HERE, "build", "echo_load"), str(server.conn_port),
                                    str(connections), str(seconds)],
                             capture_output=True, text=True, check=True).stdout
        return int(out.split()[0])
    conns = 2 if scenario == "upload" else connections
    out = subprocess.run(pin + ["wrk", "-t1", "-c%d" % conns, "-d%ds" % seconds] + extra
                         + ["http://127.0.0.1:%d%s" % (server.port, url)],
                         capture_output=True, text=True).stdout
    m = re.search(r"(\d+) requests in", out)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if not m or bad or int(m.group(1)) == 0:
        raise RuntimeError("wrk: %s\n%s" % (out, server.error_log()))
    return int(m.group(1))


def measure(mpm, scenario, contender, args):
    contenders, url, extra = SCENARIOS[scenario]
    server = Server(mpm, scenario, contender, args.ours, args.native)
    try:
        load(server, scenario, url, extra, 1, args.connections)     # warm-up
        rss_before, _ = server.memory_kib()
        before = server.cpu()
        t0 = time.time()
        count = load(server, scenario, url, extra, args.seconds, args.connections)
        elapsed = time.time() - t0
        after = server.cpu()
        rss, pss = server.memory_kib()
    finally:
        server.stop()
    user = sum(after[p][0] - before.get(p, (0, 0))[0] for p in after)
    system = sum(after[p][1] - before.get(p, (0, 0))[1] for p in after)
    count = max(count, 1)
    return {
        "rate": count / elapsed,
        "cpu_us": (user + system) * TICK_US / count,
        "user_us": user * TICK_US / count,
        "rss_mib": rss / 1024.0,
        "pss_mib": pss / 1024.0,
        "rss_growth_mib": (rss - rss_before) / 1024.0,
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--ours", required=True, help="our module (libmod_python.so)")
    p.add_argument("--native", required=True, help="the native bound module (mod_bench.so)")
    p.add_argument("--mpm", action="append", help="event, worker, prefork (default: event, prefork)")
    p.add_argument("--scenario", action="append", help="one of %s (default: all)" % ", ".join(SCENARIOS))
    p.add_argument("--contender", action="append", help="only these contenders")
    p.add_argument("--seconds", type=int, default=5)
    p.add_argument("--rounds", type=int, default=1, help="interleaved rounds; the median is kept")
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--out", default="bench/results.md")
    args = p.parse_args()
    mpms = args.mpm or ["event", "prefork"]
    scenarios = args.scenario or list(SCENARIOS)
    results = {}
    for rnd in range(args.rounds):
        for mpm in mpms:
            for scenario in scenarios:
                for contender in SCENARIOS[scenario][0]:
                    if args.contender and contender not in args.contender:
                        continue
                    key = (mpm, scenario, contender)
                    try:
                        r = measure(mpm, scenario, contender, args)
                    except Exception as e:     # one failed run does not lose the others
                        print("%s %s %s: %s" % (mpm, scenario, contender, e), file=sys.stderr)
                        continue
                    results.setdefault(key, []).append(r)
                    print("round %d %-8s %-7s %-16s %9.0f req/s %8.1f us/req (user %.1f)"
                          % (rnd + 1, mpm, scenario, contender, r["rate"], r["cpu_us"], r["user_us"]),
                          file=sys.stderr)
    write_table(results, args)


def median(runs, field):
    values = sorted(r[field] for r in runs)
    return values[len(values) // 2]


def write_table(results, args):
    lines = ["# bench results", "",
             "%s, %d s per run, %d connections, median of %d round(s); Apache on core 0, load on "
             "core 1%s." % (time.strftime("%Y-%m-%d"), args.seconds, args.connections, args.rounds,
                            "" if TWO_CORES else " (one core: not pinned)"),
             "CPU is the server's (all Apache processes) per request; RSS and PSS are the "
             "children's, after the run. `x native` and `x mod_python` compare CPU per request.", "",
             "| MPM | scenario | contender | req/s | CPU µs/req | user µs/req | RSS MiB | PSS MiB "
             "| × native | × mod_python |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    summary = []
    for (mpm, scenario, contender), runs in results.items():
        m = {f: median(runs, f) for f in runs[0]}
        base = {}
        for name in ("native", "mod_python"):
            other = results.get((mpm, scenario, name))
            base[name] = median(other, "cpu_us") if other else None
        ratio = lambda b: "%.2f" % (m["cpu_us"] / b) if b else "–"
        lines.append("| %s | %s | %s | %.0f | %.1f | %.1f | %.1f | %.1f | %s | %s |" % (
            mpm, scenario, contender, m["rate"], m["cpu_us"], m["user_us"], m["rss_mib"],
            m["pss_mib"], ratio(base["native"]), ratio(base["mod_python"])))
        if contender == "ours":
            summary.append(goal_line(results, mpm, scenario, m))
    lines += ["", "## Against the goals", ""] + [s for s in summary if s]
    text = "\n".join(lines) + "\n"
    with open(args.out, "w") as f:
        f.write(text)
    print(text)


def goal_line(results, mpm, scenario, ours):
    def get(name, field):
        runs = results.get((mpm, scenario, name))
        return median(runs, field) if runs else None
    native_user, mp_user = get("native", "user_us"), get("mod_python", "user_us")
    mp_rate, wsgi_rate = get("mod_python", "rate"), get("mod_wsgi", "rate")
    parts = []
    if scenario in ("hello", "phases") and native_user is not None and mp_user:
        above = (ours["user_us"] - native_user) / max(mp_user - native_user, 1e-9)
        parts.append("user CPU above native %.2f× mod_python's (goal ≤ 0.5)" % above)
    if mp_rate:
        parts.append("req/s %.2f× mod_python's" % (ours["rate"] / mp_rate))
    if wsgi_rate:
        parts.append("%.2f× mod_wsgi embedded" % (ours["rate"] / wsgi_rate))
    n_rate = get("native", "rate")
    if scenario in ("filter", "conn") and n_rate:
        parts.append("%.2f× native" % (ours["rate"] / n_rate))
    if scenario == "upload":
        parts.append("RSS growth %.1f MiB" % ours["rss_growth_mib"])
    mp_rss = get("mod_python", "rss_mib")
    if mp_rss:
        parts.append("RSS %.2f× mod_python's" % (ours["rss_mib"] / mp_rss))
    return "- %s %s: %s" % (mpm, scenario, "; ".join(parts)) if parts else None


if __name__ == "__main__":
    main()
