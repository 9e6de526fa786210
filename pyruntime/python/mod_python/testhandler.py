"""A page describing the server, the interpreter and the request it was asked with
(`SetHandler mod_python` + `PythonHandler mod_python.testhandler`): a first check that the
module works, and what it sees. `?view_log=1` shows the last 100 lines of the error log, so
give the page to administrators only.
"""

import collections
import os
import sys
from html import escape

from . import apache, util


def _row(req, key, value, pre=False):
    tag = "pre" if pre else "code"
    req.write("<tr><td><code>%s</code></td><td><%s>%s</%s></td></tr>\n"
              % (escape(str(key)), tag, escape(str(value)), tag))


def _table(req, title, mapping):
    req.write("<h3>%s</h3>\n<table border=\"1\">\n<tr><th>Key</th><th>Value</th></tr>\n"
              % escape(title))
    for key in mapping:
        _row(req, key, mapping[key])
    req.write("</table>\n")


def _tree(req, tree, level):
    for entry in tree:
        if isinstance(entry, list):
            _tree(req, entry, level + 1)
        else:
            req.write(escape("    " * level + " ".join(str(e) for e in entry)) + "\n")


def _module_available(name):
    try:
        __import__("mod_python." + name)
        return "Yes"
    except Exception as e:
        return "No (%s)" % e


def _error_log_path(req):
    name = req.server.error_fname
    return os.path.join(apache.server_root(), name) if name else None


def handler(req):
    """Shows a page about the request, the configuration and the server, for checking an installation."""
    form = util.FieldStorage(req)
    req.form = form
    if form.getfirst("view_log"):
        path = _error_log_path(req)
        req.content_type = "text/plain"
        if path is None or not os.path.isfile(path):
            req.write("The error log is not a file.\n")
            return apache.OK
        with open(path, "rb") as log:
            for line in collections.deque(log, maxlen=100):
                req.write(line)
        return apache.OK

    req.add_common_vars()
    req.content_type = "text/html"
    req.write("<html><head><title>mod_python test page</title></head><body>\n")
    req.write("<h3>General information</h3>\n<table border=\"1\">\n")
    _row(req, "Apache version", req.subprocess_env.get("SERVER_SOFTWARE"))
    threaded = apache.mpm_query(apache.AP_MPMQ_IS_THREADED)
    _row(req, "Apache threaded MPM",
         "Yes, maximum %d threads / process" % apache.mpm_query(apache.AP_MPMQ_MAX_THREADS)
         if threaded else "No (single thread MPM)")
    forked = apache.mpm_query(apache.AP_MPMQ_IS_FORKED)
    _row(req, "Apache forked MPM",
         "Yes, maximum %d processes" % apache.mpm_query(apache.AP_MPMQ_MAX_DAEMONS)
         if forked else "No (single process MPM)")
    _row(req, "Apache server root", apache.server_root())
    _row(req, "Apache document root", req.document_root())
    log = _error_log_path(req)
    if log:
        req.write("<tr><td><code>Apache error log</code></td><td><code>%s</code> "
                  "(<a href=\"?view_log=1\">last 100 lines</a>)</td></tr>\n" % escape(log))
    else:
        _row(req, "Apache error log", "None")
    _row(req, "Python sys.version", sys.version)
    _row(req, "Python sys.path", "\n".join(sys.path), pre=True)
    _row(req, "Python interpreter name", req.interpreter)
    _row(req, "mod_python version", getattr(sys.modules.get("mod_python"), "mp_version", "?"))
    for name in ("publisher", "psp", "util", "Session", "Cookie", "wsgi"):
        _row(req, "mod_python.%s available" % name, _module_available(name))
    req.write("</table>\n")

    _table(req, "Request input headers", req.headers_in)
    _table(req, "Request environment", req.subprocess_env)
    _table(req, "Request configuration", req.get_config())
    _table(req, "Request options", req.get_options())
    _table(req, "Request notes", req.notes)
    _table(req, "Server configuration", req.server.get_config())
    _table(req, "Server options", req.server.get_options())
    req.write("<h3>Server configuration tree</h3>\n<pre>")
    _tree(req, apache.config_tree(), 0)
    req.write("</pre>\n</body></html>")
    return apache.OK
