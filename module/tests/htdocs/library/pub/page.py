"""A publisher page for module/tests/library_forms.rs."""

import os
from os.path import join
from hashlib import md5 as imported_md5

_secret = "hidden"


def index(req):
    return "index page"


def hello(req, name="world"):
    return "hello %s" % (name if isinstance(name, str) else name.decode())


def raw(req):
    return b"\x00\xffraw bytes"


def numbers(req):
    for i in range(4):
        yield str(i)


def html(req):
    return "<html><body>x</body></html>"


def upload(req, f, note=""):
    return "%s %d %r" % (f.filename, len(f.value), note)


class Thing(object):
    def __call__(self, req):
        return "called thing"

    def method(self, req):
        return "thing method"


thing = Thing()


def protected(req):
    __auth_realm__ = "Members"
    __auth__ = {"spam": "eggs"}
    __access__ = ["spam"]
    return "secret"


def no_access(req):
    def __auth__(req, user, password):
        return True
    __access__ = ["nobody"]
    return "should not be seen"
