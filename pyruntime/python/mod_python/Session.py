"""mod_python.Session: server-side sessions, with the API of mod_python 3.5.

A session is a dict kept between requests of one client, found again through a cookie
holding its id. `Session(req)` picks the storage from `PythonOption
mod_python.session.session_type` (FileSession, DbmSession or MemorySession), else from the
MPM as mod_python 3.5 does. While a session object is locked (the default), no other
request, in any thread or process, can open the same session; the lock is released by
`unlock()`, or at the latest when the request ends.

Session ids are 32 lowercase hexadecimal digits from `secrets`. An id a client sends (or a
handler passes) that is not exactly that is never used: the request gets a new session.
"""

import dbm
import hashlib
import os
import pickle
import random
import re
import secrets
import stat
import tempfile
import time
import traceback

import _apache

from . import apache, Cookie

PY2 = False

COOKIE_NAME = "pysid"
DFT_TIMEOUT = 30 * 60           # seconds
DFT_LOCK = True
CLEANUP_CHANCE = 1000           # a new session object orders a cleanup once in this many

tempdir = tempfile.gettempdir()

# The only shape a session id may have (\Z: a trailing newline is not accepted).
validate_sid_re = re.compile(r"[0-9a-f]{32}\Z")

# The global mutex that serialises access to DbmSession's database (session locks use the
# others: apache._global_lock maps a key to a mutex other than this one).
_DBM_MUTEX = 0


def md5_hash(s):
    """Hex MD5 of `s` (a str is taken as Latin-1)."""
    if isinstance(s, str):
        s = s.encode("latin-1")
    return hashlib.md5(s).hexdigest()


def _fresh_sid():
    return secrets.token_hex(16)


def _valid_sid(sid):
    """`sid` as a str when it is a well-formed session id, else None."""
    if isinstance(sid, bytes):
        try:
            sid = sid.decode("ascii")
        except UnicodeDecodeError:
            return None
    if isinstance(sid, str) and validate_sid_re.match(sid):
        return sid
    return None


def _option(opts, names, default=None):
    """The value of the first option in `names` that is set, else `default`."""
    for name in names:
        if name in opts:
            return opts[name]
    return default


def true_or_false(item):
    """A PythonOption value read as a boolean: yes/true/1 or no/false/0 (any case);
    anything else raises ValueError."""
    if isinstance(item, str):
        word = item.strip().lower()
        if word in ("yes", "true", "1", "on"):
            return True
        if word in ("no", "false", "0", "off"):
            return False
    elif item is None:
        return False
    elif isinstance(item, (bool, int)) and item in (0, 1):
        return bool(item)
    raise ValueError("not a boolean option value: %r" % (item,))


def _log_traceback(req, prefix, level=apache.APLOG_ERR):
    text = traceback.format_exc().rstrip("\n")
    req.log_error("%s: %s" % (prefix, text), level)


def _expired(record, now=None, grace=0):
    """Whether a stored session record is past its timeout (a broken one counts as
    expired)."""
    try:
        return ((now or time.time()) - record["_accessed"]) > (record["_timeout"] + grace)
    except (KeyError, TypeError):
        return True


