"""The publisher handler (`PythonHandler mod_python.publisher`): a URL names a Python file
and an object in it, `/dir/page.py/obj/attr` (or `/dir/page/obj/attr`, or `/dir/` for
`index.py`'s `index`). A callable is called with the request's form fields as keyword
arguments (and `req`); what it returns, or the object itself when it is not callable, is
the response: `str`, `bytes`, or an iterable (a generator, say) whose items are written as
they come.

What a URL can reach, as in mod_python 3.5: no name beginning with `_`; no module, class or
built-in function is published, and only objects that are neither functions, methods nor
built-in values are traversed. Stricter than 3.5: a function imported into a page from
elsewhere (`from os import system`) is not published, only what the page defines;
`PythonOption mod_python.publisher.publish_imported_functions On` restores 3.5's rule for a
directory.

Access control, as 3.5 documents it: `__auth__` (a function `(req, user, password)`, a dict
of users and passwords, or a constant), `__access__` (a function `(req, user)`, a list of
users, or a constant) and `__auth_realm__`, on the page, on any object on the path, or
defined inside the published function's body (found in its code, which works on the
current Python). Credentials come from HTTP Basic authentication.

Pages are kept in a module cache, run again when their file changes (unless
`PythonAutoReload Off`).
"""

import base64
import binascii
import dis
import hmac
import os
import re
import types

from . import apache, util
from .cache import NOT_INITIALIZED, ModuleCache

_IMPORTED_OPTION = "mod_python.publisher.publish_imported_functions"


class PageCache(ModuleCache):
    """The published pages, by file name."""

    def key(self, req):
        return req.filename

    def check(self, key, req, entry):
        if entry._value is not NOT_INITIALIZED and req.get_config().get("PythonAutoReload", "1") == "0":
            return None
        return ModuleCache.check(self, key, req, entry)

    def build(self, key, req, opened, entry):
        if req.get_config().get("PythonDebug", "0") != "0":
            verb = "loading" if entry._value is NOT_INITIALIZED else "reloading"
            req.log_error("mod_python.publisher: %s page %s" % (verb, key), apache.APLOG_NOTICE)
        return ModuleCache.build(self, key, req, opened, entry)


page_cache = PageCache()


def handler(req):
    """Publishes the functions of the requested module (the handler of PythonHandler mod_python.publisher)."""
    req.allow_methods(["GET", "POST", "HEAD"])
    if req.method not in ("GET", "POST", "HEAD"):
        raise apache.SERVER_RETURN(apache.HTTP_METHOD_NOT_ALLOWED)

    directory, module_name = os.path.split(req.filename)
    module_name = _strip_suffix(req, module_name or "index")

    func_path = (req.path_info or "")[1:]
    if func_path.endswith("/"):
        func_path = func_path[:-1]

    filename = os.path.join(directory, module_name + ".py")
    if not os.path.exists(filename):
        # /dir/name: "name" of the directory's index.py
        func_path = module_name + "/" + func_path if func_path else module_name
        filename = os.path.join(directory, "index.py")
        if not os.path.exists(filename):
            raise apache.SERVER_RETURN(apache.HTTP_NOT_FOUND)
    req.filename = os.path.normpath(filename)

    module = page_cache[req]
    realm, user, passwd = process_auth(req, module)
    obj = resolve_object(req, module, (func_path or "index").replace("/", "."),
                         realm, user, passwd)
    published = publish_object(req, obj)
    if not published and req._bytes_queued == 0 and req.next is None:
        if req.get_config().get("PythonDebug", "0") != "0":
            req.log_error("mod_python.publisher: nothing to publish.")
    return apache.OK


def _strip_suffix(req, name):
    suffixes = ["py"] + req.get_addhandler_exts().split()
    if req.extension:
        suffixes.append(req.extension[1:])
    for suffix in suffixes:
        if suffix and name.endswith("." + suffix):
            return name[:-len(suffix) - 1]
    return name


# ---------------------------------------------------------------- access control

_AUTH_NAMES = ("__auth__", "__access__", "__auth_realm__")


