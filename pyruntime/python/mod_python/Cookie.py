"""mod_python.Cookie: HTTP cookies for handlers, with the API of mod_python 3.5.

One `Cookie` object is one cookie (a name, a value and its attributes). `SignedCookie`
adds an HMAC signature to the value so that a client cannot change it unnoticed, and
`MarshalCookie` stores any marshallable Python value in a signed cookie.

Incoming `Cookie:` headers are parsed leniently, the way browsers send them and the way
mod_python 3.5 read them: every `name=value` pair becomes a cookie (attributes such as
`path=` included), pairs whose name starts with `$` are dropped, and text that forms no
pair is skipped. Parsing never raises on a malformed header.
"""

import base64
import binascii
import hmac
import marshal
import time

PY2 = False

class CookieError(Exception):
    """A cookie that cannot be signed, verified or decoded."""


# What str(cookie) writes after name=value, in this order. Attributes in _FLAGS are written
# as a bare word; the others as key=value.
_ATTRIBUTES = ("version", "path", "domain", "secure", "comment", "expires", "max_age",
               "samesite", "commentURL", "discard", "port", "httponly")
_FLAGS = frozenset(("secure", "discard", "httponly"))

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun",
           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_EXPIRES_FORMAT = "%a, %d-%b-%Y %H:%M:%S GMT"


def _netscape_date(seconds):
    """`seconds` since the epoch as 'Wdy, DD-Mon-YYYY HH:MM:SS GMT' (English names,
    whatever the process locale)."""
    t = time.gmtime(seconds)
    return "%s, %02d-%s-%04d %02d:%02d:%02d GMT" % (
        _WEEKDAYS[t.tm_wday], t.tm_mday, _MONTHS[t.tm_mon - 1], t.tm_year,
        t.tm_hour, t.tm_min, t.tm_sec)


def _wire(text):
    """The bytes a str stands for on the wire (header values reach Python as UTF-8 with
    undecodable bytes kept as surrogates)."""
    if isinstance(text, bytes):
        return text
    return str(text).encode("utf-8", "surrogateescape")


class metaCookie(type):
    """Metaclass of the cookie classes: a class that declares no `__slots__` gets an empty
    one, so cookie objects only ever hold the attributes `Cookie` declares (assigning any
    other raises AttributeError), and every class carries `_valid_attr`."""

    def __new__(mcs, clsname, bases, clsdict):
        clsdict.setdefault("__slots__", ())
        clsdict.setdefault("_valid_attr", _ATTRIBUTES)
        return super().__new__(mcs, clsname, bases, clsdict)


class Cookie(metaclass=metaCookie):
    """One cookie: `name`, `value` and any of the attributes in `_valid_attr` (given as
    keyword arguments or set later). `str(cookie)` is the value of a `Set-Cookie:` header."""

    __slots__ = tuple(a for a in _ATTRIBUTES if a != "expires") + (
        "name", "value", "_expires", "__data__")

    # What SignedCookie.parse and MarshalCookie.parse do with a cookie that fails
    # verification (their `mismatch` argument).
    DOWNGRADE = 0
    IGNORE = 1
    EXCEPTION = 3

    def __init__(self, name, value, **kw):
        self.name = name
        self.value = value
        for key, attr_value in kw.items():
            setattr(self, key.lower(), attr_value)
        # scratch space for subclasses
        self.__data__ = {}

    @property
    def expires(self):
        """The expiry date, as a 'Wdy, DD-Mon-YYYY HH:MM:SS GMT' string. It can be set to
        such a string or to a number of seconds since the epoch."""
        return self._expires

    @expires.setter
    def expires(self, when):
        if isinstance(when, str):
            try:
                time.strptime(when, _EXPIRES_FORMAT)
            except ValueError:
                raise ValueError("Invalid expires time: %s" % when) from None
            self._expires = when
        else:
            self._expires = _netscape_date(when)

    @classmethod
    def parse(Class, str, **kw):
        """A dict {name: cookie of this class} of the pairs in a `Cookie:` (or
        `Set-Cookie:`) header value. `names=[...]` keeps only those names."""
        return _parse_cookie(str, Class, **kw)

    def _render(self, value):
        parts = ["%s=%s" % (self.name, value)]
        for attr in self._valid_attr:
            if not hasattr(self, attr):
                continue
            if attr in _FLAGS:
                parts.append(attr)
            else:
                parts.append("%s=%s" % (attr, getattr(self, attr)))
        return "; ".join(parts)

    def __str__(self):
        # Values are written as they are: no quoting, which browsers handle badly.
        return self._render(self.value)

    def __repr__(self):
        return "<%s: %s>" % (type(self).__name__, str(self))


