"""CGI emulation for mod_python.apache: `setup_cgi(req)` points os.environ, sys.stdin and
sys.stdout at the request so that a script written for CGI runs inside Apache, and
`restore_nocgi()` puts everything back. Re-exported by mod_python.apache, where mod_python 3.5
defines them.

sys.stdin reads the request body as bytes (`sys.stdin.buffer` is the same object, for code
that asks for it); sys.stdout takes str or bytes, reads the CGI header block the script
writes first (Status:, Content-Type:, other headers) into the response, and sends the rest
as the body.
"""

import os
import sys


class NullIO(object):
    """A file that is always empty and swallows what is written to it."""

    def tell(self):
        return 0

    def read(self, n=-1):
        return ""

    def readline(self, length=None):
        return ""

    def readlines(self):
        return []

    def write(self, s):
        pass

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def isatty(self):
        return 0

    def flush(self):
        pass

    def close(self):
        pass

    def detach(self):
        pass

    def seek(self, pos, mode=0):
        pass


class CGIStdin(NullIO):
    """The request body, read on demand, as bytes."""

    CHUNK = 65536

    def __init__(self, req):
        self.req = req
        self.pos = 0
        self._pending = b""     # read from the request, not yet handed out

    @property
    def buffer(self):
        return self

    def _take(self, n):
        piece, self._pending = self._pending[:n], self._pending[n:]
        self.pos += len(piece)
        return piece

    def _fill(self):
        more = self.req.read(self.CHUNK)
        self._pending += more
        return bool(more)

    def read(self, n=-1):
        if n is None or n < 0:
            while self._fill():
                pass
            return self._take(len(self._pending))
        while len(self._pending) < n and self._fill():
            pass
        return self._take(n)

    def readline(self, n=-1):
        limit = None if n is None or n < 0 else n
        while True:
            end = self._pending.find(b"\n")
            if end >= 0 and (limit is None or end < limit):
                return self._take(end + 1)
            if limit is not None and len(self._pending) >= limit:
                return self._take(limit)
            if not self._fill():
                return self._take(len(self._pending))

    def readlines(self, hint=-1):
        lines = []
        while True:
            line = self.readline()
            if not line:
                return lines
            lines.append(line)

    def __iter__(self):
        return iter(self.readline, b"")


class CGIStdout(NullIO):
    """What a CGI script prints: its header block goes into the response's status and
    headers, the rest is the body."""

    def __init__(self, req):
        self.req = req
        self.pos = 0
        self.headers_sent = 0
        self._head = b""

    @property
    def buffer(self):
        return self

    def tell(self):
        return self.pos

    def write(self, s):
        if not s:
            return 0
        data = s.encode("utf-8", "surrogateescape") if isinstance(s, str) else bytes(s)
        self.pos += len(data)
        if self.headers_sent:
            self.req.write(data)
            return len(s)
        self._head += data
        for blank in (b"\r\n\r\n", b"\n\n"):
            head, sep, body = self._head.partition(blank)
            if sep:
                self._send_headers(head)
                self.headers_sent = 1
                self._head = b""
                if body:
                    self.req.write(body)
                break
        return len(s)

    def _send_headers(self, head):
        for line in head.replace(b"\r\n", b"\n").split(b"\n"):
            if not line.strip():
                continue
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip(), value.strip()
            if name.lower() == "status":
                self.req.status = int(value.split()[0])
            elif name.lower() == "content-type":
                self.req.content_type = value
            else:
                self.req.headers_out.add(name, value)

    def flush(self):
        if self.headers_sent:
            self.req.flush()


def _replace_environ(mapping):
    """Makes os.environ hold exactly `mapping`, without putenv/unsetenv: changing the C
    environment while other threads of a threaded MPM read it (getenv, localtime) can crash
    the process, and what Python code reads is os.environ."""
    env = os.environ
    data = getattr(env, "_data", None)
    if data is None or not hasattr(env, "encodekey"):
        env.clear()
        env.update(mapping)
        return
    data.clear()
    for key, value in mapping.items():
        data[env.encodekey(key)] = env.encodevalue(value)


def setup_cgi(req):
    """Points os.environ (the request's CGI variables added), sys.stdin and sys.stdout at
    `req`; returns what restore_nocgi() needs to undo it."""
    from mod_python.apache import build_cgi_env
    saved = (os.environ.copy(), sys.stdin, sys.stdout)
    env = dict(saved[0])
    env.update(build_cgi_env(req))
    _replace_environ(env)
    sys.stdin = CGIStdin(req)
    sys.stdout = CGIStdout(req)
    sys.argv = []      # CGI scripts look at sys.argv; there are no arguments
    return saved


def restore_nocgi(saved_env, stdin, stdout):
    """Undoes setup_cgi(): the environment as it was, and the original stdin and stdout."""
    _replace_environ(saved_env)
    sys.stdin = stdin
    sys.stdout = stdout
