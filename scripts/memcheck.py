#!/usr/bin/env python3
"""Runs the module's request paths under valgrind memcheck: one Apache in single-process
mode (`apache2 -X`, prefork) with our module, a site that exercises handlers of every
phase, the publisher, PSP, forms and uploads, sessions and cookies, input and output
filters, a connection handler and cleanups; each request is sent ROUNDS times, then Apache
stops and valgrind's report is read. Fails when valgrind reports an invalid read or write,
an invalid or mismatched free, or an overlapping copy, with the frames that show where.

    scripts/memcheck.sh [--rounds N] [--module PATH] [--keep]

Python runs with PYTHONMALLOC=malloc so that valgrind sees its allocations; leaks are not
judged (an embedded interpreter keeps much of what it allocated until exit).
"""

import argparse
import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

MODULES = "/usr/lib/apache2/modules"

SITE = {
    "app.py": '''
from mod_python import apache, util, Cookie, Session

def handler(req):
    req.content_type = "text/plain"
    form = util.FieldStorage(req, keep_blank_values=1)
    req.write("fields=%r\\n" % sorted(form.keys()))
    for name, field in form.items():
        if field.filename:
            req.write("%s: %d bytes\\n" % (name, len(field.file.read())))
    req.write("args=%r headers=%d\\n" % (req.args, len(req.headers_in)))
    Cookie.add_cookie(req, Cookie.Cookie("k", "v", path="/"))
    req.write("cookies=%r\\n" % sorted(Cookie.get_cookies(req).keys()))
    req.register_cleanup(lambda data: data.get_options(), req)
    return apache.OK

def session(req):
    s = Session.FileSession(req)
    s["n"] = s.get("n", 0) + 1
    s.save()
    req.write("n=%d" % s["n"])
    return apache.OK

def access(req):
    req.notes["access"] = "1"
    return apache.OK

def fixup(req):
    return apache.OK

def log(req):
    return apache.OK

def upper(filter):
    data = filter.read()
    while data:
        filter.write(data.upper())
        data = filter.read()
    if data is None:
        filter.close()

def infilter(filter):
    data = filter.read()
    if data:
        filter.write(data)
    if data is None:
        filter.close()

def echo(conn):
    line = conn.readline()
    conn.write(line)
    return apache.OK
''',
    "pub/page.py": '''
def index(req, name="world"):
    return "hello %s" % name

def gen(req):
    for i in range(3):
        yield str(i)
''',
    "psp/page.psp": '''<html><%
for i in range(3):
%><b><%= i %></b><%
# end
%></html>
''',
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def config(root, docroot, port, conn_port, module):
    return f'''ServerRoot "{root}"
PidFile "{root}/httpd.pid"
DefaultRuntimeDir "{root}"
Listen 127.0.0.1:{port}
Listen 127.0.0.1:{conn_port}
ServerName 127.0.0.1
ErrorLog "{root}/error.log"
LogLevel warn
LoadModule mpm_prefork_module {MODULES}/mod_mpm_prefork.so
LoadModule authz_core_module {MODULES}/mod_authz_core.so
LoadModule mime_module {MODULES}/mod_mime.so
TypesConfig /etc/mime.types
LoadModule python_module "{module}"
DocumentRoot "{docroot}"
<Directory "{docroot}">
  Require all granted
</Directory>
PythonPath "['{docroot}'] + sys.path"
PythonOutputFilter app::upper UPPER
PythonInputFilter app::infilter INFILTER
<VirtualHost 127.0.0.1:{port}>
  <Location /app>
    SetHandler mod_python
    PythonAccessHandler app::access
    PythonFixupHandler app::fixup
    PythonLogHandler app::log
    PythonHandler app
    SetInputFilter INFILTER
  </Location>
  <Location /upper>
    SetHandler mod_python
    PythonHandler app
    SetOutputFilter UPPER
  </Location>
  <Location /session>
    SetHandler mod_python
    PythonHandler app::session
    PythonOption mod_python.file_session.database_directory "{root}/sessions"
  </Location>
  <Directory "{docroot}/pub">
    SetHandler mod_python
    PythonHandler mod_python.publisher
  </Directory>
  <Directory "{docroot}/psp">
    SetHandler mod_python
    PythonHandler mod_python.psp
  </Directory>
  <Location /python-status>
    SetHandler mod_python-status
  </Location>
</VirtualHost>
<VirtualHost 127.0.0.1:{conn_port}>
  PythonConnectionHandler app::echo
</VirtualHost>
'''


def multipart():
    body = (b"--b0und\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nhello\r\n"
            b"--b0und\r\nContent-Disposition: form-data; name=\"up\"; filename=\"x.bin\"\r\n"
            b"Content-Type: application/octet-stream\r\n\r\n" + bytes(range(256)) * 200
            + b"\r\n--b0und--\r\n")
    return body, {"Content-Type": "multipart/form-data; boundary=b0und"}


def requests(port, conn_port, rounds):
    sent = 0
    body, mp_headers = multipart()
    cases = [
        ("GET", "/app?a=1&b=%ff", None, {"Cookie": "a=1; b=\"2\"; ;;"}),
        ("POST", "/app", b"x=1&y=two+words", {"Content-Type": "application/x-www-form-urlencoded"}),
        ("POST", "/app", body, mp_headers),
        ("POST", "/app", b"--b0und\r\nbroken", mp_headers),
        ("GET", "/upper?z=1", None, {}),
        ("GET", "/session", None, {}),
        ("GET", "/pub/page.py?name=you", None, {}),
        ("GET", "/pub/page.py/gen", None, {}),
        ("GET", "/pub/page.py/_hidden", None, {}),
        ("GET", "/psp/page.psp", None, {}),
        ("GET", "/python-status", None, {}),
        ("GET", "/python-status?format=prometheus", None, {}),
    ]
    for _ in range(rounds):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        for method, path, data, headers in cases:
            c.request(method, path, body=data, headers=headers)
            r = c.getresponse()
            r.read()
            if r.status >= 500:
                raise SystemExit("%s %s answered %d" % (method, path, r.status))
            sent += 1
        c.close()
        with socket.create_connection(("127.0.0.1", conn_port), timeout=120) as s:
            s.sendall(b"echo this line\n")
            s.recv(100)
            sent += 1
    return sent


ERRORS = re.compile(r"Invalid (read|write|free)|Mismatched free|Source and destination overlap|"
                    r"Jump to the invalid address|Process terminating")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--module", required=True)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--keep", action="store_true", help="keep the server directory")
    args = p.parse_args()

    root = tempfile.mkdtemp(prefix="memcheck-")
    docroot = os.path.join(root, "htdocs")
    for name, text in SITE.items():
        path = os.path.join(docroot, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
    os.makedirs(os.path.join(root, "sessions"))
    port, conn_port = free_port(), free_port()
    conf = os.path.join(root, "httpd.conf")
    with open(conf, "w") as f:
        f.write(config(root, docroot, port, conn_port, os.path.abspath(args.module)))
    os.system("chmod -R a+rwX %s" % root)
    report = os.path.join(root, "valgrind.log")
    env = {"PATH": "/usr/sbin:/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONMALLOC": "malloc"}
    command = ["valgrind", "--tool=memcheck", "--error-limit=no", "--num-callers=30",
               "--log-file=" + report, "/usr/sbin/apache2", "-X", "-f", conf]
    if os.geteuid() == 0:
        # Apache run as root switches to its User; start it as that user instead, so it
        # keeps writing where valgrind expects.
        command = ["setpriv", "--reuid=www-data", "--regid=www-data", "--clear-groups"] + command
    server = subprocess.Popen(command, env=env, start_new_session=True)
    try:
        deadline = time.time() + 300
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.time() > deadline:
                    raise SystemExit("Apache did not start under valgrind:\n" + open(report).read()[-3000:])
                time.sleep(1)
        started = time.time()
        sent = requests(port, conn_port, args.rounds)
        print("memcheck: %d requests in %.0f s" % (sent, time.time() - started))
    finally:
        server.terminate()
        try:
            server.wait(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, 9)
            server.wait()
    text = open(report).read()
    found = [block for block in text.split("==\n") if ERRORS.search(block)]
    summary = re.findall(r"ERROR SUMMARY: .*", text)
    print("memcheck:", summary[-1] if summary else "no summary")
    if found:
        print("memcheck: valgrind reports invalid memory use:")
        for block in found[:10]:
            print(block)
        print("(full report: %s)" % report)
        sys.exit(1)
    print("memcheck: no invalid read, write or free")
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
