"""A publisher site: a form, a greeting, a file upload and a visit counter kept in a
session. Functions whose names start with an underscore are not published."""

import hashlib
import html

from mod_python import Session

FORM = """<html><body>
<h1>Publisher example</h1>
<form action="index.py/greet" method="get">
  Your name: <input name="name"> <input type="submit" value="Greet">
</form>
<form action="index.py/upload" method="post" enctype="multipart/form-data">
  A file: <input type="file" name="file"> <input type="submit" value="Upload">
</form>
<p><a href="index.py/visits">Count my visits</a></p>
</body></html>
"""


def index(req):
    return FORM


def greet(req, name="stranger"):
    req.content_type = "text/html"
    return "<html><body>Hello, <b>%s</b>!</body></html>" % html.escape(name)


def upload(req, file=None):
    # `file` is a util.Field: the upload's name, headers and a file object.
    if file is None or not getattr(file, "filename", None):
        return "no file was sent"
    digest = hashlib.sha256()
    size = 0
    for chunk in iter(lambda: file.file.read(65536), b""):
        digest.update(chunk)
        size += len(chunk)
    return "%s: %d bytes, sha256 %s" % (file.filename, size, digest.hexdigest())


# ANCHOR: visits
def visits(req):
    session = Session.Session(req)
    session["visits"] = session.get("visits", 0) + 1
    session.save()
    return "visit number %d" % session["visits"]
# ANCHOR_END: visits


def _helper():
    return "never published"
