"""Tells which virtual host, interpreter and options served the request."""

from mod_python import apache


def handler(req):
    req.content_type = "text/plain"
    req.write("host: %s\n" % req.server.server_hostname)
    req.write("interpreter: %s\n" % req.interpreter)
    for name, value in sorted(req.get_options().items()):
        req.write("option %s = %s\n" % (name, value))
    req.write("debug: %s\n" % req.get_config().get("PythonDebug", "0"))
    return apache.OK
