"""Forms, uploads and small helpers for handlers: `FieldStorage` (the fields of a query string
and of an urlencoded or multipart/form-data body), `Field`, `StringField`, `parse_qs`,
`parse_qsl`, `parse_header`, `apply_fs_data` and `redirect`, with mod_python 3.5's names and
behaviour.

Uploads stream: the body is read in chunks and handed to the native multipart parser, and
each file part is written to a temporary file (or to the file `file_callback` gives) as it
arrives, so an upload of any size is read in bounded memory. A body that is not acceptable
(broken multipart, an oversized part header, a body cut short) answers 400 Bad Request and
logs why; it never becomes a 500.

Field names are always `str` (UTF-8), whether they come from the query string, an urlencoded
body or a multipart body; lookups also accept the name as `bytes`. Values are what 3.5
gives: `str` for query-string fields, `bytes` for body fields.
"""

import collections.abc
import inspect
import io
import tempfile

import _apache

from . import apache

parse_qs = _apache.parse_qs
parse_qsl = _apache.parse_qsl

# The size of one read of the request body (mod_python 3.5 exports the name).
readBlockSize = 65368

# How much of the body one multipart step reads.
_CHUNK = 128 * 1024

# Events of the native multipart parser.
_PART, _DATA, _PART_END, _DONE = 0, 1, 2, 3


def _text(value):
    """A header value or name as str: UTF-8 when it is valid, else Latin-1 byte for byte."""
    if isinstance(value, str):
        return value
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


def _key(name):
    """A field name as the storage keys it: bytes are read as UTF-8."""
    if isinstance(name, bytes):
        return name.decode("utf-8", "replace")
    return name


class _Options(dict):
    """Header parameters (`name`, `filename`, `charset`...), keyed by str; a bytes key, as
    code written for 3.5 on Python 3 uses, finds the same entry."""

    def __getitem__(self, key):
        return dict.__getitem__(self, _key(key))

    def __contains__(self, key):
        return dict.__contains__(self, _key(key))

    def get(self, key, default=None):
        return dict.get(self, _key(key), default)


