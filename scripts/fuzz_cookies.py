#!/usr/bin/env python3
"""Fuzzes mod_python.Cookie's parsers (plain, signed, marshalled) and mod_python.Session's
session-id checks with the standard library only: `Cookie:` headers mutated from seeds (flipped, cut, spliced, with `;,="$` NUL and
high bytes thrown in) for a bounded time. For every input:

- Cookie.parse, SignedCookie.parse and MarshalCookie.parse return, never raise;
- a cookie SignedCookie.parse accepts as signed carries a signature of its value that was
  in the input (nothing unsigned is taken as signed);
- MarshalCookie.parse with a secret no input was signed with never reaches marshal.loads;
- a session id (taken from the same inputs, as a cookie value or bytes) is accepted only
  when it is 32 lowercase hex digits, and the session file it names stays two levels under
  the session directory.

    scripts/fuzz_cookies.py [SECONDS] [--seed N]

Cookie.py and Session.py are loaded from the source tree (Session.py with stand-ins for the
parts of Apache it imports). A failing input is
written to target/fuzz-cookies-crash.txt.
"""

import importlib.util
import os
import random
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE = os.path.join(ROOT, "pyruntime", "python", "mod_python", "Cookie.py")


def load_cookie_module():
    spec = importlib.util.spec_from_file_location("mp_cookie_under_fuzz", SOURCE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_session_module(cookie):
    """Session.py as the module `mp_fuzz.Session`, with stand-ins for `_apache` and
    `mod_python.apache` (only their log levels are read at import)."""
    import types
    package = types.ModuleType("mp_fuzz")
    package.__path__ = []
    apache = types.ModuleType("mp_fuzz.apache")
    apache.APLOG_ERR, apache.APLOG_NOTICE = 3, 5
    sys.modules.update({"mp_fuzz": package, "mp_fuzz.apache": apache,
                        "mp_fuzz.Cookie": cookie, "_apache": types.ModuleType("_apache")})
    path = os.path.join(os.path.dirname(SOURCE), "Session.py")
    spec = importlib.util.spec_from_file_location("mp_fuzz.Session", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


HEX = set("0123456789abcdef")


def check_sid(Session, text):
    for candidate in (text, text.encode("utf-8", "surrogateescape"), text.split("=", 1)[-1]):
        sid = Session._valid_sid(candidate)
        if sid is None:
            continue
        if not (isinstance(sid, str) and len(sid) == 32 and set(sid) <= HEX):
            raise AssertionError("accepted a malformed session id: %r" % (candidate,))
        path = os.path.realpath(Session._session_file("/srv/sessions", sid))
        if os.path.dirname(os.path.dirname(path)) != "/srv/sessions":
            raise AssertionError("session file outside its directory: %r" % path)


def seeds(Cookie):
    signed = str(Cookie.SignedCookie("sess", "user=ada;admin=0", secret="k"))
    marshalled = str(Cookie.MarshalCookie("data", {"a": [1, 2.5, "x"], "b": None}, secret="k"))
    return [
        "a=1; b=2",
        'name="quoted; value"; other=x',
        "$Version=1; a=1; $Path=/; b=\"2\"",
        ";;;, =x; a=\"unclosed; ",
        "a=" + "z" * 300,
        signed.split(";")[0],
        marshalled.split(";")[0],
        signed.split(";")[0] + "; " + marshalled.split(";")[0] + "; plain=1",
        "weird\x00name=\xff\xfe; ok=1",
        "expires=Wed, 09 Jun 2021 10:18:14 GMT; max-age=0; secure; httponly",
    ]


SPECIAL = [";", ",", "=", '"', "$", " ", "\x00", "\xff", "\\", "\t", "\r\n", "%", "0", "a"]


def mutate(rng, text, pool):
    s = list(text)
    for _ in range(rng.randint(1, 6)):
        op = rng.randrange(6)
        if op == 0 and s:
            del s[rng.randrange(len(s))]
        elif op == 1:
            s.insert(rng.randint(0, len(s)), rng.choice(SPECIAL))
        elif op == 2 and s:
            i = rng.randrange(len(s))
            s[i] = chr(rng.randrange(256))
        elif op == 3 and s:
            cut = rng.randint(0, len(s))
            s = s[:cut] if rng.random() < 0.5 else s[cut:]
        elif op == 4:
            other = rng.choice(pool)
            cut = rng.randint(0, len(other))
            s += list(other[cut:])
        else:
            s.insert(rng.randint(0, len(s)), "".join(rng.choice(SPECIAL) for _ in range(rng.randint(1, 8))))
    return "".join(s)


class Unmarshalled(Exception):
    pass


def check(Cookie, text, forbidden_loads):
    Cookie.Cookie.parse(text)
    for c in Cookie.SignedCookie.parse(text, "k").values():
        if isinstance(c, Cookie.SignedCookie):
            signature = Cookie._signature("k", c.name, c.value)
            if signature + str(c.value) not in text:
                raise AssertionError("accepted as signed without its signature: %r" % (c.value,))
    Cookie.MarshalCookie.parse(text, "k")
    forbidden_loads[0] = True
    try:
        Cookie.MarshalCookie.parse(text, "a secret nothing was signed with")
    finally:
        forbidden_loads[0] = False


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 and not sys.argv[1].startswith("-") else 20
    seed = int(sys.argv[sys.argv.index("--seed") + 1]) if "--seed" in sys.argv else int(time.time())
    rng = random.Random(seed)
    Cookie = load_cookie_module()
    forbidden_loads = [False]
    real_loads = Cookie.marshal.loads

    def guarded_loads(data):
        if forbidden_loads[0]:
            raise Unmarshalled("marshal.loads reached without a valid signature")
        return real_loads(data)

    class MarshalGuard:
        loads = staticmethod(guarded_loads)
        dumps = staticmethod(Cookie.marshal.dumps)

    Cookie.marshal = MarshalGuard
    Session = load_session_module(Cookie)
    pool = seeds(Cookie) + ["pysid=0123456789abcdef0123456789abcdef", "../../etc/passwd",
                            "0123456789abcdef0123456789abcdef\n", "0123456789ABCDEF0123456789abcdef"]
    runs = 0
    deadline = time.time() + seconds
    while time.time() < deadline:
        text = mutate(rng, rng.choice(pool), pool)
        try:
            check(Cookie, text, forbidden_loads)
            check_sid(Session, text)
        except BaseException as e:   # anything escaping a parser is a finding
            path = os.path.join(ROOT, "target", "fuzz-cookies-crash.txt")
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8", errors="surrogateescape") as f:
                f.write(text)
            print("fuzz_cookies: %s: %r on input %r (seed %d; saved to %s)"
                  % (type(e).__name__, e, text, seed, path))
            sys.exit(1)
        runs += 1
        if runs % 50 == 0 and len(pool) < 400:
            pool.append(text)
    print("fuzz_cookies: Done %d runs in %.0f second(s) (seed %d), no finding" % (runs, seconds, seed))


if __name__ == "__main__":
    main()
