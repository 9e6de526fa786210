# Handlers for module/tests/library_cookie_session.rs: mod_python.Cookie and
# mod_python.Session as applications use them. One handler; the last part of the URI
# names the action.

import marshal

from mod_python import apache, Cookie, Session

import _apache

SECRET = "test-secret"


def _query(req):
    return {k: v[0] for k, v in _apache.parse_qs(req.args or "", 1).items()}


def _described(cookies):
    return "; ".join("%s:%s=%r" % (type(c).__name__, name, c.value)
                     for name, c in sorted(cookies.items()))


def cookie_set(req):
    Cookie.add_cookie(req, "spam", "eggs", path="/", expires=0)
    Cookie.add_cookie(req, Cookie.Cookie("other", "1", httponly=True))
    return "set"


def cookie_list(req):
    return "%d: %s" % (len(Cookie.get_cookies(req)), _described(Cookie.get_cookies(req)))


def signed_set(req):
    Cookie.add_cookie(req, Cookie.SignedCookie("s", "hello", secret=SECRET))
    return "set"


def signed_get(req):
    c = Cookie.get_cookie(req, "s", Class=Cookie.SignedCookie, secret=SECRET)
    return "none" if c is None else "%s %s" % (type(c).__name__, c.value)


def marshal_set(req):
    value = {"n": [1, 2, 3], "s": "text", "f": 1.5}
    Cookie.add_cookie(req, Cookie.MarshalCookie("m", value, SECRET))
    return "set"


class _CountingMarshal:
    """Stands in for the marshal module inside mod_python.Cookie, counting loads()."""

    def __init__(self):
        self.calls = 0

    dumps = staticmethod(marshal.dumps)

    def loads(self, data, *args):
        self.calls += 1
        return marshal.loads(data, *args)


def marshal_get(req):
    # Nothing may reach marshal.loads unless the signature verified.
    spy = _CountingMarshal()
    Cookie.marshal = spy
    try:
        secret = _query(req).get("secret", SECRET)
        cookies = Cookie.get_cookies(req, Cookie.MarshalCookie, secret=secret)
    finally:
        Cookie.marshal = marshal
    return "%s | loads=%d" % (_described(cookies), spy.calls)


def counter(req):
    query = _query(req)
    if "sid" in query:
        sess = Session.Session(req, sid=query["sid"])
    elif "secret" in query:
        sess = Session.Session(req, secret=query["secret"])
    else:
        sess = Session.Session(req)
    sess["n"] = sess.get("n", 0) + 1
    sess.save()
    # the lock is left for the request cleanup to release
    return "%d %s %s %s" % (sess["n"], sess.id(), type(sess).__name__, int(sess.is_new()))


def short_lived(req):
    # a session that expires one second after this request
    sess = Session.Session(req, timeout=1)
    sess["x"] = 1
    sess.save()
    return sess.id()


def cleanup(req):
    # Orders the cleanup of expired sessions (which runs after the response); the timeout
    # of this session is what a FileSession cleanup assumes for files it does not read.
    sess = Session.Session(req, timeout=1)
    sess.cleanup()
    return sess.id()


def invalidate(req):
    sess = Session.Session(req)
    sess.invalidate()
    return sess.id()


ACTIONS = {f.__name__: f for f in (cookie_set, cookie_list, signed_set, signed_get,
                                   marshal_set, marshal_get, counter, short_lived, cleanup,
                                   invalidate)}


def handler(req):
    action = req.uri.rsplit("/", 1)[-1]
    req.content_type = "text/plain"
    req.write(ACTIONS[action](req))
    return apache.OK
