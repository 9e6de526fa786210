"""A filter added from Python at fixup time, and the handler whose page it changes."""

from mod_python import apache


# ANCHOR: fixup
def fixuphandler(req):
    req.register_output_filter("LOUD", "uppercase")
    req.add_output_filter("LOUD")
    return apache.OK
# ANCHOR_END: fixup


def handler(req):
    req.content_type = "text/plain"
    req.write("said quietly\n")
    return apache.OK
