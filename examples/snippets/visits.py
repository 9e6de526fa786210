"""A visit counter kept in a cookie."""

# ANCHOR: visits
import time
from mod_python import apache, Cookie


def handler(req):
    seen = Cookie.get_cookie(req, "visits")
    n = int(seen.value) + 1 if seen and seen.value.isdigit() else 1
    Cookie.add_cookie(req, "visits", str(n), path="/", expires=time.time() + 3600)
    req.content_type = "text/plain"
    req.write("visit %d\n" % n)
    return apache.OK
# ANCHOR_END: visits