class BaseSession(dict):
    """A session: a dict with an id, loaded from and saved to storage by a subclass through
    `do_load()`, `do_save(record)`, `do_delete()` and `do_cleanup()`."""

    def __init__(self, req, sid=None, secret=None, lock=1, timeout=0):
        dict.__init__(self)
        self._req = req
        self._server = req.server
        self._secret = secret
        self._lock = lock
        self._locked = 0
        self._unlock_registered = False
        self._new = 1
        self._created = 0
        self._accessed = 0
        self._timeout = 0
        self._invalid = 0

        if sid:
            self._sid = _valid_sid(sid)
        else:
            self._sid = _valid_sid(self._sid_from_cookie())

        self.init_lock()

        if self._sid:
            self.lock()
            if self.load():
                self._new = 0

        if self._new:
            if self._sid:
                self.unlock()
            self._sid = _fresh_sid()
            self.lock()
            Cookie.add_cookie(req, self.make_cookie())
            self._created = time.time()
            self._timeout = timeout or DFT_TIMEOUT

        self._accessed = time.time()

        if random.randint(1, max(1, int(CLEANUP_CHANCE))) == 1:
            self.cleanup()

    # ------------------------------------------------------------ the cookie

    def _cookie_name(self):
        return _option(self._req.get_options(),
                       ("mod_python.session.cookie_name", "session_cookie_name"), COOKIE_NAME)

    def _sid_from_cookie(self):
        name = self._cookie_name()
        if self._secret:
            cookie = Cookie.get_cookie(self._req, name, Class=Cookie.SignedCookie,
                                       secret=self._secret, mismatch=Cookie.Cookie.IGNORE)
        else:
            cookie = Cookie.get_cookie(self._req, name)
        return cookie.value if cookie is not None else None

    def _default_cookie_path(self):
        """The URL path of the directory whose PythonHandler is running, when that
        directory is inside the document root and the request's URI is under it; else
        '/'."""
        req = self._req
        hlist = getattr(req, "hlist", None)
        directory = getattr(hlist, "directory", None)
        if not directory:
            return "/"
        root = req.document_root().rstrip("/")
        if not directory.startswith(root + "/") and directory != root:
            return "/"
        path = directory[len(root):] or "/"
        if not req.uri.startswith(path):
            return "/"
        return path

    def make_cookie(self):
        """The cookie that carries this session's id (signed when a secret was given)."""
        opts = self._req.get_options()
        name = self._cookie_name()
        if self._secret:
            cookie = Cookie.SignedCookie(name, self._sid, secret=self._secret)
        else:
            cookie = Cookie.Cookie(name, self._sid)
        if "mod_python.session.application_domain" in opts:
            cookie.domain = opts["mod_python.session.application_domain"]
        path = _option(opts, ("mod_python.session.application_path", "ApplicationPath"))
        cookie.path = path if path is not None else self._default_cookie_path()
        # Extensions (not in mod_python 3.5), off unless set.
        if true_or_false(opts.get("mod_python.session.cookie_secure", "0")):
            cookie.secure = True
        if true_or_false(opts.get("mod_python.session.cookie_httponly", "0")):
            cookie.httponly = True
        return cookie

    # ------------------------------------------------------------ state

    def is_new(self):
        return bool(self._new)

    def id(self):
        return self._sid

    def created(self):
        return self._created

    def last_accessed(self):
        return self._accessed

    def timeout(self):
        return self._timeout

    def set_timeout(self, secs):
        self._timeout = secs

    # ------------------------------------------------------------ storage

    def load(self):
        """Reads the session from storage; False when it is not there or has expired."""
        record = self.do_load()
        if record is None or _expired(record):
            return 0
        try:
            created, accessed = record["_created"], record["_accessed"]
            data = dict(record["_data"])
        except (KeyError, TypeError, ValueError):
            return 0
        self._created = created
        self._accessed = accessed
        self._timeout = record["_timeout"]
        self.update(data)
        return 1

    def save(self):
        """Writes the session to storage (not after invalidate())."""
        if self._invalid:
            return
        self.do_save({
            "_data": dict(self),
            "_created": self._created,
            "_accessed": self._accessed,
            "_timeout": self._timeout,
        })

    def delete(self):
        """Removes the session from storage and empties this object."""
        self.do_delete()
        self.clear()

    def invalidate(self):
        """Deletes the session and tells the client to drop its cookie."""
        cookie = self.make_cookie()
        cookie.expires = 0
        Cookie.add_cookie(self._req, cookie)
        self.delete()
        self._invalid = 1

    def cleanup(self):
        """Orders the removal of expired sessions, done by do_cleanup() (which registers a
        request cleanup, so the work happens after the response)."""
        self.do_cleanup()

    def do_cleanup(self):
        pass

    # ------------------------------------------------------------ locking

    def init_lock(self):
        pass

    def lock(self):
        """Takes this session's lock (waiting while another request holds it). It is
        released by unlock() or when the request ends."""
        if not self._lock or self._locked:
            return
        _apache._global_lock(self._server, self._sid)
        self._locked = 1
        if not self._unlock_registered:
            self._req.register_cleanup(unlock_session_cleanup, self)
            self._unlock_registered = True

    def unlock(self):
        if self._lock and self._locked:
            self._release()

    def _release(self):
        self._locked = 0
        _apache._global_unlock(self._server, self._sid)

    def __del__(self):
        try:
            self.unlock()
        except Exception:
            pass