def _body_assignments(code, wanted):
    """The constant values the body of `code` assigns to the names in `wanted`: literals
    (str, numbers, tuples, lists, dicts of literals) and functions defined there (as their
    code objects). Read from the bytecode, without running it."""
    found = {}
    stack = []
    for ins in dis.get_instructions(code):
        op = ins.opname
        if op in ("RESUME", "NOP", "CACHE", "PRECALL", "EXTENDED_ARG"):
            continue
        if op == "LOAD_CONST":
            stack.append(ins.argval)
        elif op == "MAKE_FUNCTION":
            if ins.arg:   # defaults or a closure: not a plain nested function
                stack = []
                continue
            if len(stack) >= 2 and isinstance(stack[-1], str) and isinstance(stack[-2], types.CodeType):
                stack.pop()   # the qualified name older Pythons push
            if stack and isinstance(stack[-1], types.CodeType):
                stack.append(_NestedCode(stack.pop()))
            else:
                stack = []
        elif op in ("BUILD_LIST", "BUILD_TUPLE", "BUILD_SET") and len(stack) >= ins.arg:
            items = stack[len(stack) - ins.arg:]
            del stack[len(stack) - ins.arg:]
            stack.append({"BUILD_LIST": list, "BUILD_TUPLE": tuple, "BUILD_SET": set}[op](items))
        elif op == "BUILD_MAP" and len(stack) >= 2 * ins.arg:
            items = stack[len(stack) - 2 * ins.arg:]
            del stack[len(stack) - 2 * ins.arg:]
            stack.append(dict(zip(items[::2], items[1::2])))
        elif op == "BUILD_CONST_KEY_MAP" and len(stack) >= ins.arg + 1:
            keys = stack.pop()
            values = stack[len(stack) - ins.arg:]
            del stack[len(stack) - ins.arg:]
            stack.append(dict(zip(keys, values)))
        elif op in ("LIST_EXTEND", "SET_UPDATE") and len(stack) >= 2:
            extra = stack.pop()
            if isinstance(stack[-1], (list, set)):
                stack[-1] = type(stack[-1])(list(stack[-1]) + list(extra))
            else:
                stack = []
        elif op in ("STORE_FAST", "STORE_NAME", "STORE_DEREF", "STORE_GLOBAL"):
            if stack and ins.argval in wanted:
                found[ins.argval] = stack[-1]
            stack = []
        else:
            stack = []
    return found


class _NestedCode:
    """A function defined in a body, by its code."""

    def __init__(self, code):
        self.code = code


def _auth_settings(obj):
    """(found, value) for each of __auth__, __access__, __auth_realm__ of `obj`."""
    func = obj.__func__ if isinstance(obj, types.MethodType) else obj
    if isinstance(func, types.FunctionType):
        assigned = _body_assignments(func.__code__, _AUTH_NAMES)
        settings = {}
        for name in _AUTH_NAMES:
            if name not in assigned:
                continue
            value = assigned[name]
            if isinstance(value, _NestedCode):
                if value.code.co_freevars:
                    continue   # needs the enclosing call's variables
                value = types.FunctionType(value.code, func.__globals__, name)
            settings[name] = value
        return settings
    return {name: getattr(obj, name) for name in _AUTH_NAMES if hasattr(obj, name)}