def _downgraded(cookie):
    """A plain Cookie with the name and (unverified) value of `cookie`."""
    return Cookie(cookie.name, cookie.value)


def _verify_all(found, check, secret, mismatch):
    """Runs `check(cookie, secret)` on each parsed cookie; one that fails is replaced by a
    plain Cookie, dropped, or raises, as `mismatch` says."""
    for name in list(found):
        try:
            check(found[name], secret)
        except CookieError:
            if mismatch == Cookie.EXCEPTION:
                raise
            if mismatch == Cookie.IGNORE:
                del found[name]
            else:
                found[name] = _downgraded(found[name])
    return found


class SignedCookie(Cookie):
    """A cookie whose value is preceded by its HMAC-MD5 signature (32 hex digits) computed
    with `secret` over the name and the value, as mod_python 3.5 writes them. The value is
    not encrypted: the client can read it, but not change it unnoticed."""

    @classmethod
    def parse(Class, s, secret, mismatch=Cookie.DOWNGRADE, **kw):
        """Like Cookie.parse, verifying each cookie with `secret`. A cookie whose signature
        does not match becomes a plain `Cookie` (mismatch=Cookie.DOWNGRADE, the default),
        is left out (Cookie.IGNORE) or raises CookieError (Cookie.EXCEPTION)."""
        return _verify_all(_parse_cookie(s, Class, **kw), Class.unsign, secret, mismatch)

    def __init__(self, name, value, secret=None, **kw):
        Cookie.__init__(self, name, value, **kw)
        self.__data__["secret"] = secret

    def hexdigest(self, str):
        """The signature of `str` as the value of this cookie (its name is signed too)."""
        secret = self.__data__.get("secret")
        if not secret:
            raise CookieError("Cannot sign without a secret")
        return _signature(secret, self.name, str)

    def __str__(self):
        return self._render(self.hexdigest(self.value) + str(self.value))

    def unsign(self, secret):
        """Checks the signature in the value against `secret`; on success the value becomes
        what was signed, else CookieError."""
        value = self.value if isinstance(self.value, str) else str(self.value)
        claimed, payload = value[:32], value[32:]
        if not secret or not hmac.compare_digest(
                _wire(claimed), _wire(_signature(secret, self.name, payload))):
            raise CookieError("Incorrectly Signed Cookie: %s=%s" % (self.name, self.value))
        self.value = payload
        self.__data__["secret"] = secret


def _signature(secret, name, value):
    mac = hmac.new(_wire(secret), _wire(name), "md5")
    mac.update(_wire(value))
    return mac.hexdigest()


class MarshalCookie(SignedCookie):
    """A signed cookie whose value can be any object `marshal` can write (numbers, strings,
    lists, dicts...). The value travels as base64 of its marshal form. An incoming value is
    only unmarshalled after its signature verified."""

    @classmethod
    def parse(Class, s, secret, mismatch=Cookie.DOWNGRADE, **kw):
        """Like SignedCookie.parse, then decodes each verified value. A cookie that fails
        either step is handled as `mismatch` says (a signed cookie that holds no marshal
        data becomes a plain Cookie with its unsigned text, by default)."""
        return _verify_all(_parse_cookie(s, Class, **kw), Class.unmarshal, secret, mismatch)

    def __str__(self):
        encoded = base64.b64encode(marshal.dumps(self.value)).decode("ascii")
        return self._render(self.hexdigest(encoded) + encoded)

    def unmarshal(self, secret):
        """Verifies the signature (CookieError if it does not match: nothing is decoded
        then), then replaces the value with the object it holds."""
        self.unsign(secret)
        try:
            raw = base64.b64decode(_wire(self.value))
        except (binascii.Error, ValueError):
            raise CookieError("Cannot base64 Decode Cookie: %s=%s"
                              % (self.name, self.value)) from None
        try:
            self.value = marshal.loads(raw)
        except (EOFError, ValueError, TypeError):
            raise CookieError("Cannot Unmarshal Cookie: %s=%s"
                              % (self.name, self.value)) from None


