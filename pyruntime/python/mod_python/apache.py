"""mod_python.apache: constants, logging, module import and handler dispatch.

Handlers written for mod_python 3.5 import this module; everything here keeps
mod_python's names and values.
"""

import importlib
import importlib.util
import os
import sys
import threading
import time
import traceback
from html import escape

import _apache

SERVER_RETURN = _apache.SERVER_RETURN
table = _apache.table
make_table = _apache.table
exists_config_define = _apache.exists_config_define
exists_config = exists_config_define          # documented name in mod_python's docs
mpm_query = _apache.mpm_query
server_root = _apache.server_root
_global_lock = _apache._global_lock
_global_trylock = _apache._global_trylock
_global_unlock = _apache._global_unlock

interpreter = None   # set by the module for each interpreter
main_server = _apache._main_server()

MODULE_MAGIC_NUMBER_MAJOR = _apache.MODULE_MAGIC_NUMBER_MAJOR
MODULE_MAGIC_NUMBER_MINOR = _apache.MODULE_MAGIC_NUMBER_MINOR


config_tree = _apache.config_tree


# ---------------------------------------------------------------- table extras

def _table_items_lower(t):
    return sorted((str(k).lower(), v) for k, v in t.items())


def _table_eq(a, b):
    if not isinstance(b, (table, dict)):
        return NotImplemented
    return _table_items_lower(a) == _table_items_lower(b)


def _table_ne(a, b):
    eq = _table_eq(a, b)
    return eq if eq is NotImplemented else not eq


table.__eq__ = _table_eq
table.__ne__ = _table_ne
table.__hash__ = None
def _table_iterkeys(t):
    """iterkeys(): an iterator over the keys (Python 2's name)."""
    return iter(t.keys())


def _table_itervalues(t):
    """itervalues(): an iterator over the values (Python 2's name)."""
    return iter(t.values())


def _table_iteritems(t):
    """iteritems(): an iterator over the (key, value) pairs (Python 2's name)."""
    return iter(t.items())


table.iterkeys = _table_iterkeys
table.itervalues = _table_itervalues
table.iteritems = _table_iteritems

# ---------------------------------------------------------------- file information

class mp_finfo:
    """File information (`req.finfo`, `apache.stat()`): attributes, or indexes FINFO_*."""

    _fields = ("valid", "protection", "filetype", "user", "group", "inode", "device",
               "nlink", "size", "atime", "mtime", "ctime", "fname", "name")
    # FINFO_MODE .. FINFO_FILETYPE -> field
    _index = ("protection", "inode", "device", "nlink", "user", "group", "size",
              "atime", "mtime", "ctime", "fname", "name", "filetype")

    __slots__ = _fields

    def __init__(self, values):
        for name, value in zip(self._fields, values):
            setattr(self, name, value)

    def __getitem__(self, i):
        return getattr(self, self._index[i])

    def __len__(self):
        return len(self._index)

    def __repr__(self):
        return "<mp_finfo %s>" % ", ".join("%s=%r" % (f, getattr(self, f)) for f in self._fields)


def stat(fname, wanted):
    """apr_stat(): an mp_finfo for `fname` with (at least) the `wanted` APR_FINFO_* fields."""
    return mp_finfo(_apache._stat(fname, wanted))


def _set_finfo(req, finfo):
    req._set_finfo(finfo.fname)


_apache.mp_request.finfo = property(
    lambda req: mp_finfo(req._finfo()), _set_finfo,
    doc="File information of req.filename (mp_finfo); assigning one (apache.stat(...)) "
        "makes Apache use that file's information.")

# What a request object answers before a handler ran, as mod_python's member.
# mod_python's `extension` member: None until a `| .ext` handler list matched.
_apache.mp_request.extension = None

# ---------------------------------------------------------------- child-exit cleanups

_child_cleanups = []


def register_cleanup(callback, data=None):
    """Calls `callback(data)` when this Apache child process exits."""
    if not callable(callback):
        raise TypeError("first argument must be a callable object")
    _child_cleanups.append((callback, data))


def _server_register_cleanup(self, req, callback, data=None):
    """register_cleanup(req, callable, data=None): call at child exit (as apache.register_cleanup)."""
    register_cleanup(callback, data)


_apache.mp_server.register_cleanup = _server_register_cleanup


def _run_child_cleanups():
    """Called by the module when the child exits; errors are logged, not raised."""
    while _child_cleanups:
        callback, data = _child_cleanups.pop()
        try:
            callback(data)
        except Exception:
            for line in traceback.format_exc().rstrip("\n").split("\n"):
                _apache.log_error("apache.register_cleanup: " + line, APLOG_ERR)


