"""A handler to have something to count."""

from mod_python import apache


def handler(req):
    req.content_type = "text/plain"
    req.write("counted\n")
    return apache.OK