def unlock_session_cleanup(sess):
    """Request cleanup registered by BaseSession.lock()."""
    sess.unlock()


# ---------------------------------------------------------------- DbmSession

def _with_dbm_mutex(server, work):
    _apache._global_lock(server, None, _DBM_MUTEX)
    try:
        return work()
    finally:
        _apache._global_unlock(server, None, _DBM_MUTEX)


# What the dbm implementations add to the name they are given.
_DBM_SUFFIXES = ("", ".db", ".dat", ".dir", ".pag", ".bak")


def _open_dbm(module, filename):
    """Opens (creating it if need be) a session database. Files of it that are symbolic
    links or belong to another user are refused: sessions are unpickled, and the default
    place is the shared temporary directory."""
    for suffix in _DBM_SUFFIXES:
        try:
            info = os.lstat(filename + suffix)
        except FileNotFoundError:
            continue
        if stat.S_ISLNK(info.st_mode) or info.st_uid != os.geteuid():
            raise PermissionError("session database %s%s is a symbolic link or belongs to "
                                  "another user" % (filename, suffix))
    return module.open(filename, "c", stat.S_IRUSR | stat.S_IWUSR | stat.S_IRGRP)


def dbm_cleanup(data):
    """Request cleanup: removes expired (and unreadable) sessions from a DbmSession
    database. `data` is (filename, server[, dbm module])."""
    filename, server = data[0], data[1]
    module = data[2] if len(data) > 2 else dbm

    def sweep():
        db = _open_dbm(module, filename)
        try:
            now = time.time()
            stale = []
            for key in list(db.keys()):
                try:
                    if _expired(pickle.loads(db[key]), now):
                        stale.append(key)
                except Exception:
                    stale.append(key)
            for key in stale:
                try:
                    del db[key]
                except KeyError:
                    pass
        finally:
            db.close()

    _with_dbm_mutex(server, sweep)


class DbmSession(BaseSession):
    """Sessions in one dbm database (`mod_python.dbm_session.database_filename`, default
    mp_sess.dbm in the temporary directory), every access under a global mutex."""

    def __init__(self, req, dbm=None, sid=0, secret=None, dbmtype=dbm,
                 timeout=0, lock=1):
        if not dbm:
            opts = req.get_options()
            dbm = _option(opts, ("mod_python.dbm_session.database_filename", "session_dbm"))
            if not dbm:
                directory = _option(opts, ("mod_python.dbm_session.database_directory",
                                           "mod_python.session.database_directory",
                                           "session_directory"), tempdir)
                dbm = os.path.join(directory, "mp_sess.dbm")
        self._dbmfile = dbm
        self._dbmtype = dbmtype
        BaseSession.__init__(self, req, sid=sid, secret=secret, timeout=timeout, lock=lock)

    def _get_dbm(self):
        return _open_dbm(self._dbmtype, self._dbmfile)

    def _locked_dbm(self, work):
        def run():
            db = self._get_dbm()
            try:
                return work(db)
            finally:
                db.close()
        return _with_dbm_mutex(self._server, run)

    def do_cleanup(self):
        self._req.register_cleanup(dbm_cleanup, [self._dbmfile, self._server, self._dbmtype])
        self._req.log_error("DbmSession: registered database cleanup.", apache.APLOG_NOTICE)

    def do_load(self):
        key = self._sid.encode("ascii")

        def read(db):
            raw = db.get(key)
            return None if raw is None else pickle.loads(raw)

        try:
            return self._locked_dbm(read)
        except Exception:
            _log_traceback(self._req, "DbmSession: cannot load session %s" % self._sid)
            return None

    def do_save(self, dict):
        key = self._sid.encode("ascii")
        data = pickle.dumps(dict)

        def write(db):
            db[key] = data

        self._locked_dbm(write)

    def do_delete(self):
        key = self._sid.encode("ascii")

        def remove(db):
            try:
                del db[key]
            except KeyError:
                pass

        self._locked_dbm(remove)