# ---------------------------------------------------------------- PythonImport

def _import_dispatch(module_name, function_name):
    """Runs one PythonImport: imports the module, then calls function_name() if given."""
    module = import_module(module_name, autoreload=0)
    if function_name:
        getattr(module, function_name)()

# ---------------------------------------------------------------- constants

OK = REQ_PROCEED = 0
DONE = -2
DECLINED = REQ_NOACTION = -1
REQ_ABORTED = 500
REQ_EXIT = "REQ_EXIT"

HTTP_CONTINUE = 100
HTTP_SWITCHING_PROTOCOLS = 101
HTTP_PROCESSING = 102
HTTP_OK = 200
HTTP_CREATED = 201
HTTP_ACCEPTED = 202
HTTP_NON_AUTHORITATIVE = 203
HTTP_NO_CONTENT = 204
HTTP_RESET_CONTENT = 205
HTTP_PARTIAL_CONTENT = 206
HTTP_MULTI_STATUS = 207
HTTP_MULTIPLE_CHOICES = 300
HTTP_MOVED_PERMANENTLY = 301
HTTP_MOVED_TEMPORARILY = 302
HTTP_SEE_OTHER = 303
HTTP_NOT_MODIFIED = 304
HTTP_USE_PROXY = 305
HTTP_TEMPORARY_REDIRECT = 307
HTTP_BAD_REQUEST = 400
HTTP_UNAUTHORIZED = 401
HTTP_PAYMENT_REQUIRED = 402
HTTP_FORBIDDEN = 403
HTTP_NOT_FOUND = 404
HTTP_METHOD_NOT_ALLOWED = 405
HTTP_NOT_ACCEPTABLE = 406
HTTP_PROXY_AUTHENTICATION_REQUIRED = 407
HTTP_REQUEST_TIME_OUT = 408
HTTP_CONFLICT = 409
HTTP_GONE = 410
HTTP_LENGTH_REQUIRED = 411
HTTP_PRECONDITION_FAILED = 412
HTTP_REQUEST_ENTITY_TOO_LARGE = 413
HTTP_REQUEST_URI_TOO_LARGE = 414
HTTP_UNSUPPORTED_MEDIA_TYPE = 415
HTTP_RANGE_NOT_SATISFIABLE = 416
HTTP_EXPECTATION_FAILED = 417
HTTP_IM_A_TEAPOT = 418
HTTP_UNPROCESSABLE_ENTITY = 422
HTTP_LOCKED = 423
HTTP_FAILED_DEPENDENCY = 424
HTTP_UPGRADE_REQUIRED = 426
HTTP_INTERNAL_SERVER_ERROR = 500
HTTP_NOT_IMPLEMENTED = 501
HTTP_BAD_GATEWAY = 502
HTTP_SERVICE_UNAVAILABLE = 503
HTTP_GATEWAY_TIME_OUT = 504
HTTP_VERSION_NOT_SUPPORTED = 505
HTTP_VARIANT_ALSO_VARIES = 506
HTTP_INSUFFICIENT_STORAGE = 507
HTTP_NOT_EXTENDED = 510

APLOG_EMERG = 0
APLOG_ALERT = 1
APLOG_CRIT = 2
APLOG_ERR = 3
APLOG_WARNING = 4
APLOG_NOTICE = 5
APLOG_INFO = 6
APLOG_DEBUG = 7
APLOG_NOERRNO = 0  # deprecated

# for req.get_remote_host
REMOTE_HOST = 0
REMOTE_NAME = 1
REMOTE_NOLOOKUP = 2
REMOTE_DOUBLE_REV = 3

# indexes of req.finfo / apache.stat()
FINFO_MODE = 0
FINFO_INO = 1
FINFO_DEV = 2
FINFO_NLINK = 3
FINFO_UID = 4
FINFO_GID = 5
FINFO_SIZE = 6
FINFO_ATIME = 7
FINFO_MTIME = 8
FINFO_CTIME = 9
FINFO_FNAME = 10
FINFO_NAME = 11
FINFO_FILETYPE = 12

# indexes of req.parsed_uri
URI_SCHEME = 0
URI_HOSTINFO = 1
URI_USER = 2
URI_PASSWORD = 3
URI_HOSTNAME = 4
URI_PORT = 5
URI_PATH = 6
URI_QUERY = 7
URI_FRAGMENT = 8

