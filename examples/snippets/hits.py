"""A hit counter kept in a session."""

# ANCHOR: hits
from mod_python import apache, Session


def handler(req):
    sess = Session.Session(req)
    sess["hits"] = sess.get("hits", 0) + 1
    sess.save()
    req.content_type = "text/plain"
    req.write("hits: %d" % sess["hits"])
    return apache.OK
# ANCHOR_END: hits
