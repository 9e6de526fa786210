"""WSGI applications for module/tests/library_pages.rs."""

import sys

closed = []


class Body:
    def __init__(self, blocks):
        self.blocks = blocks

    def __iter__(self):
        return iter(self.blocks)

    def close(self):
        closed.append(1)


def application(environ, start_response):
    if environ["PATH_INFO"] == "/echo":
        data = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return [data]
    if environ["PATH_INFO"] == "/lines":
        lines = [line for line in environ["wsgi.input"]]
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [("%d lines, last %r" % (len(lines), lines[-1] if lines else None)).encode()]
    if environ["PATH_INFO"] == "/error":
        try:
            raise RuntimeError("inner")
        except RuntimeError:
            start_response("500 Internal Server Error", [("Content-Type", "text/plain")],
                           sys.exc_info())
        return [b"replaced"]
    if environ["PATH_INFO"] == "/closed":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [str(len(closed)).encode()]
    keys = ("REQUEST_METHOD", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "SERVER_PROTOCOL",
            "wsgi.url_scheme", "wsgi.version", "wsgi.multithread", "wsgi.run_once")
    text = "\n".join("%s=%r" % (k, environ.get(k)) for k in keys)
    start_response("201 Created", [("Content-Type", "text/plain; charset=utf-8"), ("X-App", "yes")])
    return Body([text.encode(), b"\nend"])