# req.proxyreq
PROXYREQ_NONE = 0
PROXYREQ_PROXY = 1
PROXYREQ_REVERSE = 2
PROXYREQ_RESPONSE = 3

# methods (req.method_number)
M_GET = 0
M_PUT = 1
M_POST = 2
M_DELETE = 3
M_CONNECT = 4
M_OPTIONS = 5
M_TRACE = 6
M_PATCH = 7
M_PROPFIND = 8
M_PROPPATCH = 9
M_MKCOL = 10
M_COPY = 11
M_MOVE = 12
M_LOCK = 13
M_UNLOCK = 14
M_VERSION_CONTROL = 15
M_CHECKOUT = 16
M_UNCHECKOUT = 17
M_CHECKIN = 18
M_UPDATE = 19
M_LABEL = 20
M_REPORT = 21
M_MKWORKSPACE = 22
M_MKACTIVITY = 23
M_BASELINE_CONTROL = 24
M_MERGE = 25
M_INVALID = 26

# req.used_path_info
AP_REQ_ACCEPT_PATH_INFO = 0
AP_REQ_REJECT_PATH_INFO = 1
AP_REQ_DEFAULT_PATH_INFO = 2

# apache.mpm_query() codes and answers
AP_MPMQ_NOT_SUPPORTED = 0
AP_MPMQ_STATIC = 1
AP_MPMQ_DYNAMIC = 2
AP_MPMQ_MAX_DAEMON_USED = 1
AP_MPMQ_IS_THREADED = 2
AP_MPMQ_IS_FORKED = 3
AP_MPMQ_HARD_LIMIT_DAEMONS = 4
AP_MPMQ_HARD_LIMIT_THREADS = 5
AP_MPMQ_MAX_THREADS = 6
AP_MPMQ_MIN_SPARE_DAEMONS = 7
AP_MPMQ_MIN_SPARE_THREADS = 8
AP_MPMQ_MAX_SPARE_DAEMONS = 9
AP_MPMQ_MAX_SPARE_THREADS = 10
AP_MPMQ_MAX_REQUESTS_DAEMON = 11
AP_MPMQ_MAX_DAEMONS = 12

# conn.keepalive
AP_CONN_UNKNOWN = 0
AP_CONN_CLOSE = 1
AP_CONN_KEEPALIVE = 2

# how a request body is read
REQUEST_NO_BODY = 0
REQUEST_CHUNKED_ERROR = 1
REQUEST_CHUNKED_DECHUNK = 2

# file types (req.finfo[FINFO_FILETYPE])
APR_NOFILE = 0
APR_REG = 1
APR_DIR = 2
APR_CHR = 3
APR_BLK = 4
APR_PIPE = 5
APR_LNK = 6
APR_SOCK = 7
APR_UNKFILE = 127

# what apache.stat() fills in
APR_FINFO_LINK = 0x00000001
APR_FINFO_MTIME = 0x00000010
APR_FINFO_CTIME = 0x00000020
APR_FINFO_ATIME = 0x00000040
APR_FINFO_SIZE = 0x00000100
APR_FINFO_CSIZE = 0x00000200
APR_FINFO_DEV = 0x00001000
APR_FINFO_INODE = 0x00002000
APR_FINFO_NLINK = 0x00004000
APR_FINFO_TYPE = 0x00008000
APR_FINFO_USER = 0x00010000
APR_FINFO_GROUP = 0x00020000
APR_FINFO_UPROT = 0x00100000
APR_FINFO_GPROT = 0x00200000
APR_FINFO_WPROT = 0x00400000
APR_FINFO_ICASE = 0x01000000
APR_FINFO_NAME = 0x02000000
APR_FINFO_MIN = 0x00008170
APR_FINFO_IDENT = 0x00003000
APR_FINFO_OWNER = 0x00030000
APR_FINFO_PROT = 0x00700000
APR_FINFO_NORM = 0x0073b170
APR_FINFO_DIRENT = 0x02000000

CGI_MAGIC_TYPE = "application/x-httpd-cgi"
INCLUDES_MAGIC_TYPE = "text/x-server-parsed-html"
INCLUDES_MAGIC_TYPE3 = "text/x-server-parsed-html3"
DIR_MAGIC_TYPE = "httpd/unix-directory"

# ---------------------------------------------------------------- logging

def log_error(message, level=APLOG_ERR, server=None):
    """Writes `message` to Apache's error log (of `server`, else the main log)."""
    _apache.log_error(message, level, server)

