"""Handlers that take too long, for module/tests/timeouts.rs."""

import time

from mod_python import apache


def inner_wait(seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        time.sleep(0.05)


def handler(req):
    inner_wait(float(req.args or "3"))
    req.write("finished")
    return apache.OK


def quick(req):
    req.write("quick")
    return apache.OK