# ---------------------------------------------------------------- FileSession

DFT_FAST_CLEANUP = True
DFT_VERIFY_CLEANUP = True
DFT_GRACE_PERIOD = 240
DFT_CLEANUP_TIME_LIMIT = 2

FS_STAT_VERSION = "MPFS_3.2"
_FS_LOCKFILE = ".mp_sess.lck"
_FS_STATUSFILE = "fs_status.txt"
_STALE_LOCKFILE_AGE = 3600
_FS_SCRATCH_PREFIX = ".new-"


def make_filesession_dirs(sess_dir):
    """Creates the 256 subdirectories (00 to ff) FileSession spreads its files over."""
    for i in range(256):
        os.makedirs(os.path.join(sess_dir, "%02x" % i),
                    stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP, exist_ok=True)


def _session_file(sessdir, sid):
    """Where a session's file lives; `sid` is validated first, so the path is always two
    levels below `sessdir`."""
    if _valid_sid(sid) is None:
        raise ValueError("invalid session id")
    return os.path.join(sessdir, sid[:2], sid)


def _read_session_file(filename):
    """The record in a session file, or None when there is none. A file not owned by this
    process's user is refused (it could have been planted in a shared temporary
    directory)."""
    try:
        fd = os.open(filename, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        return None
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if info.st_uid != os.geteuid() or not stat.S_ISREG(info.st_mode):
            raise PermissionError("session file %s is not a regular file of uid %d"
                                  % (filename, os.geteuid()))
        return pickle.load(f)


class FileSession(BaseSession):
    """Sessions as one file each, under mp_sess/ in
    `mod_python.file_session.database_directory` (default: the temporary directory)."""

    def __init__(self, req, sid=0, secret=None, timeout=0, lock=1,
                 fast_cleanup=-1, verify_cleanup=-1):
        opts = req.get_options()
        if fast_cleanup == -1:
            fast_cleanup = true_or_false(_option(
                opts, ("mod_python.file_session.enable_fast_cleanup", "session_fast_cleanup"),
                DFT_FAST_CLEANUP))
        if verify_cleanup == -1:
            verify_cleanup = true_or_false(_option(
                opts, ("mod_python.file_session.verify_session_timeout",
                       "session_verify_cleanup"), DFT_VERIFY_CLEANUP))
        self._fast_cleanup = fast_cleanup
        self._verify_cleanup = verify_cleanup
        self._grace_period = int(_option(
            opts, ("mod_python.file_session.cleanup_grace_period", "session_grace_period"),
            DFT_GRACE_PERIOD))
        self._cleanup_time_limit = int(_option(
            opts, ("mod_python.file_session.cleanup_time_limit", "session_cleanup_time_limit"),
            DFT_CLEANUP_TIME_LIMIT))
        directory = _option(opts, ("mod_python.file_session.database_directory",
                                   "mod_python.session.database_directory",
                                   "session_directory"), tempdir)
        self._sessdir = os.path.join(directory, "mp_sess")
        # the timeout the cleanup assumes for files it does not read
        self._cleanup_timeout = timeout or DFT_TIMEOUT
        BaseSession.__init__(self, req, sid=sid, secret=secret, timeout=timeout, lock=lock)

    def do_cleanup(self):
        data = {
            "req": self._req,
            "sessdir": self._sessdir,
            "fast_cleanup": self._fast_cleanup,
            "verify_cleanup": self._verify_cleanup,
            "timeout": self._cleanup_timeout,
            "grace_period": self._grace_period,
            "cleanup_time_limit": self._cleanup_time_limit,
        }
        self._req.register_cleanup(filesession_cleanup, data)
        self._req.log_error("FileSession: registered filesession cleanup.",
                            apache.APLOG_NOTICE)

    def do_load(self):
        self.lock_file()
        try:
            filename = _session_file(self._sessdir, self._sid)
            record = _read_session_file(filename)
            if record is not None and not _expired(record):
                # keep a cleanup running now from taking it before it is saved again
                os.utime(filename, None)
            return record
        except Exception:
            _log_traceback(self._req, "FileSession: error while loading a session")
            return None
        finally:
            self.unlock_file()

    def do_save(self, dict):
        self.lock_file()
        try:
            filename = _session_file(self._sessdir, self._sid)
            directory = os.path.dirname(filename)
            if not os.path.isdir(directory):
                make_filesession_dirs(self._sessdir)
            # write a new file and rename it over the old one: a reader never sees half
            fd, scratch = tempfile.mkstemp(prefix=_FS_SCRATCH_PREFIX, dir=directory)
            try:
                with os.fdopen(fd, "wb") as f:
                    pickle.dump(dict, f, 2)
                os.chmod(scratch, stat.S_IRUSR | stat.S_IWUSR | stat.S_IRGRP)
                os.replace(scratch, filename)
            except BaseException:
                try:
                    os.unlink(scratch)
                except OSError:
                    pass
                raise
        except Exception:
            _log_traceback(self._req, "FileSession: error while saving a session")
        finally:
            self.unlock_file()

    def do_delete(self):
        self.lock_file()
        try:
            try:
                os.unlink(_session_file(self._sessdir, self._sid))
            except (OSError, ValueError):
                pass
        finally:
            self.unlock_file()

    def lock_file(self):
        # With session locking on, the session lock already covers the file.
        if not self._locked:
            _apache._global_lock(self._server, self._sid)
            self._locked = 1

    def unlock_file(self):
        if self._locked and not self._lock:
            self._release()


def _read_cleanup_status(sessdir):
    """(next subdirectory index, expired, total, seconds) saved by the last cleanup."""
    try:
        with open(os.path.join(sessdir, _FS_STATUSFILE)) as f:
            fields = f.readline().split()
        if len(fields) == 5 and fields[0] == FS_STAT_VERSION:
            return (int(fields[1]) % 256, int(fields[2]), int(fields[3]), float(fields[4]))
    except (OSError, ValueError):
        pass
    return (0, 0, 0, 0.0)


def _write_cleanup_status(sessdir, status):
    with open(os.path.join(sessdir, _FS_STATUSFILE), "w") as f:
        f.write("%s %d %d %d %f\n" % ((FS_STAT_VERSION,) + tuple(status)))


def _take_cleanup_lockfile(req, sessdir):
    """Creates the cleanup's lock file; False when another cleanup holds it (a lock file
    over an hour old is removed, and this cleanup is skipped)."""
    lockfile = os.path.join(sessdir, _FS_LOCKFILE)
    try:
        os.close(os.open(lockfile, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o660))
        return True
    except FileExistsError:
        pass
    except OSError as e:
        req.log_error("FileSession cleanup: cannot create %s: %s" % (lockfile, e),
                      apache.APLOG_NOTICE)
        return False
    try:
        if os.stat(lockfile).st_mtime < time.time() - _STALE_LOCKFILE_AGE:
            req.log_error("FileSession cleanup: stale lockfile found - deleting it",
                          apache.APLOG_NOTICE)
            os.remove(lockfile)
        else:
            req.log_error("FileSession cleanup: another process is already running",
                          apache.APLOG_NOTICE)
    except OSError:
        pass
    return False


def _file_expired(filename, fast, verify, timeout, grace, now):
    """Whether the cleanup removes this file of a session directory."""
    old = now - os.lstat(filename).st_mtime >= timeout + grace
    if fast and not old:
        return False
    if os.path.basename(filename).startswith(_FS_SCRATCH_PREFIX):
        return old  # left by a save that never finished
    if fast and not verify:
        return True
    try:
        record = _read_session_file(filename)
    except Exception:
        return old  # unreadable: removed once it is old enough
    return record is not None and _expired(record, now, grace)


def filesession_cleanup(data):
    """Request cleanup: removes expired FileSession files. It works through the 256
    subdirectories for at most `cleanup_time_limit` seconds (0: no limit) and the next
    cleanup continues where it stopped. A file is kept until `grace_period` seconds after
    its session expired."""
    req = data["req"]
    sessdir = data["sessdir"]
    fast, verify = data["fast_cleanup"], data["verify_cleanup"]
    timeout, grace = data["timeout"], data["grace_period"]
    limit = data["cleanup_time_limit"]

    if not os.path.isdir(sessdir):
        return
    req.log_error("FileSession cleanup: (fast=%s, verify=%s) ..." % (fast, verify),
                  apache.APLOG_NOTICE)
    if not _take_cleanup_lockfile(req, sessdir):
        return
    try:
        next_index, expired, total, spent = _read_cleanup_status(sessdir)
        started = time.time()
        for index in range(next_index, 256):
            subdir = os.path.join(sessdir, "%02x" % index)
            try:
                names = os.listdir(subdir)
            except OSError:
                names = []
            total += len(names)
            for name in names:
                filename = os.path.join(subdir, name)
                try:
                    if _file_expired(filename, fast, verify, timeout, grace, time.time()):
                        os.unlink(filename)
                        expired += 1
                except FileNotFoundError:
                    pass
                except Exception:
                    _log_traceback(req, "FileSession cleanup error", apache.APLOG_NOTICE)
            next_index = (index + 1) % 256
            if limit > 0 and time.time() - started > limit:
                break
        spent += time.time() - started
        if next_index == 0:
            req.log_error("FileSession cleanup: deleted %d of %d in %.4f seconds"
                          % (expired, total, spent), apache.APLOG_NOTICE)
            expired, total, spent = 0, 0, 0.0
        else:
            req.log_error("FileSession cleanup incomplete: next cleanup will start at "
                          "index %d (%02x)" % (next_index, next_index), apache.APLOG_NOTICE)
        _write_cleanup_status(sessdir, (next_index, expired, total, spent))
    finally:
        try:
            os.unlink(os.path.join(sessdir, _FS_LOCKFILE))
        except OSError:
            pass


# ---------------------------------------------------------------- MemorySession

def mem_cleanup(sdict):
    """Request cleanup: removes expired sessions from MemorySession's dict."""
    now = time.time()
    for sid in list(sdict.keys()):
        record = sdict.get(sid)
        if record is not None and _expired(record, now):
            sdict.pop(sid, None)


class MemorySession(BaseSession):
    """Sessions in a dict of this interpreter: fast, but seen only by the requests one
    process (and interpreter) serves."""

    sdict = {}

    def __init__(self, req, sid=0, secret=None, timeout=0, lock=1):
        BaseSession.__init__(self, req, sid=sid, secret=secret, timeout=timeout, lock=lock)

    def do_cleanup(self):
        self._req.register_cleanup(mem_cleanup, MemorySession.sdict)
        self._req.log_error("MemorySession: registered session cleanup.", apache.APLOG_NOTICE)

    def do_load(self):
        return MemorySession.sdict.get(self._sid)

    def do_save(self, dict):
        MemorySession.sdict[self._sid] = dict

    def do_delete(self):
        MemorySession.sdict.pop(self._sid, None)


# ---------------------------------------------------------------- RedisSession

class _Redis:
    """The few Redis commands RedisSession needs, over one connection (RESP)."""

    def __init__(self, url):
        import socket
        import urllib.parse
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("redis", ""):
            raise ValueError("mod_python.session.redis_url must be redis://host:port/db")
        self._sock = socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379),
                                              timeout=10)
        self._file = self._sock.makefile("rb")
        if parts.password:
            self.call("AUTH", parts.password)
        db = (parts.path or "/").strip("/")
        if db:
            self.call("SELECT", db)

    def call(self, *words):
        out = [b"*%d\r\n" % len(words)]
        for w in words:
            w = w if isinstance(w, bytes) else str(w).encode("utf-8")
            out.append(b"$%d\r\n%s\r\n" % (len(w), w))
        self._sock.sendall(b"".join(out))
        return self._reply()

    def _reply(self):
        line = self._file.readline()
        if not line.endswith(b"\r\n"):
            raise IOError("Redis closed the connection")
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return rest
        if kind == b"-":
            raise IOError("Redis: %s" % rest.decode("utf-8", "replace"))
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self._file.read(n + 2)
            return data[:-2]
        if kind == b"*":
            return [self._reply() for _ in range(max(0, int(rest)))]
        raise IOError("Redis: unexpected reply %r" % line[:40])

    def close(self):
        try:
            self._file.close()
            self._sock.close()
        except OSError:
            pass


