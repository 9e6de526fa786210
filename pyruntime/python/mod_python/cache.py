"""Thread-safe caches of values built on demand, as mod_python 3.5 documents them: `Cache`
(optionally bounded, least recently used first out), `WeakCache`, `FileCache` (a file's
content, rebuilt when its mtime changes), `ModuleCache` (a Python file run as a module, kept
out of sys.modules; the publisher's page cache), `HTTPCache` and `HttpModuleCache` (the same
for URLs, honouring max-age, Expires, ETag and Last-Modified) and `FunctionCache`
(memoised calls).

A subclass says what a value is with three methods: `key(name)` (the cache key of what
`cache[name]` was given), `check(key, name, entry)` (None when the cached value is still
good, else an opened resource to rebuild from) and `build(key, name, opened, entry)`. Each
entry has its own lock, so two threads asking for the same name build it once.
"""

import collections
import email.utils
import os
import re
import threading
import time
import types
import urllib.error
import urllib.request
import weakref

# The value of an entry nothing was built for yet.
NOT_INITIALIZED = object()


class Entry(object):
    """One cached value, its key and its lock; subclasses keep metadata on it."""

    def __init__(self, key):
        self._key = key
        self._value = NOT_INITIALIZED
        self._lock = threading.Lock()


class Cache(object):
    """A cache of values built on demand. With `max_size`, it keeps at most that many
    entries, dropping the least recently used first; 0 means no bound."""

    def __init__(self, max_size=0):
        self._maxsize = max_size
        self._dict = collections.OrderedDict()
        self._lock = threading.Lock()

    def _get_entry(self, key):
        with self._lock:
            entry = self._dict.get(key)
            if entry is None:
                entry = self._dict[key] = Entry(key)
                if self._maxsize:
                    while len(self._dict) > self._maxsize:
                        self._dict.popitem(last=False)
            elif self._maxsize:
                self._dict.move_to_end(key)
            return entry

    def __setitem__(self, name, value):
        entry = self._get_entry(self.key(name))
        with entry._lock:
            self._pack(entry, value)
            self.commit()

    def __getitem__(self, name):
        return self._checkitem(name)[2]

    def __delitem__(self, name):
        with self._lock:
            del self._dict[self.key(name)]

    def _checkitem(self, name):
        """(rebuilt, key, value, entry) for `name`, building the value when it is missing
        or stale."""
        key = self.key(name)
        entry = self._get_entry(key)
        with entry._lock:
            value = self._unpack(entry)
            fresh_needed = value is NOT_INITIALIZED
            opened = self.check(key, name, entry)
            if fresh_needed or opened is not None:
                value = self.build(key, name, opened, entry)
                self._pack(entry, value)
                self.commit()
                return True, key, value, entry
            return False, key, value, entry

    def mru(self):
        """The most recently used key (bounded caches only, else None)."""
        if not self._maxsize:
            return None
        with self._lock:
            return next(reversed(self._dict), None)

    def lru(self):
        """The least recently used key (bounded caches only, else None)."""
        if not self._maxsize:
            return None
        with self._lock:
            return next(iter(self._dict), None)

    def key(self, name):
        """The key of `name`; the name itself unless a subclass says otherwise."""
        return name

    def commit(self):
        """Called after every change of a value (for subclasses that persist)."""

    def clear(self):
        with self._lock:
            self._dict.clear()

    def check(self, key, name, entry):
        """None when the entry's value is current, else an opened resource for `build`."""
        return None

    def build(self, key, name, opened, entry):
        """Makes the value of `name` from `opened`."""
        raise NotImplementedError()

    def _pack(self, entry, value):
        entry._value = value

    def _unpack(self, entry):
        return entry._value


class WeakCache(Cache):
    """Holds its values by weak reference: a value nothing else uses any more is dropped."""

    def _pack(self, entry, value):
        key = entry._key

        def forget(_ref, cache=weakref.ref(self)):
            c = cache()
            if c is not None:
                with c._lock:
                    if c._dict.get(key) is entry:
                        del c._dict[key]

        entry._value = weakref.ref(value, forget)

    def _unpack(self, entry):
        if entry._value is NOT_INITIALIZED:
            return NOT_INITIALIZED
        value = entry._value()
        return NOT_INITIALIZED if value is None else value