def _credentials(req):
    """(user, password) from a Basic Authorization header, or (None, None) when there is
    none or it uses another scheme; a malformed Basic header answers 400."""
    header = req.headers_in.get("Authorization")
    if not header:
        return None, None
    scheme, _, data = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None, None
    try:
        raw = base64.b64decode(data.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise apache.SERVER_RETURN(apache.HTTP_BAD_REQUEST)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    user, colon, password = text.partition(":")
    if not colon:
        raise apache.SERVER_RETURN(apache.HTTP_BAD_REQUEST)
    return user, password


def _same(a, b):
    if not isinstance(a, (str, bytes)) or not isinstance(b, (str, bytes)):
        return a == b
    a = a.encode("utf-8") if isinstance(a, str) else a
    b = b.encode("utf-8") if isinstance(b, str) else b
    return hmac.compare_digest(a, b)


def _challenge(req, realm):
    req.err_headers_out["WWW-Authenticate"] = 'Basic realm="%s"' % str(realm).replace('"', "'")
    raise apache.SERVER_RETURN(apache.HTTP_UNAUTHORIZED)


def process_auth(req, object, realm="unknown", user=None, passwd=None):
    """Applies `object`'s __auth__ / __access__ (answering 401 or 403 when they refuse);
    returns the (realm, user, password) in force after it."""
    settings = _auth_settings(object)
    realm = settings.get("__auth_realm__", realm)
    has_auth = "__auth__" in settings
    has_access = "__access__" in settings
    if not (has_auth or has_access):
        return realm, user, passwd
    if not user:
        user, passwd = _credentials(req)

    if has_auth:
        auth = settings["__auth__"]
        if not user:
            _challenge(req, realm)
        if callable(auth):
            ok = auth(req, user, passwd)
        elif isinstance(auth, dict):
            ok = user in auth and _same(auth[user], passwd)
        else:
            ok = auth
        if not ok:
            _challenge(req, realm)

    if has_access:
        access = settings["__access__"]
        if callable(access):
            ok = access(req, user)
        elif isinstance(access, (list, tuple, set, frozenset)):
            ok = user in access
        else:
            ok = access
        if not ok:
            raise apache.SERVER_RETURN(apache.HTTP_FORBIDDEN)
    return realm, user, passwd


# ---------------------------------------------------------------- traversal

# type -> (may be traversed, may be published)
tp_rules = {t: (False, True) for t in vars(types).values() if isinstance(t, type)}
tp_rules.update({
    types.ModuleType: (False, False),
    types.BuiltinFunctionType: (False, False),
    type: (False, False),
    types.GeneratorType: (False, True),
})
default_tp_rule = (True, True)


def _rule(obj):
    if isinstance(obj, (type, types.ModuleType)):
        return (False, False)   # classes (whatever their metaclass) and modules
    return tp_rules.get(type(obj), default_tp_rule)


def _forbid(req, why):
    req.log_error("mod_python.publisher: %s (%s)" % (why, req.unparsed_uri), apache.APLOG_WARNING)
    raise apache.SERVER_RETURN(apache.HTTP_FORBIDDEN)


def _imported_allowed(req):
    value = req.get_options().get(_IMPORTED_OPTION, "")
    return value.lower() in ("1", "on", "yes", "true")


def resolve_object(req, obj, object_str, realm=None, user=None, passwd=None):
    """Follows the dotted `object_str` from `obj` (a page), checking each step against the
    rules of what may be traversed and published, and each object's access control."""
    module = obj
    parts = object_str.split(".")
    for depth, part in enumerate(parts):
        if not part:
            raise apache.SERVER_RETURN(apache.HTTP_NOT_FOUND)
        if part[0] == "_":
            _forbid(req, "cannot traverse %s: it begins with an underscore" % part)
        if depth and not _rule(obj)[0]:
            _forbid(req, "cannot traverse %s: %r is not traversable" % (part, obj))
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise apache.SERVER_RETURN(apache.HTTP_NOT_FOUND)
        if depth == 0 and isinstance(obj, types.FunctionType) \
                and obj.__module__ != getattr(module, "__name__", None) \
                and not _imported_allowed(req):
            _forbid(req, "cannot publish %s: the function is imported into the page, "
                    "not defined there" % part)
        realm, user, passwd = process_auth(req, obj, realm, user, passwd)
    if not _rule(obj)[1]:
        _forbid(req, "cannot publish %s: %r is not publishable" % (parts[-1], obj))
    return obj


# ---------------------------------------------------------------- the response

_html_end = re.compile(r"</html\s*>\s*$", re.I)
_html_end_bytes = re.compile(rb"</html\s*>\s*$", re.I)


def _write(req, data):
    """Writes one piece of the response, choosing the content type from the first one
    when the page did not set it."""
    if not data:
        return False
    if not req._content_type_set:
        tail = data[-100:]
        pattern = _html_end_bytes if isinstance(data, (bytes, bytearray)) else _html_end
        req.content_type = "text/html" if pattern.search(tail) else "text/plain"
    req.write(data, 0)
    return True


def _as_output(value):
    if value is None or isinstance(value, (str, bytes, bytearray)):
        return value
    return str(value)


def publish_object(req, obj):
    """Sends `obj` as the response: called with the form first when callable. Returns
    whether anything was written."""
    if callable(obj) or callable(getattr(obj, "__call__", None)):
        form = getattr(req, "form", None)
        if not isinstance(form, util.FieldStorage):
            form = req.form = util.FieldStorage(req, keep_blank_values=1)
        return publish_object(req, util.apply_fs_data(obj, form, req=req))
    if obj is None:
        return False
    if isinstance(obj, (str, bytes, bytearray)):
        return _write(req, obj)
    if hasattr(obj, "__iter__") and not isinstance(obj, dict):
        wrote = False
        for item in obj:
            wrote = _write(req, _as_output(item)) or wrote
        return wrote
    return _write(req, str(obj))
