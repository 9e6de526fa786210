"""Handlers for module/tests/library_forms.rs: mod_python.util's FieldStorage on real
requests."""

import io
import zlib

from mod_python import apache, util


def _describe(field):
    if field.filename:
        data = field.file.read()
        return "%s: file %s %d %08x %s" % (field.name, field.filename, len(data),
                                           zlib.crc32(data), field.type)
    return "%s=%r" % (field.name, field.value)


def fields(req):
    fs = util.FieldStorage(req, keep_blank_values=1)
    req.content_type = "text/plain"
    req.write("\n".join(_describe(f) for f in fs.list))
    return apache.OK


def lookups(req):
    fs = util.FieldStorage(req)
    req.write("%r|%r|%r|%r|%r|%r" % (
        fs.getfirst("a"), fs.getfirst(b"a"), [bytes(v) for v in fs.getlist("b")],
        "a" in fs, b"b" in fs, sorted(fs.keys())))
    return apache.OK


def callbacks(req):
    seen = []

    def file_callback(filename):
        seen.append(filename)
        return io.BytesIO()

    fs = util.FieldStorage(req, file_callback=file_callback, field_callback=io.BytesIO)
    f = fs["up"]
    req.write("%s %r %s" % (seen, f.file.getvalue(), type(fs["plain"].file).__name__))
    return apache.OK


def redirect(req):
    util.redirect(req, "/elsewhere", permanent=int(req.args == "permanent"))