class ApacheLogHandler(__import__("logging").Handler):
    """A logging handler that writes to Apache's error log (of the request's server when
    records carry a `req`)."""

    _levels = ((50, APLOG_CRIT), (40, APLOG_ERR), (30, APLOG_WARNING), (20, APLOG_INFO))

    def emit(self, record):
        try:
            message = self.format(record)
            level = APLOG_DEBUG
            for threshold, ap_level in self._levels:
                if record.levelno >= threshold:
                    level = ap_level
                    break
            req = getattr(record, "req", None)
            if req is not None:
                req.log_error(message, level)
            else:
                _apache.log_error(message, level)
        except Exception:
            self.handleError(record)


def route_logging(level=None, logger=None):
    """Sends Python `logging` records to Apache's error log: one call in a handler module
    (or a PythonImport). Returns the handler it installed."""
    import logging
    target = logger if logger is not None else logging.getLogger()
    for h in target.handlers:
        if isinstance(h, ApacheLogHandler):
            return h
    handler = ApacheLogHandler()
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    target.addHandler(handler)
    if level is not None:
        target.setLevel(level)
    return handler


class _ErrorLogWriter:
    """sys.stdout for handlers: print() goes to the error log, never into a response."""

    encoding = "utf-8"
    errors = "replace"

    def __init__(self, level):
        self._level = level
        self._buffer = ""

    def write(self, text):
        self._buffer += str(text)
        while "\n" in self._buffer:
            line, self._buffer = self._buffer.split("\n", 1)
            _apache.log_error(line, self._level)
        return len(text)

    def flush(self):
        if self._buffer:
            _apache.log_error(self._buffer, self._level)
            self._buffer = ""

    def isatty(self):
        return False

    def writable(self):
        return True


sys.stdout = _ErrorLogWriter(APLOG_INFO)


def build_cgi_env(req):
    """A dict of CGI environment variables for `req` (used by WSGI and CGI gateways)."""
    req.add_cgi_vars()
    env = dict(req.subprocess_env.items())
    if req.path_info:
        env["SCRIPT_NAME"] = req.uri[:-len(req.path_info)]
    else:
        env["SCRIPT_NAME"] = req.uri
    env["GATEWAY_INTERFACE"] = "Python-CGI/1.1"
    if "authorization" in req.headers_in:
        env["HTTP_AUTHORIZATION"] = req.headers_in["authorization"]
    return env

# ---------------------------------------------------------------- WSGI

def _wsgi_path_info(req):
    """Sets req.path_info to the part of the URI after the application's base URI (the
    mod_python.wsgi.base_uri option, else the <Location> of the handler); False when the
    URI is not under the base URI."""
    base = req.get_options().get("mod_python.wsgi.base_uri")
    if base:
        if base.endswith("/"):
            raise ValueError("PythonOption mod_python.wsgi.base_uri (%r) must not end with '/'"
                             % base)
    else:
        hlist = req.hlist
        base = hlist.directory.rstrip("/") if hlist is not None and hlist.is_location \
            and hlist.directory else ""
    uri = req.uri
    if base:
        if not uri.startswith(base):
            return False
        uri = uri[len(base):]
    req.path_info = uri
    return True


def _build_wsgi_env(req):
    """The WSGI environment (PEP 3333) of the request, or None when its URI is not under
    the application's base URI."""
    if not _wsgi_path_info(req):
        return None
    req.add_cgi_vars()
    env = dict(req.subprocess_env.items())
    authorization = req.headers_in.get("authorization")
    if authorization is not None:
        env["HTTP_AUTHORIZATION"] = authorization
    https = env.get("HTTPS", "off")
    env.update({
        "wsgi.input": req,
        "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0),
        "wsgi.multithread": bool(mpm_query(AP_MPMQ_IS_THREADED)),
        "wsgi.multiprocess": bool(mpm_query(AP_MPMQ_IS_FORKED)),
        "wsgi.run_once": False,
        "wsgi.url_scheme": "https" if https.lower() not in ("", "off") else "http",
    })
    return env


