"""A form with an upload, read with util.FieldStorage."""

# ANCHOR: form
from mod_python import apache, util


def handler(req):
    form = util.FieldStorage(req)
    name = form.getfirst("name", b"nobody")  # a field's value (bytes, as in mod_python 3.5)
    upload = form.get("picture")  # an uploaded file: a Field
    size = 0
    if upload is not None and upload.filename:
        size = len(upload.file.read())  # a temporary file, already on disk
    req.content_type = "text/plain"
    req.write("%s sent %d bytes\n" % (name.decode("utf-8", "replace"), size))
    return apache.OK
# ANCHOR_END: form
