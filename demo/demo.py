"""The demo site: a page, a form, a request inspector and a page passed through a Python
output filter, all from this one module."""

import html
import sys
from urllib.parse import parse_qs

from mod_python import apache

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;max-width:46em;margin:2em auto}}
td,th{{text-align:left;padding:.2em .8em}} code{{background:#eee}}</style></head>
<body><h1>{title}</h1>{body}
<p><a href="/">home</a> · <a href="/form">form</a> · <a href="/info?x=1">request info</a>
· <a href="/shout">filtered</a></p>
</body></html>
"""


def page(req, title, body):
    req.content_type = "text/html; charset=utf-8"
    req.write(PAGE.format(title=html.escape(title), body=body))
    return apache.OK


def home(req):
    greeting = req.get_options().get("demo.greeting", "Hello")
    body = (
        "<p>%s.</p><p>This page was made by <code>demo.handler</code>, running in the "
        "Python interpreter <code>%s</code> (Python %s) of an Apache child.</p>"
        % (html.escape(greeting), html.escape(req.interpreter), sys.version.split()[0])
    )
    return page(req, "mod_python in Rust", body)


def form(req):
    fields = parse_qs(req.args or "")
    name = fields.get("name", [""])[0]
    answer = "<p>Nice to meet you, <b>%s</b>!</p>" % html.escape(name) if name else ""
    body = (
        '<form action="/form" method="get"><label>Your name: <input name="name" value="%s">'
        "</label> <button>Send</button></form>%s" % (html.escape(name), answer)
    )
    return page(req, "A form", body)


def info(req):
    rows = [("method", req.method), ("uri", req.uri), ("args", req.args),
            ("protocol", req.protocol), ("interpreter", req.interpreter)]
    rows += [("header " + k, v) for k, v in req.headers_in.items()]
    table = "".join("<tr><th>%s</th><td>%s</td></tr>" % (html.escape(str(k)), html.escape(str(v)))
                    for k, v in rows)
    return page(req, "Request info", "<table>%s</table>" % table)


def shout_filter(filter):
    """An output filter: upper-cases the page as it streams (more in examples/filters/)."""
    data = filter.read()
    while data:
        filter.write(data.upper())
        data = filter.read()
    if data is None:
        filter.close()


def shout(req):
    req.register_output_filter("SHOUT", "demo::shout_filter")
    req.add_output_filter("SHOUT")
    body = "<p>This handler wrote its page in lower case; a Python output filter changed it.</p>"
    return page(req, "An output filter", body)


ROUTES = {"/": home, "/form": form, "/info": info, "/shout": shout}


def handler(req):
    view = ROUTES.get(req.uri.rstrip("/") or "/")
    if view is None:
        return apache.HTTP_NOT_FOUND
    return view(req)