def _split_header(value):
    """`type/sub; a=1; b="two"` as ("type/sub", {"a": "1", "b": "two"}): the first item
    lower-cased, parameter names lower-cased, quotes taken off values."""
    items = _split_params(value)
    main = items[0].strip().lower() if items else ""
    options = _Options()
    for item in items[1:]:
        name, eq, val = item.partition("=")
        if not eq:
            continue
        val = val.strip()
        if len(val) >= 2 and val[0] == val[-1] == '"':
            val = val[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        options[name.strip().lower()] = val
    return main, options


def _split_params(value):
    """Splits on `;` outside double quotes."""
    items, current, quoted, i = [], [], False, 0
    while i < len(value):
        c = value[i]
        if c == "\\" and quoted and i + 1 < len(value):
            current.append(value[i:i + 2])
            i += 2
            continue
        if c == '"':
            quoted = not quoted
        if c == ";" and not quoted:
            items.append("".join(current))
            current = []
        else:
            current.append(c)
        i += 1
    items.append("".join(current))
    return items


def parse_header(line):
    """Reads a Content-Type-like header: the main value lower-cased and a dict of its
    parameters. Given bytes, it answers as mod_python 3.5 does (a bytes main value, bytes
    parameter names, str values); given str, everything is str."""
    if isinstance(line, bytes):
        main, options = _split_header(line.decode("latin-1"))
        return main.encode("latin-1"), {k.encode("latin-1"): v for k, v in options.items()}
    if not isinstance(line, str):
        raise TypeError("parse_header() takes str or bytes")
    main, options = _split_header(line)
    return main, dict(options)


class Field:
    """One field of a form whose value lives in a file (an uploaded file): `name`,
    `filename`, `file`, `type`, `type_options`, `disposition`, `disposition_options`,
    `headers`, and `value`, the file's content read on demand."""

    file = None
    filename = None
    type = None
    type_options = {}
    disposition = None
    disposition_options = {}
    headers = {}

    def __init__(self, name, *args, **kwargs):
        self.name = name
        if args or kwargs:
            # The older form some applications use to build fields themselves.
            self._init_parts(*args, **kwargs)

    def _init_parts(self, file, ctype, type_options, disp, disp_options, headers={}):
        self.file = file
        self.type = ctype
        self.type_options = type_options
        self.disposition = disp
        self.disposition_options = disp_options
        self.filename = disp_options.get("filename") if disp_options else None
        self.headers = headers

    @property
    def value(self):
        if self.file is None:
            return None
        self.file.seek(0)
        data = self.file.read()
        self.file.seek(0)
        if not isinstance(data, bytes):
            raise TypeError("a field's file must be opened in binary mode")
        return data

    def __repr__(self):
        return "Field(%r, %r)" % (self.name, self.value)

    def __del__(self):
        f = self.__dict__.get("file")
        if f is not None:
            try:
                f.close()
            except Exception:
                pass


class StringField(bytes):
    """One field of a form whose value is in memory: the value itself (bytes), with the
    attributes of a `Field` (`name`, `value`, `file` made on demand, ...)."""

    filename = None
    headers = {}
    ctype = "text/plain"
    type = None
    type_options = {}
    disposition = None
    disposition_options = {}
    disp_options = None
    # Shown as bytes by repr(), as 3.5 shows names it read from an urlencoded body.
    _bytes_name = False

    def __new__(cls, value):
        if isinstance(value, str):
            return bytes.__new__(cls, value.encode("utf-8"))
        return bytes.__new__(cls, value)

    def __init__(self, value):
        self.value = value

    def __getattr__(self, name):
        if name != "file":
            raise AttributeError(name)
        self.file = io.BytesIO(bytes(self))
        return self.file

    def __str__(self):
        # The text of the value (as a str field was on Python 2), not "b'...'".
        return _text(bytes(self))

    def __repr__(self):
        name = self.name
        if self._bytes_name and isinstance(name, str):
            name = name.encode("utf-8")
        return "Field(%r, %r)" % (name, self.value)


class FieldList(list):
    """The fields of a form in the order they came, with a name → fields table kept up to
    date as the list changes."""

    def __init__(self, *args):
        list.__init__(self, *args)
        self._by_name = None

    def table(self):
        if self._by_name is None:
            by_name = {}
            for item in self:
                by_name.setdefault(item.name, []).append(item)
            self._by_name = by_name
        return self._by_name

    def _changed(self):
        self._by_name = None


def _invalidating(method_name):
    base = getattr(list, method_name)

    def method(self, *args):
        self._by_name = None
        return base(self, *args)

    method.__name__ = method_name
    return method


for _name in ("__delitem__", "__iadd__", "__imul__", "__setitem__", "append", "extend",
              "insert", "pop", "remove", "clear", "sort", "reverse"):
    setattr(FieldList, _name, _invalidating(_name))
del _name


def _refuse(req, why):
    """Logs why the body is refused and answers 400."""
    req.log_error("mod_python.util.FieldStorage: %s: 400 Bad Request" % why, apache.APLOG_NOTICE)
    raise apache.SERVER_RETURN(apache.HTTP_BAD_REQUEST)


class FieldStorage:
    """The fields of a request: those of its query string, then, for a POST, those of its
    body (`application/x-www-form-urlencoded` or `multipart/form-data`). Reads as a mapping
    from names to fields (a list of fields for a name given more than once)."""

    def __init__(self, req, keep_blank_values=0, strict_parsing=0,
                 file_callback=None, field_callback=None):
        self.list = FieldList()
        if req.args:
            try:
                pairs = parse_qsl(req.args, keep_blank_values, strict_parsing)
            except ValueError as e:
                _refuse(req, "bad query string (%s)" % e)
            for name, value in pairs:
                self.add_field(name, value)
        if req.method != "POST":
            return

        headers = req.headers_in
        length = headers.get("content-length")
        if length is not None:
            try:
                remaining = int(length)
            except ValueError:
                raise apache.SERVER_RETURN(apache.HTTP_LENGTH_REQUIRED)
            if remaining < 0:
                raise apache.SERVER_RETURN(apache.HTTP_LENGTH_REQUIRED)
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            remaining = None   # read to the end of the body
        else:
            raise apache.SERVER_RETURN(apache.HTTP_LENGTH_REQUIRED)

        ctype = headers.get("content-type", "application/x-www-form-urlencoded")
        if ctype.lower().startswith("application/x-www-form-urlencoded"):
            body = req.read() if remaining is None else req.read(remaining)
            try:
                pairs = parse_qsl(body, keep_blank_values, strict_parsing)
            except ValueError as e:
                _refuse(req, "bad urlencoded body (%s)" % e)
            for name, value in pairs:
                self.add_field(name.decode("utf-8", "replace"), value)
                self.list[-1]._bytes_name = True
            return
        if not ctype.lower().startswith("multipart/"):
            raise apache.SERVER_RETURN(apache.HTTP_NOT_IMPLEMENTED)

        main, options = _split_header(ctype)
        boundary = options.get("boundary")
        if not boundary:
            _refuse(req, "multipart body without a boundary")
        try:
            parser = _apache.multipart_parser(boundary.encode("latin-1"))
        except (ValueError, UnicodeEncodeError) as e:
            _refuse(req, "unusable multipart boundary (%s)" % e)
        self._read_parts(req, parser, remaining, file_callback, field_callback)

    def _read_parts(self, req, parser, remaining, file_callback, field_callback):
        part = None   # (headers, destination) of the part being read
        try:
            while remaining is None or remaining > 0:
                size = _CHUNK if remaining is None else min(_CHUNK, remaining)
                chunk = req.read(size)
                if not chunk:
                    break
                if remaining is not None:
                    remaining -= len(chunk)
                for kind, payload in parser.feed(chunk):
                    if kind == _DATA:
                        part[1].write(payload)
                    elif kind == _PART:
                        part = self._begin_part(payload, file_callback, field_callback)
                    elif kind == _PART_END:
                        self._end_part(*part)
                        part = None
                if parser.done():
                    return
            parser.finish()
        except ValueError as e:
            _refuse(req, str(e))

    @staticmethod
    def _begin_part(raw_headers, file_callback, field_callback):
        headers = apache.make_table()
        disposition, disp_options = None, _Options()
        ctype, type_options = "text/plain", _Options()
        for raw_name, raw_value in raw_headers:
            name, value = _text(raw_name), _text(raw_value)
            headers.add(name, value)
            lname = name.lower()
            if lname == "content-disposition":
                disposition, disp_options = _split_header(value)
            elif lname == "content-type":
                ctype, type_options = _split_header(value)
                if "/" not in ctype:
                    # Some browsers send junk here for a file without an extension.
                    ctype = "application/octet-stream"
        info = (headers, disposition, disp_options, ctype, type_options)
        if "filename" in disp_options:
            if isinstance(file_callback, collections.abc.Callable):
                destination = file_callback(disp_options["filename"])
            else:
                destination = tempfile.TemporaryFile("w+b")
        elif isinstance(field_callback, collections.abc.Callable):
            destination = field_callback()
        else:
            destination = io.BytesIO()
        return info, destination

    def _end_part(self, info, destination):
        headers, disposition, disp_options, ctype, type_options = info
        destination.seek(0)
        name = disp_options.get("name")
        filename = disp_options.get("filename")
        if filename:
            field = Field(name)
            field.filename = filename
        else:
            field = StringField(destination.read())
            field.name = name
        field.file = destination
        field.type = ctype
        field.type_options = type_options
        field.disposition = disposition
        field.disposition_options = disp_options
        field.headers = headers
        self.list.append(field)

    def add_field(self, key, value):
        """Adds a field named `key` with the value `value` (str or bytes)."""
        item = StringField(value)
        item.name = _key(key)
        self.list.append(item)

    def __setitem__(self, key, value):
        key = _key(key)
        for item in self.list.table().get(key, ()):
            self.list.remove(item)
        self.add_field(key, value)

    def __getitem__(self, key):
        found = self.list.table()[_key(key)]
        return found[0] if len(found) == 1 else found

    def __delitem__(self, key):
        for item in self.list.table()[_key(key)]:
            self.list.remove(item)

    def get(self, key, default=None):
        try:
            return self[key]
        except (KeyError, TypeError):
            return default

    def getfirst(self, key, default=None):
        """The first field named `key`, or `default`."""
        found = self.list.table().get(_key(key))
        return found[0] if found else default

    def getlist(self, key):
        """Every field named `key`, in order (an empty list when there is none)."""
        return list(self.list.table().get(_key(key), ()))

    def keys(self):
        return list(self.list.table().keys())

    def items(self):
        """(name, field) for every field, in the order they came."""
        return [(item.name, item) for item in self.list]

    def has_key(self, key):
        return _key(key) in self.list.table()

    __contains__ = has_key

    def __iter__(self):
        return iter(self.keys())

    def __len__(self):
        return len(self.list.table())

    def __repr__(self):
        return repr(self.list.table())

    def clear(self):
        self.list = FieldList()


def _accepted_names(obj):
    """The keyword arguments `obj` takes: (names, takes any keyword)."""
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return (), False
    names, anything = [], False
    for p in sig.parameters.values():
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY):
            names.append(p.name)
        elif p.kind == p.VAR_KEYWORD:
            anything = True
    return names, anything


