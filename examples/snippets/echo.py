"""Answers with the request body it read (after any input filter)."""

from mod_python import apache


def handler(req):
    body = req.read()
    req.content_type = "text/plain"
    req.write(b"%d bytes: " % len(body) + body)
    return apache.OK