_REDIS_UNLOCK = ("if redis.call('get', KEYS[1]) == ARGV[1] then "
                 "return redis.call('del', KEYS[1]) else return 0 end")


class RedisSession(BaseSession):
    """Sessions in Redis, shared by every server that uses the same one:
    `PythonOption mod_python.session.redis_url redis://host:port/db` (default
    redis://127.0.0.1:6379/0) and `mod_python.session.redis_prefix` (default `mp_sess:`).
    Each session is one key holding its pickled record, expiring with the session; its
    lock is a Redis key too (SET NX with an expiry), so it holds across hosts."""

    def __init__(self, req, sid=0, secret=None, timeout=0, lock=1):
        opts = req.get_options()
        self._redis_url = _option(opts, ("mod_python.session.redis_url",), "redis://127.0.0.1:6379/0")
        self._prefix = _option(opts, ("mod_python.session.redis_prefix",), "mp_sess:")
        self._conn = None
        self._token = None
        BaseSession.__init__(self, req, sid=sid, secret=secret, timeout=timeout, lock=lock)

    def _redis(self):
        if self._conn is None:
            self._conn = _Redis(self._redis_url)
        return self._conn

    def _key(self, suffix=""):
        return "%s%s%s" % (self._prefix, self._sid, suffix)

    def do_load(self):
        data = self._redis().call("GET", self._key())
        if data is None:
            return None
        try:
            record = pickle.loads(data)
        except Exception:
            return None
        return record if isinstance(record, dict) else None

    def do_save(self, dict):
        ttl = int(max(1, self._timeout or DFT_TIMEOUT)) + 60
        self._redis().call("SET", self._key(), pickle.dumps(dict), "EX", ttl)

    def do_delete(self):
        self._redis().call("DEL", self._key())

    def lock(self):
        if not self._lock or self._locked:
            return
        token = secrets.token_hex(16)
        deadline = time.time() + 30
        while self._redis().call("SET", self._key(":lock"), token, "NX", "PX", 30000) is None:
            if time.time() > deadline:
                raise IOError("RedisSession: session %s stayed locked for 30 s" % self._sid)
            time.sleep(0.01)
        self._token = token
        self._locked = 1
        if not self._unlock_registered:
            self._req.register_cleanup(unlock_session_cleanup, self)
            self._unlock_registered = True

    def _release(self):
        self._locked = 0
        try:
            self._redis().call("EVAL", _REDIS_UNLOCK, 1, self._key(":lock"), self._token)
        finally:
            self._token = None
            # The request is done with Redis once its session is unlocked.
            self._conn.close()
            self._conn = None