# ---------------------------------------------------------------- parsing

_SPACE_OR_COMMA = " ,"
_NAME_ENDS = "; ="


def _quoted_end(text, start):
    """Index just past the double-quoted string that begins at `start`, or -1 when it is
    not closed (a backslash escapes any character but a newline)."""
    i, n = start + 1, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            return i + 1
        if c == "\\":
            if i + 1 >= n or text[i + 1] == "\n":
                return -1
            i += 2
        else:
            i += 1
    return -1


def _pairs(text):
    """Yields (name, value) for each pair in a cookie header value, in order."""
    i, n = 0, len(text)
    while i < n:
        lead = i
        while i < n and text[i] in _SPACE_OR_COMMA:
            i += 1
        start = i
        while i < n and text[i] not in _NAME_ENDS:
            i += 1
        if i > start:
            name = text[start:i]
        else:
            # Nothing name-like after the separators: the last comma among them, if any,
            # is taken as the name (3.5's parser does so); otherwise there is no pair here.
            comma = text.rfind(",", lead, start)
            if comma < 0:
                i = start + 1
                continue
            name, i = ",", comma + 1
        while i < n and text[i] == " ":
            i += 1
        if i < n and text[i] == "=":
            i += 1
            while i < n and text[i] == " ":
                i += 1
        end = _quoted_end(text, i) if i < n and text[i] == '"' else -1
        if end < 0:
            end = text.find(";", i)
            if end < 0:
                end = n
        value = text[i:end]
        i = end
        while i < n and text[i].isspace():
            i += 1
        if i < n and text[i] == ";":
            i += 1
        yield name, value


def _parse_cookie(str, Class, names=None):
    """{name: Class(name, value)} for the pairs of a cookie header value; a name seen twice
    keeps its last value. Names starting with '$' (RFC 2965 attributes) are left out, and
    with `names` only those names are kept."""
    found = {}
    if isinstance(str, bytes):
        str = str.decode("utf-8", "surrogateescape")
    for name, value in _pairs(str):
        if name.startswith("$"):
            continue
        if names is not None and name not in names:
            continue
        found[name] = Class(name, value)
    return found


# ---------------------------------------------------------------- request helpers

def add_cookie(req, cookie, value="", **kw):
    """Adds a `Set-Cookie:` header for `cookie` (a Cookie, or a name to make one from with
    `value` and attributes `kw`), and, with the first one, `Cache-Control:
    no-cache="set-cookie"` so that caches do not store it."""
    if not isinstance(cookie, Cookie):
        cookie = Cookie(cookie, value, **kw)
    if "Set-Cookie" not in req.headers_out:
        req.headers_out.add("Cache-Control", 'no-cache="set-cookie"')
    req.headers_out.add("Set-Cookie", str(cookie))


def get_cookies(req, Class=Cookie, **kw):
    """The cookies the client sent, as {name: cookie}, parsed by `Class.parse` with `kw`
    (e.g. `secret=` for SignedCookie and MarshalCookie)."""
    if "cookie" not in req.headers_in:
        return {}
    header = req.headers_in["cookie"]
    if isinstance(header, list):
        header = "; ".join(header)
    return Class.parse(header, **kw)


def get_cookie(req, name, Class=Cookie, **kw):
    """The cookie called `name` the client sent (parsed by `Class`), or None."""
    return get_cookies(req, Class, names=[name], **kw).get(name)
