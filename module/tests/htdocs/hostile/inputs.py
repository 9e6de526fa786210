"""A handler that looks at everything a hostile request can carry, for
module/tests/hostile.rs: the URI, the query string (parsed), every header, the cookies and
the form; it answers 200 with what it saw, or 4xx when the input is refused."""

from mod_python import apache, util, Cookie, Session


def handler(req):
    req.content_type = "text/plain; charset=utf-8"
    seen = [
        "uri=%r" % req.uri,
        "unparsed=%r" % req.unparsed_uri,
        "args=%r" % req.args,
        "qs=%r" % (util.parse_qsl(req.args or "", 1),),
        "headers=%d" % len(req.headers_in),
    ]
    for k, v in req.headers_in.items():
        seen.append("h %r=%r" % (k, v))
    cookies = Cookie.get_cookies(req)
    seen.append("cookies=%r" % sorted(cookies.keys()))
    form = util.FieldStorage(req, keep_blank_values=1)
    seen.append("form=%r" % sorted(form.keys()))
    req.write("\n".join(seen))
    return apache.OK


def session(req):
    s = Session.FileSession(req)
    s["n"] = s.get("n", 0) + 1
    s.save()
    req.write("n=%d new=%s" % (s["n"], s.is_new()))
    return apache.OK
