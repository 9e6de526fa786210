"""Handlers that misbehave, for module/tests/faults.rs: each must cost one request (a 500
and a log line), never the child."""

import os
import sys
import time

from mod_python import apache


def ok(req):
    req.content_type = "text/plain"
    req.write("ok %d" % os.getpid())
    return apache.OK


def raises(req):
    raise ValueError("a handler's own error")


def exits(req):
    sys.exit(3)


def interrupted(req):
    raise KeyboardInterrupt()


def generator_exit(req):
    raise GeneratorExit()


def recurses(req):
    def down(n):
        return down(n + 1) + 1
    return down(0)


def wrong_type(req):
    return "not a status"


def none_result(req):
    return None


def huge_status(req):
    return 10 ** 30


def writes_after_client_left(req):
    req.content_type = "text/plain"
    chunk = "x" * 65536
    try:
        for _ in range(2000):
            req.write(chunk)
    except IOError:
        req.log_error("faults: the client left, write raised IOError", apache.APLOG_NOTICE)
        raise
    return apache.OK


def slow(req):
    time.sleep(float(req.args or "2"))
    req.write("slow done")
    return apache.OK


def injects_headers(req):
    req.content_type = "text/plain"
    req.headers_out["X-Safe"] = "fine"
    req.headers_out["X-Evil"] = "a\r\nInjected-Header: yes"
    req.write("body")
    return apache.OK


def injects_content_type(req):
    req.content_type = "text/plain\r\nInjected-Header: yes"
    req.write("body")
    return apache.OK


def injects_status_line(req):
    req.status = 200
    req.status_line = "200 OK\r\nInjected-Header: yes"
    req.write("body")
    return apache.OK


def upper_filter(filter):
    data = filter.read()
    while data:
        filter.write(data.upper())
        data = filter.read()
    if data is None:
        filter.close()


def raising_filter(filter):
    data = filter.read()
    if data:
        filter.write(data[:10])
        raise RuntimeError("an output filter's own error, mid-stream")
    if data is None:
        filter.close()


def big(req):
    req.content_type = "text/plain"
    for _ in range(64):
        req.write("y" * 16384)
    return apache.OK