def _wsgi_start_response(req, status, headers, exc_info=None):
    """WSGI's start_response for this request: sets the status and headers, and returns
    the write callable. With exc_info, re-raises it once the response has begun (PEP 3333),
    else replaces what an earlier call set."""
    if exc_info is not None:
        try:
            if req._bytes_queued or req.sent_bodyct:
                raise exc_info[1].with_traceback(exc_info[2])
        finally:
            exc_info = None
        req.headers_out.clear()
    if not isinstance(status, str):
        raise TypeError("status must be a str, not %s" % type(status).__name__)
    if not isinstance(headers, list):
        raise TypeError("headers must be a list, not %s" % type(headers).__name__)
    code = status.split(" ", 1)[0]
    if len(code) != 3 or not code.isdigit() or not 100 <= int(code) <= 599:
        raise ValueError("invalid status line: %r" % status)
    for item in headers:
        if type(item) is not tuple or len(item) != 2:
            raise TypeError("each header must be a (name, value) tuple, not %r" % (item,))
        name, value = item
        if not isinstance(name, (str, bytes)) or not isinstance(value, (str, bytes)):
            raise TypeError("header names and values must be strings: %r" % (item,))
        if isinstance(name, bytes):
            name = name.decode("latin-1")
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        if "\n" in value or "\r" in value or "\n" in name or "\r" in name:
            raise ValueError("header %r has a line break" % name)
        if name.lower() == "content-type":
            req.content_type = value
        else:
            req.headers_out.add(name, value)
    req.status = int(code)
    req.status_line = status
    return req.write


def _request_lines(req):
    while True:
        line = req.readline()
        if not line:
            return
        yield line


_apache.mp_request.build_wsgi_env = _build_wsgi_env
_apache.mp_request.wsgi_start_response = _wsgi_start_response
# wsgi.input is the request itself: a file of the body, line by line when iterated.
_apache.mp_request.__iter__ = _request_lines

# ---------------------------------------------------------------- importing

_import_lock = threading.RLock()


def module_mtime(module):
    """Modification time of a module's source file (0 if it has none)."""
    mtime = 0
    path = getattr(module, "__file__", None)
    if path:
        try:
            if os.path.exists(path):
                mtime = os.path.getmtime(path)
            if path.endswith(".pyc") and os.path.exists(path[:-1]):
                mtime = max(mtime, os.path.getmtime(path[:-1]))
            module.__dict__["__mtime_check__"] = time.time()
        except OSError:
            pass
    return mtime


