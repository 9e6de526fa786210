"""The `mod_python` command: `create` makes a ready-to-run server directory, `genconfig`
prints the httpd.conf of a Python configuration, `start`/`stop`/`restart` drive Apache with
an httpd.conf, `version` tells what is installed.

    mod_python create DIR --listen 8080 [--pythonhandler mod_python.publisher]
    apache2 -f DIR/conf/httpd.conf
"""

import argparse
import os
import platform
import shutil
import subprocess
import sys

from . import httpdconf, version

SAMPLE_PAGE = '''"""A first page: http://HOST:PORT/ and /index.py/hello?name=you."""


def index(req):
    return "Hello from mod_python!\\n"


def hello(req, name="world"):
    return "Hello, %s!\\n" % name
'''


def _httpd():
    return shutil.which("apache2") or shutil.which("httpd") or "/usr/sbin/apache2"


def _generate(conf_py):
    """The httpd.conf text a Python configuration prints."""
    env = dict(os.environ)
    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = package_parent + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    done = subprocess.run([sys.executable, conf_py], capture_output=True, text=True, env=env,
                          cwd=os.path.dirname(conf_py))
    if done.returncode != 0:
        sys.exit("%s failed:\n%s" % (conf_py, done.stderr))
    return done.stdout


def cmd_create(args):
    module = args.module or os.environ.get("MOD_PYTHON_SO")
    conf_py = httpdconf.write_basic_config(
        args.directory, listen=args.listen, pythonhandler=args.pythonhandler,
        pythonpath=[p for p in args.pythonpath.split(":") if p],
        pythonoptions=args.pythonoption, module_path=module and os.path.abspath(module),
        mpm=args.mpm, replace_config=args.force,
        mp_comments=["PythonOption mod_python.wsgi.application module::application"]
        if args.pythonhandler == "mod_python.wsgi" else [])
    if conf_py is None:
        return 1
    httpd_conf = os.path.join(os.path.dirname(conf_py), "httpd.conf")
    with open(httpd_conf, "w") as f:
        f.write(_generate(conf_py))
    page = os.path.join(os.path.abspath(args.directory), "public", "index.py")
    if args.pythonhandler == "mod_python.publisher" and not os.path.exists(page):
        with open(page, "w") as f:
            f.write(SAMPLE_PAGE)
    print("Created %s.\nStart it with:  %s -f %s\nChange %s, then regenerate httpd.conf with:\n"
          "  mod_python genconfig %s > %s" % (args.directory, _httpd(), httpd_conf, conf_py,
                                              conf_py, httpd_conf))
    return 0


def cmd_genconfig(args):
    sys.stdout.write(_generate(os.path.abspath(args.source)))
    return 0


def _control(args, action):
    os.execv(_httpd(), [_httpd(), "-f", os.path.abspath(args.conf), "-k", action])


def cmd_version(args):
    httpd = _httpd()
    try:
        httpd_version = subprocess.run([httpd, "-v"], capture_output=True, text=True).stdout.split("\n")[0]
    except OSError:
        httpd_version = "not found"
    print("mod_python:  %s (in Rust)\npython:      %s\n             %s\nhttpd:       %s\n"
          "             %s\nplatform:    %s" % (version.version, " ".join(sys.version.split()),
                                                sys.executable, httpd_version, httpd,
                                                platform.platform()))
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="mod_python", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="make a ready-to-run server directory")
    create.add_argument("directory")
    create.add_argument("--listen", default="8888", help="address:port or port (8888)")
    create.add_argument("--pythonhandler", default="mod_python.publisher")
    create.add_argument("--pythonpath", default="", help="directories, separated by ':'")
    create.add_argument("--pythonoption", action="append", default=[], help="'name value'")
    create.add_argument("--module", help="the mod_python.so to load (default: $MOD_PYTHON_SO, "
                        "else Apache's module directory)")
    create.add_argument("--mpm", default="event", choices=["event", "worker", "prefork"])
    create.add_argument("--force", action="store_true", help="replace an existing configuration")
    create.set_defaults(run=cmd_create)
    gen = commands.add_parser("genconfig", help="print the httpd.conf of a Python configuration")
    gen.add_argument("source")
    gen.set_defaults(run=cmd_genconfig)
    for name, action in (("start", "start"), ("stop", "graceful-stop"), ("restart", "graceful")):
        p = commands.add_parser(name, help="%s Apache with an httpd.conf" % name)
        p.add_argument("conf")
        p.set_defaults(run=lambda a, action=action: _control(a, action))
    commands.add_parser("version", help="what is installed").set_defaults(run=cmd_version)
    args = parser.parse_args(argv)
    return args.run(args)