# ---------------------------------------------------------------- Session()

_SESSION_TYPES = {
    "FileSession": FileSession,
    "DbmSession": DbmSession,
    "MemorySession": MemorySession,
    "RedisSession": RedisSession,
}


def _default_session_type():
    threaded = _apache.mpm_query(apache.AP_MPMQ_IS_THREADED)
    forked = _apache.mpm_query(apache.AP_MPMQ_IS_FORKED)
    daemons = _apache.mpm_query(apache.AP_MPMQ_MAX_DAEMONS)
    # one process serves every request: a dict in memory is enough
    if threaded and (not forked or daemons == 1):
        return "MemorySession"
    return "DbmSession"


def Session(req, sid=0, secret=None, timeout=0, lock=1):
    """A session of the class `PythonOption mod_python.session.session_type` names
    (FileSession, DbmSession, MemorySession or RedisSession; the older option `session`
    too), else
    MemorySession when one process serves every request and DbmSession otherwise."""
    opts = req.get_options()
    kind = _option(opts, ("mod_python.session.session_type", "session"))
    if kind is None:
        kind = _default_session_type()
    cls = _SESSION_TYPES.get(kind)
    if cls is None:
        raise Exception("Unknown session type %s" % kind)
    return cls(req, sid=sid, secret=secret, timeout=timeout, lock=lock)
