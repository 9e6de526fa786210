"""Runs CGI scripts inside Apache (`PythonHandler mod_python.cgihandler`): the request's file
is run as a Python script with the CGI environment in os.environ, the request body on
sys.stdin, and what it prints to sys.stdout (a CGI header block, then the body) as the
response, in the script's directory.

Those are process-wide, so scripts run one at a time in a process (a lock, for threaded
MPMs). Before each run, modules imported from the script's directory by an earlier run are
forgotten, so a changed helper module is read again, as a CGI process would.
"""

import os
import sys
import threading

from . import apache

_lock = threading.Lock()


def _forget_modules_under(directory):
    prefix = os.path.join(directory, "")
    for name, module in list(sys.modules.items()):
        filename = getattr(module, "__file__", None)
        if filename and os.path.abspath(filename).startswith(prefix):
            del sys.modules[name]


def _script(req):
    """(directory, path) of the script to run; 404 when it is not a file in its directory."""
    filename = req.subprocess_env.get("SCRIPT_FILENAME") or req.filename
    directory = os.path.dirname(os.path.abspath(filename))
    path = os.path.realpath(filename)
    if not os.path.isfile(path) or not path.startswith(os.path.join(os.path.realpath(directory), "")):
        raise apache.SERVER_RETURN(apache.HTTP_NOT_FOUND)
    return directory, path


def handler(req):
    """Runs the requested CGI script in the interpreter (PythonHandler mod_python.cgihandler)."""
    directory, path = _script(req)
    with open(path, "rb") as f:
        code = compile(f.read(), path, "exec")
    with _lock:
        _forget_modules_under(directory)
        cwd = os.getcwd()
        saved = apache.setup_cgi(req)
        saved_path = list(sys.path)
        try:
            os.chdir(directory)
            sys.path.insert(0, directory)
            namespace = {"__name__": "__main__", "__file__": path, "__builtins__": __builtins__}
            try:
                exec(code, namespace)
            except SystemExit as e:
                if e.code not in (None, 0):
                    raise
            sys.stdout.flush()
        finally:
            sys.path[:] = saved_path
            apache.restore_nocgi(*saved)
            os.chdir(cwd)
    return apache.OK
