"""The first handler: mod_python calls handler(req) for each request and sends what it
writes."""

from mod_python import apache


def handler(req):
    req.content_type = "text/plain"
    req.write("Hello from Python inside Apache!\n")
    req.write("You asked for %s with %s.\n" % (req.uri, req.method))
    return apache.OK
