"""Python Server Pages (`PythonHandler mod_python.psp`): HTML with Python in it, `<% code %>`,
`<%= expression %>`, `<%@ include file="..." %>` and `<%-- comment --%>`, translated into
Python by the native `_psp` module (the `psp` crate) and run with `req`, `psp` (this page's
PSPInterface), `form` (the request's FieldStorage, made only if the page uses it) and
`session` (a Session, made and locked only if the page uses it, saved after a page that
ran to the end).

Compiled pages are cached per process by file and modification time (and, with
`PythonOption mod_python.psp.cache_database_filename FILE`, in a dbm file shared by the
children). With `PythonDebug On`, asking for `page.psp_` shows the page next to the Python
it became.
"""

import collections
import dbm
import marshal
import os
import sys
import threading
from html import escape

import _psp

from . import apache, util


def parse(filename, dir=None):
    """The Python code of the page `dir + filename`."""
    return _psp.parse(filename, dir) if dir else _psp.parse(filename)


def parsestring(str):
    """The Python code of a page given as a string."""
    return _psp.parsestring(str)


class _Bounded:
    """A small least-recently-used map shared by the threads of a process."""

    def __init__(self, size=512):
        self._items = collections.OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def store(self, key, value):
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


_file_cache = _Bounded()     # filename -> (mtime, code)
_string_cache = _Bounded()   # page text -> code


def _dbm_get(req, path, filename, mtime):
    apache._global_lock(req.server, None, 0)
    try:
        with dbm.open(path, "c") as db:
            entry = db.get(filename.encode("utf-8", "surrogateescape"))
    finally:
        apache._global_unlock(req.server, None, 0)
    if entry:
        stamp, _, data = entry.partition(b" ")
        if stamp == repr(mtime).encode():
            try:
                return marshal.loads(data)
            except (EOFError, ValueError, TypeError):
                return None
    return None


def _dbm_store(req, path, filename, mtime, code):
    apache._global_lock(req.server, None, 0)
    try:
        with dbm.open(path, "c") as db:
            db[filename.encode("utf-8", "surrogateescape")] = repr(mtime).encode() + b" " + marshal.dumps(code)
    finally:
        apache._global_unlock(req.server, None, 0)


class PSPInterface:
    """The `psp` object of a running page."""

    def __init__(self, req, filename, form):
        self.req = req
        self.filename = filename
        self.error_page = None
        self.form = form

    def set_error_page(self, page):
        """The page to run instead when this one raises (relative to this page's directory,
        or to the document root when it begins with /); it gets `exception`, the
        (type, value, traceback) of the error."""
        if page and page.startswith("/"):
            path = self.req.document_root() + page
        else:
            path = os.path.join(os.path.dirname(self.filename or self.req.filename), page)
        self.error_page = PSP(self.req, path)

    def apply_data(self, object):
        """Calls `object` with the request's form fields as keyword arguments."""
        if self.form is None:
            self.form = getattr(self.req, "form", None)
            if self.form is None:
                self.form = self.req.form = util.FieldStorage(self.req, keep_blank_values=1)
        return util.apply_fs_data(object, self.form, req=self.req)

    def redirect(self, location, permanent=0):
        util.redirect(self.req, location, permanent)


class PSP:
    """A page: from a file (`filename`, relative to the request's file; the request's file
    itself by default) or from a string; `vars` are given to it when it runs."""

    code = None

    def __init__(self, req, filename=None, string=None, vars={}):
        if filename and string:
            raise ValueError("give a PSP either a filename or a string, not both")
        self.req, self.vars = req, vars
        if not filename and not string:
            filename = req.filename
        self.filename, self.string = filename, string
        if filename:
            if not os.path.isabs(filename):
                self.filename = os.path.join(os.path.dirname(req.filename), filename)
            self.load_from_file()
        else:
            code = _string_cache.get(string)
            if code is None:
                code = compile(_psp.parsestring(string), "<psp string>", "exec")
                _string_cache.store(string, code)
            self.code = code

    def load_from_file(self):
        filename = self.filename
        if not os.path.isfile(filename):
            raise apache.SERVER_RETURN(apache.HTTP_NOT_FOUND)
        mtime = os.path.getmtime(filename)
        cached = _file_cache.get(filename)
        if cached is not None and cached[0] == mtime:
            self.code = cached[1]
            return
        dbm_path = self.req.get_options().get("mod_python.psp.cache_database_filename") \
            or self.req.get_options().get("PSPDbmCache")
        code = _dbm_get(self.req, dbm_path, filename, mtime) if dbm_path else None
        if code is None:
            code = compile(_psp.parse(filename), filename, "exec")
            if dbm_path:
                _dbm_store(self.req, dbm_path, filename, mtime, code)
        _file_cache.store(filename, (mtime, code))
        self.code = code

    def run(self, vars={}, flush=0):
        """Runs the page, writing to the request."""
        code, req = self.code, self.req
        session = None
        if "session" in code.co_names and getattr(req, "session", None) is None:
            from . import Session
            req.session = session = Session.Session(req)
        form = None
        if "form" in code.co_names:
            form = getattr(req, "form", None)
            if form is None:
                form = req.form = util.FieldStorage(req, keep_blank_values=1)
        psp = PSPInterface(req, self.filename, form)
        try:
            scope = dict(globals())
            scope.update({"req": req, "form": form, "psp": psp,
                          "session": getattr(req, "session", None),
                          "__file__": req.filename})
            scope.update(self.vars)
            scope.update(vars)
            try:
                exec(code, scope)
                if flush:
                    req.flush()
                if getattr(req, "session", None) is not None:
                    req.session.save()
            except Exception:
                if psp.error_page is None:
                    raise
                psp.error_page.run({"exception": sys.exc_info()}, flush)
        finally:
            if session is not None:
                session.unlock()
                del req.session

    def __str__(self):
        self.req.content_type = "text/html"
        self.run()
        return ""

    def display_code(self):
        """Writes the page's source and the Python it became side by side, as HTML."""
        req = self.req
        with open(self.filename, "rb") as f:
            source = f.read().decode("utf-8", "replace").splitlines()
        code = _psp.parse(self.filename).splitlines()

        def cell(text):
            return escape(text.rstrip(), quote=False).replace("\t", "    ").replace(" ", "&nbsp;")

        req.write("<table>\n<tr><td></td><td><tt>&nbsp;Python code:</tt></td>"
                  "<td><tt>&nbsp;%s:</tt></td></tr>\n" % escape(self.filename))
        for n in range(max(len(code), len(source))):
            left = cell(code[n]) if n < len(code) else ""
            right = cell(source[n]) if n < len(source) else ""
            req.write("<tr><td><tt>%d.&nbsp;</tt></td><td><tt><font color=blue>%s</font></tt></td>"
                      "<td><tt>&nbsp;<font color=green>%s</font></tt></td></tr>\n" % (n + 1, left, right))
        req.write("</table>\n")


def handler(req):
    """Serves the requested .psp page (the handler of PythonHandler mod_python.psp)."""
    req.content_type = "text/html"
    debug = req.get_config().get("PythonDebug", "0") != "0"
    if debug and req.filename.endswith("_"):
        PSP(req, req.filename[:-1]).display_code()
    else:
        PSP(req).run()
    return apache.OK