class FileCache(Cache):
    """The content of files by name, read again when a file's modification time changes."""

    def __init__(self, max_size=0, mode="rb"):
        Cache.__init__(self, max_size)
        self.mode = mode

    def check(self, key, name, entry):
        mtime = os.stat(key).st_mtime
        if entry._value is not NOT_INITIALIZED and getattr(entry, "_timestamp", None) == mtime:
            return None
        entry._timestamp = mtime
        return open(key, self.mode)

    def build(self, key, name, opened, entry):
        with opened:
            return opened.read()


def parseRFC822Time(t):
    """Seconds since the epoch of an HTTP date."""
    return email.utils.mktime_tz(email.utils.parsedate_tz(t))


_max_age = re.compile(r"max-age\s*=\s*(\d+)", re.I)


class HTTPEntity(object):
    """A body fetched by `HTTPCache` with its response headers (`metadata`)."""

    def __init__(self, entity, metadata):
        self.entity = entity
        self.metadata = metadata

    def __repr__(self):
        return "HTTPEntity(%r, %r)" % (self.entity, self.metadata)

    def __str__(self):
        e = self.entity
        return e.decode("latin-1") if isinstance(e, bytes) else e


class HTTPCache(Cache):
    """Bodies of URLs: fetched again once `Cache-Control: max-age` or `Expires` says they are
    stale, revalidated with `If-None-Match` / `If-Modified-Since`."""

    def check(self, key, name, entry):
        if time.time() < getattr(entry, "_expires", 0):
            return None
        request = urllib.request.Request(key)
        validator = getattr(entry, "_validator", None)
        if validator is not None and entry._value is not NOT_INITIALIZED:
            request.add_header(*validator)
        try:
            opened = urllib.request.urlopen(request)
        except urllib.error.HTTPError as e:
            if e.code == 304 and entry._value is not NOT_INITIALIZED:
                return None
            raise
        headers = opened.info()
        match = _max_age.search(headers.get("cache-control", ""))
        if match:
            entry._expires = time.time() + int(match.group(1))
        elif headers.get("expires") and headers.get("date"):
            try:
                lifetime = parseRFC822Time(headers["expires"]) - parseRFC822Time(headers["date"])
                entry._expires = time.time() + lifetime
            except (TypeError, ValueError):
                pass
        if headers.get("etag"):
            entry._validator = ("If-None-Match", headers["etag"])
        elif headers.get("last-modified"):
            entry._validator = ("If-Modified-Since", headers["last-modified"])
        return opened

    def build(self, key, name, opened, entry):
        with opened:
            return HTTPEntity(opened.read(), dict(opened.info()))


_not_word = re.compile(r"\W+")


def _run_as_module(key, source, filename):
    module = types.ModuleType(_not_word.sub("_", key))
    module.__file__ = key
    exec(compile(source, filename, "exec"), module.__dict__)
    return module


class ModuleCache(FileCache):
    """Python files run as modules (not put in sys.modules), run again when they change."""

    def __init__(self, max_size=0):
        FileCache.__init__(self, max_size, "rb")

    def build(self, key, name, opened, entry):
        with opened:
            source = opened.read()
        return _run_as_module(key, source, key)


class HttpModuleCache(HTTPCache):
    """Python files fetched by URL and run as modules."""

    def __init__(self, max_size=0):
        HTTPCache.__init__(self, max_size)

    def build(self, key, name, opened, entry):
        with opened:
            source = opened.read().replace(b"\r\n", b"\n")
        return _run_as_module(key, source, name)


class FunctionCache(Cache):
    """Memoises `function`: calling the cache with arguments calls the function once per
    distinct arguments (which must be hashable)."""

    def __init__(self, function, max_size=0):
        Cache.__init__(self, max_size)
        self.function = function

    def __call__(self, *args, **kw):
        return self[args, tuple(kw.items())]

    def build(self, key, name, opened, entry):
        args, kw = key
        return self.function(*args, **dict(kw))