def _import_file(path):
    """Imports a handler given as the path of a .py file, under a name derived from it."""
    name = "_mp_" + os.path.abspath(path).replace("/", "_").replace(".", "_")
    module = sys.modules.get(name)
    if module is None:
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None:
            raise ImportError("cannot import handler file %r" % path, path=path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(name, None)
            raise
    return module


def import_module(module_name, autoreload=1, log=0, path=None):
    """Imports `module_name` (or returns it from sys.modules) and, with `autoreload`,
    re-imports it when its file changed (checked at most once a second).

    Imports go through importlib, whose per-module locks make a thread that asks for a
    module another thread is still importing wait for it, instead of getting it half done.
    """
    if module_name.endswith(".py") and os.sep in module_name:
        module = _import_file(module_name)
    else:
        module = sys.modules.get(module_name)
        if module is not None and path:
            file = getattr(module, "__file__", None)
            if not file or not any(file.startswith(p) for p in path):
                module = None  # another script of that name: import this one afresh
                sys.modules.pop(module_name, None)
        if module is None or getattr(getattr(module, "__spec__", None), "_initializing", False):
            module = importlib.import_module(module_name)
            if log:
                _apache.log_error("mod_python: (Re)importing module '%s'" % module_name, APLOG_NOTICE)
            module.__mtime__ = module_mtime(module)
            return module
    if autoreload:
        if "__mtime__" not in module.__dict__:
            # Imported just now by another thread, or by plain `import`: its file is what
            # was loaded, so record the time instead of reloading it.
            module.__mtime__ = module_mtime(module)
            return module
        last_check = module.__dict__.get("__mtime_check__", 0)
        if time.time() - last_check > 1:
            old = module.__dict__.get("__mtime__", 0)
            mtime = module_mtime(module)
            if mtime != old:
                with _import_lock:
                    if module.__dict__.get("__mtime__", 0) == old:
                        if log:
                            _apache.log_error("mod_python: (Re)importing module '%s'" % module_name,
                                              APLOG_NOTICE)
                        module = importlib.reload(module)
                        module.__mtime__ = mtime
                        _apache._count_reload()
    return module


def resolve_object(module, obj_str, arg=None, silent=0):
    """Follows the dotted `obj_str` from `module`; a class met on the way is instantiated
    with `arg` (req, filter or connection), as mod_python does."""
    obj = module
    for part in obj_str.split("."):
        parent = obj
        if silent and not hasattr(obj, part):
            return None
        if obj is module and not hasattr(module, part):
            raise AttributeError("module '%s' contains no '%s'"
                                 % (getattr(module, "__file__", module.__name__), part))
        obj = getattr(obj, part)
        if isinstance(parent, type):
            obj = getattr(parent(arg), part)
    return obj

# ---------------------------------------------------------------- dispatch

# Statuses after which the next stacked handler of a phase still runs (mod_python 3.5).
_status_values = {
    "postreadrequesthandler": (DECLINED, OK),
    "transhandler": (DECLINED,),
    "headerparserhandler": (DECLINED, OK),
    "inithandler": (DECLINED, OK),
    "accesshandler": (DECLINED, OK),
    "authenhandler": (DECLINED,),
    "authzhandler": (DECLINED,),
    "typehandler": (DECLINED,),
    "fixuphandler": (DECLINED, OK),
    "handler": (OK,),
    "loghandler": (DECLINED, OK),
    "cleanuphandler": (OK,),
}

_path_cache = {}
_path_lock = threading.Lock()

_result_warning = ("Handler has returned result or raised SERVER_RETURN with an argument "
                   "of type %s, an int is required")


def _set_path(python_path, directory, is_location):
    if python_path:
        with _path_lock:
            if python_path not in _path_cache:
                sys.path[:] = eval(python_path)
                _path_cache[python_path] = None
    elif directory and not is_location:
        with _path_lock:
            if directory not in sys.path:
                sys.path.insert(0, directory)


def _subinterpreter_hint(exc):
    """One clear line when a C extension refused to load in a named sub-interpreter (PyO3
    packages such as cryptography, and others): which package, and the cure."""
    if not isinstance(exc, ImportError) or interpreter == "main_interpreter":
        return None
    text = str(exc).lower()
    markers = ("subinterpreter", "sub-interpreter", "once per interpreter process")
    if not any(m in text for m in markers):
        return None
    package = getattr(exc, "name", None)
    if not package:
        tb = exc.__traceback__
        while tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
        package = tb.tb_frame.f_globals.get("__name__", "?") if tb is not None else "?"
    return ("MPY0030: package '%s' cannot be loaded in the sub-interpreter '%s' (it supports "
            "only the main interpreter); run this handler with 'PythonInterpreter "
            "main_interpreter'" % (package.split(".")[0], interpreter))


def report_error(req, phase, hname, debug):
    """Logs the current exception's traceback one line per entry; with PythonDebug also
    sends it to the client. Returns the status for the phase."""
    etype, evalue, etb = sys.exc_info()
    client_status = getattr(evalue, "http_status", None) if isinstance(evalue, OSError) else None
    if client_status and not debug:
        # The request body could not be read: the client's fault, one line, a 4xx. (With
        # PythonDebug the traceback goes to the client as for any error, as in 3.5.)
        req.log_error("%s %s: %s: the request body could not be read, answering %d"
                      % (phase, hname, evalue, client_status), APLOG_NOTICE)
        etb = None
        return client_status
    try:
        lines = traceback.format_exception(etype, evalue, etb)
        for chunk in lines:
            for line in chunk.rstrip("\n").split("\n"):
                req.log_error("%s %s: %s" % (phase, hname, line), APLOG_ERR)
        hint = _subinterpreter_hint(evalue)
        if hint:
            req.log_error("%s %s: %s" % (phase, hname, hint), APLOG_ERR)
        if isinstance(evalue, OSError) and str(evalue).startswith("Write"):
            debug = False  # the client is gone: do not write to it
        if not debug:
            return HTTP_INTERNAL_SERVER_ERROR
        req.status = HTTP_INTERNAL_SERVER_ERROR
        req.content_type = "text/html"
        body = '\n<pre>\nMod_python error: "%s %s"\n\n' % (phase, hname)
        body += "".join(escape(l) + "\n" for l in lines)
        body += "</pre>\n"
        req.write(body)
        return DONE
    except Exception:
        traceback.print_exc()
        return HTTP_INTERNAL_SERVER_ERROR
    finally:
        etb = None


class mp_hlist:
    """The handler list of the running phase (`req.hlist`), as mod_python's: a cursor on
    the current entry. `next()` moves it on, past a handler the dispatcher has not run yet;
    past the end every attribute is None."""

    __slots__ = ("_entries", "_index")

    def __init__(self, entries, index=0):
        self._entries = entries
        self._index = index

    def _entry(self):
        return self._entries[self._index] if self._index < len(self._entries) else None

    @property
    def handler(self):
        e = self._entry()
        return None if e is None else (e[0] if e[1] is None else e[0] + "::" + e[1])

    @property
    def directory(self):
        e = self._entry()
        return None if e is None else e[2]

    @property
    def is_location(self):
        e = self._entry()
        return None if e is None else int(e[3])

    @property
    def silent(self):
        e = self._entry()
        return None if e is None else int(e[4])

    def next(self):
        if self._index < len(self._entries):
            self._index += 1

    def __repr__(self):
        return "{'handler':%r,'directory':%r,'is_location':%s,'silent':%s}" % (
            self.handler, self.directory, bool(self.is_location), self.silent)


# Named as mod_python's native types are: str(type(req.hlist)) is "<class 'mp_hlist'>".
mp_hlist.__module__ = "builtins"
mp_finfo.__module__ = "builtins"


# phase directive -> (default object name, statuses after which the next handler runs)
_phase_rules = {}


def _rules(phase):
    rules = _phase_rules.get(phase)
    if rules is None:
        default = phase[len("Python"):].lower()
        rules = _phase_rules[phase] = (default, _status_values.get(default, (OK,)))
    return rules


_missing = object()
_modules = sys.modules
_now = time.time


def _dispatch(req, phase, handlers, debug, autoreload, python_path, extension, pdb=False):
    """Runs the handler list of one phase; called by the module. `handlers` holds
    (module, object or None, directory, is_location, silent) tuples; `req.add_handler`
    for the running phase appends to it."""
    req.phase = phase
    req._mp_handlers = handlers
    if extension is not None:
        req.extension = extension
    try:
        return _run_handlers(req, phase, handlers, debug, autoreload, python_path, pdb)
    finally:
        req.phase = None
        req._mp_handlers = None


def _run_handlers(req, phase, handlers, debug, autoreload, python_path, pdb=False):
    default, expected = _rules(phase)
    result = DECLINED
    # One cursor for the whole phase: a handler calling req.hlist.next() skips the next one,
    # and handlers req.add_handler appends are reached, as in mod_python.
    hlist = req.hlist = mp_hlist(handlers)
    while hlist._index < len(handlers):
        module_name, obj_str, directory, is_location, silent = handlers[hlist._index]
        try:
            # sys.path: PythonPath evaluated once; else the handler's directory (not for a
            # PythonHandlerModule entry, as in mod_python 3.5). Checked without the lock first.
            if python_path:
                if python_path not in _path_cache:
                    _set_path(python_path, None, is_location)
            elif directory and not is_location and not silent and directory not in sys.path:
                _set_path(None, directory, is_location)
            # The usual case without a call: imported, complete, checked within the second.
            module = _modules.get(module_name)
            if (module is None or getattr(module.__spec__, "_initializing", False)
                    or "__mtime__" not in module.__dict__
                    or (autoreload and _now() - module.__dict__.get("__mtime_check__", 0) > 1)):
                module = import_module(module_name, autoreload, debug)
            name = obj_str or default
            obj = _missing
            if not silent and "." not in name:
                obj = getattr(module, name, _missing)
            if obj is _missing:
                obj = resolve_object(module, name, arg=req, silent=silent)
                if obj is None and silent:
                    hlist.next()
                    continue
            try:
                if pdb:
                    # PythonEnablePdb, with httpd -X / -DONE_PROCESS: step through the handler.
                    import pdb as debugger
                    result = debugger.runcall(obj, req)
                else:
                    result = obj(req)
            except SERVER_RETURN as value:
                if len(value.args) == 2:
                    result, status = value.args
                    if status:
                        req.status = status
                elif value.args and isinstance(value.args[0], tuple) and len(value.args[0]) == 2:
                    result, status = value.args[0]
                    if status:
                        req.status = status
                else:
                    result = value.args[0] if value.args else HTTP_INTERNAL_SERVER_ERROR
            if result.__class__ is not int:
                raise TypeError(_result_warning % result.__class__)
        except Exception:
            hname = module_name if obj_str is None else module_name + "::" + obj_str
            return report_error(req, phase, hname, debug)
        if result not in expected:
            break
        hlist.next()
    return result


def _filter_dispatch(fltr, handler, is_input, debug, autoreload, python_path):
    """Runs a Python filter for one brigade; called by the module."""
    module_name, obj_str, directory, is_location, silent = handler
    hname = module_name if obj_str is None else module_name + "::" + obj_str
    req = fltr.req
    try:
        _set_path(python_path, directory, is_location)
        module = import_module(module_name, autoreload=autoreload, log=debug)
        obj = resolve_object(module, obj_str or ("inputfilter" if is_input else "outputfilter"),
                             arg=fltr, silent=0)
        obj(fltr)
        if not fltr.closed:
            fltr._pass_written()
    except SERVER_RETURN:
        pass
    except Exception:
        fltr.disable()
        etype, evalue, etb = sys.exc_info()
        lines = traceback.format_exception(etype, evalue, etb)
        for chunk in lines:
            for line in chunk.rstrip("\n").split("\n"):
                req.log_error("%s %s: %s" % (fltr.name, hname, line), APLOG_ERR)
        if debug and not fltr.closed:
            try:
                fltr.write('\n<pre>\nMod_python error: "%s %s"\n\n%s</pre>\n'
                           % (fltr.name, hname, "".join(escape(l) for l in lines)))
                fltr._pass_written()
            except Exception:
                pass


def _include_dispatch(fltr, tag, code, debug):
    """Runs the code of a <!--#python exec/eval="..." --> directive; called by the module.
    Its globals are req.ssi_globals (made if missing), with `filter` and `__file__` set."""
    req = fltr.req
    scope = getattr(req, "ssi_globals", None)
    if scope is None:
        scope = req.ssi_globals = {}
    scope["filter"] = fltr
    scope["__file__"] = req.filename
    code = code.replace("\r\n", "\n").strip()
    try:
        if tag == "eval":
            value = eval(code, scope)
            if value is not None:
                fltr.write(str(value))
        else:
            exec(code, scope)
        fltr.flush()
    except Exception:
        if debug:
            lines = traceback.format_exception(*sys.exc_info())
            fltr.write('\n<pre>\nMod_python error: "%s"\n\n%s</pre>\n'
                       % (fltr.handler, "".join(escape(l) for l in lines)))
        raise
    finally:
        scope["filter"] = None


def _connection_dispatch(conn, handler, debug, autoreload, python_path):
    """Runs a PythonConnectionHandler; called by the module. Returns an Apache status."""
    module_name, obj_str, directory, is_location, silent = handler
    hname = module_name if obj_str is None else module_name + "::" + obj_str
    conn.hlist = mp_hlist([handler])
    try:
        _set_path(python_path, directory, is_location)
        module = import_module(module_name, autoreload=autoreload, log=debug)
        obj = resolve_object(module, obj_str or "connectionhandler", arg=conn, silent=0)
        result = obj(conn)
        if result.__class__ is not int:
            raise TypeError(_result_warning % result.__class__)
        return result
    except Exception:
        for chunk in traceback.format_exception(*sys.exc_info()):
            for line in chunk.rstrip("\n").split("\n"):
                conn.log_error("PythonConnectionHandler %s: %s" % (hname, line), APLOG_ERR)
        return OK


# ---------------------------------------------------------------- mod_python 3.5's entry points

from mod_python._cgi import NullIO, CGIStdin, CGIStdout, setup_cgi, restore_nocgi  # noqa: E402


class CallBack:
    """mod_python 3.5's dispatcher object, for code that calls it directly. The module
    itself dispatches through this module's functions; what is useful on its own is here:
    running a PythonImport entry, a server-side include directive, and reporting an error."""

    def ImportDispatch(self, name):
        module_name, _, function_name = name.partition("::")
        _import_dispatch(module_name, function_name or None)

    def IncludeDispatch(self, fltr, tag, code):
        debug = fltr.req.get_config().get("PythonDebug") == "1"
        _include_dispatch(fltr, tag, code, debug)
        return OK

    def ReportError(self, etype, evalue, etb, req=None, filter=None, srv=None,
                    phase="N/A", hname="N/A", debug=0):
        lines = traceback.format_exception(etype, evalue, etb)
        log = req.log_error if req is not None else (
            srv.log_error if srv is not None else log_error)
        for chunk in lines:
            for line in chunk.rstrip("\n").split("\n"):
                log("%s %s: %s" % (phase, hname, line), APLOG_ERR)
        if not debug or (req is None and filter is None):
            return HTTP_INTERNAL_SERVER_ERROR
        body = '\n<pre>\nMod_python error: "%s %s"\n\n%s</pre>\n' % (
            phase, hname, "".join(escape(l) for l in lines))
        (filter if filter is not None else req).write(body)
        return DONE


def init(name, server):
    """What mod_python 3.5 calls when it makes an interpreter: records its name and the main
    server here and returns the dispatcher object."""
    global interpreter, main_server
    interpreter = name
    main_server = server
    return CallBack()