def apply_fs_data(object, fs, **args):
    """Calls `object` with the fields of `fs` it takes as keyword arguments (a list of
    values for a name given more than once; the field itself for an uploaded file), plus
    `args`; returns what it returns."""
    if not callable(object) and callable(getattr(object, "__call__", None)):
        # An instance given a __call__ attribute of its own (a hierarchy of pages).
        object = object.__call__
    for field in fs.list:
        value = field if field.filename else field.value
        args.setdefault(field.name, []).append(value)
    for name, values in args.items():
        if type(values) is list and len(values) == 1:
            args[name] = values[0]
    names, anything = _accepted_names(object)
    if not anything:
        args = {k: v for k, v in args.items() if k in names}
    return object(**args)


def redirect(req, location, permanent=0, text=None):
    """Ends the request with a redirection to `location` (302, or 301 when `permanent`),
    with `text` (or a short page with the link) as body. Raises SERVER_RETURN(DONE)."""
    if not isinstance(location, str):
        raise TypeError("location must be a str")
    if req.sent_bodyct:
        raise IOError("cannot redirect after the response headers were sent")
    req.err_headers_out["Location"] = location
    req.status = apache.HTTP_MOVED_PERMANENTLY if permanent else apache.HTTP_MOVED_TEMPORARILY
    if text is None:
        from html import escape
        text = '<p>The document has moved <a href="%s">here</a></p>\n' % escape(location)
    req.write(text)
    raise apache.SERVER_RETURN(apache.DONE)
