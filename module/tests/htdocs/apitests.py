"""Handlers for the request-phase and request-API integration tests (module/tests/api.rs).
Each is named after the behaviour it shows; each writes "test ok" when all is well."""

import os
import re
import tempfile

from mod_python import apache


def add_handler(req):
    req.secret_message = "foo"
    req.add_handler("PythonHandler", "apitests::simple")
    return apache.OK


def simple(req):
    if req.secret_message == "foo":
        req.write("test ok")
    return apache.OK


def add_bad_handler(req):
    req.add_handler("PythonHandler", "apitests::no_such_handler")
    req.write("test ok")
    return apache.OK


def add_empty_handler(req):
    req.add_handler("PythonHandler", "")
    req.write("no exception")
    return apache.OK


def add_handler_bad_phase(req):
    try:
        req.add_handler("PythonNoSuchHandler", "apitests::simple")
    except IndexError as e:
        req.write("IndexError: %s" % e)
    return apache.OK


def add_handler_from_fixup(req):
    if req.phase != "PythonHandler":
        req.add_handler("PythonHandler", "apitests::add_handler_from_fixup", os.path.dirname(__file__))
    else:
        d = req.hlist.directory
        ok = d.endswith("/") and os.path.normpath(d) == os.path.dirname(__file__)
        req.write("test ok" if ok else "test failed: %r" % d)
    return apache.OK


def access_adds_handler(req):
    req.secret_message = "foo"
    req.add_handler("PythonHandler", "apitests::simple")
    return apache.OK


def allow_methods(req):
    req.allow_methods(["MKWORKSPACE"])
    return apache.HTTP_METHOD_NOT_ALLOWED


def basic_auth(req):
    pw = req.get_basic_auth_pw()
    if (req.user, pw) in (("spam", "eggs"), ("sp\xe1m", "\xe9ggs")):
        if req.phase == "PythonHandler":
            req.write("test ok")
        return apache.OK
    if req.phase == "PythonHandler":
        req.write("test failed: %r %r" % (req.user, pw))
        return apache.OK
    return apache.HTTP_UNAUTHORIZED


def auth_type(req):
    if req.auth_type() != "dummy" or req.auth_name() != "blah":
        req.write("test failed: %r %r" % (req.auth_type(), req.auth_name()))
        return apache.DONE
    if req.phase == "PythonAuthenHandler":
        req.user = "dummy"
        req.ap_auth_type = req.auth_type()
    elif req.phase != "PythonAuthzHandler":
        req.write("test ok")
    return apache.OK


def req_requires(req):
    # upstream's tests.py (run by mod_python only on httpd 2.2), plus a <Limit> line
    expected = ("valid-user", "user spam") if req.method == "POST" else ("valid-user",)
    if req.requires() == expected:
        req.write("test ok")
        return apache.DONE
    req.write("test failed: %r" % (req.requires(),))
    return apache.DONE


def meets_conditions(req):
    # the example of upstream's pythonapi.rst, with a fixed modification time
    req.update_mtime(1000000000)
    req.set_last_modified()
    req.set_etag()
    status = req.meets_conditions()
    if status != apache.OK:
        return status
    req.write("fresh body")
    return apache.OK


def document_root(req):
    req.write(req.document_root())
    return apache.OK


def internal_redirect(req):
    req.internal_redirect("/redirected")
    return apache.OK


def redirected(req):
    req.prev.write("test ")
    req.write("ok")
    return apache.OK


def construct_url(req):
    url = req.construct_url("/index.html")
    req.write("test ok" if re.match(r"^http://[^/]+:[0-9]+/index\.html$", url) else url)
    return apache.OK


def read(req):
    req.write(req.read())
    return apache.OK


def read_parts(req):
    first = req.read(3)
    rest = req.read()
    req.write(b"%d|%s|%d" % (len(first), first, len(rest)))
    return apache.OK


def readline(req):
    line = req.readline()
    while line:
        req.write(b"[" + line + b"]")
        line = req.readline()
    return apache.OK


def readlines(req):
    hint = int(req.headers_in.get("SizeHint", "-1"))
    lines = req.readlines(hint)
    req.write(b"%d:" % len(lines) + b"".join(lines))
    return apache.OK


def discard_body(req):
    if req.read(10) != b"1234567890":
        req.write("test failed")
        return apache.OK
    status = req.discard_request_body()
    if status != apache.OK:
        return status
    req.write("test ok" if not req.read() else "test failed")
    return apache.OK


def register_cleanup(req):
    req.cleanup_data = "register_cleanup test ok"
    req.register_cleanup(_cleanup, req)
    req.write("registered")
    return apache.OK


def _cleanup(req):
    req.log_error(req.cleanup_data)


def headers_out(req):
    req.headers_out["X-Test-Header"] = "test ok"
    req.headers_out.add("X-Multi", "a")
    req.headers_out.add("X-Multi", "b")
    req.write("multi=%r" % (req.headers_out["x-multi"],))
    return apache.OK


def sendfile(req):
    fd, name = tempfile.mkstemp(".txt")
    os.write(fd, b"  test ok  " if req.args == "part" else b"0123456789" * 100)
    os.close(fd)
    target = name
    if req.args == "link":
        target = name + ".lnk"
        os.symlink(name, target)
    try:
        if req.args == "part":
            sent = req.sendfile(target, 2, 7)
        else:
            sent = req.sendfile(target)
        req.log_error("sendfile sent %d bytes" % sent)
    finally:
        if target != name:
            os.remove(target)
        os.remove(name)
    return apache.OK


def handler_from_fixup(req):
    if req.phase == "PythonFixupHandler":
        req.handler = "mod_python"
        req.handler = None
        req.handler = "mod_python"
        req.add_handler("PythonHandler", "apitests::handler_from_fixup")
        return apache.OK
    req.write("test ok" if req.phase == "PythonHandler" else "test failed")
    return apache.OK


def no_cache(req):
    req.no_cache = 1
    req.write("test ok")
    return apache.OK


def update_mtime(req):
    assert req.mtime == 0.0, req.mtime
    req.update_mtime(100.0)
    assert req.mtime == 100.0, req.mtime
    req.set_etag()
    req.set_last_modified()
    req.write("test ok")
    return apache.OK


def postreadrequest(req):
    req.add_common_vars()
    req.subprocess_env["TEST1"] = "'"
    ok = req.subprocess_env.get("TEST1") == "'" and "SERVER_PORT" in req.subprocess_env
    req.write("test ok" if ok and req.phase == "PythonPostReadRequestHandler" else "test failed")
    return apache.DONE


def trans(req):
    req.filename = req.document_root() + "/apitests.py"
    return apache.OK


def after_trans(req):
    req.write("test ok" if req.filename.endswith("/apitests.py") else req.filename)
    return apache.OK


def files_directive(req):
    req.write(str(req.hlist.directory))
    return apache.OK


none_handler = None


def server_return_1(req):
    raise apache.SERVER_RETURN(apache.OK)


def server_return_2(req):
    req.write("test ok")
    return apache.OK


def phase_status_1(req):
    req.phases = [1]
    return apache.DECLINED


def phase_status_2(req):
    req.phases.append(2)
    req.user = "bogus"
    req.ap_auth_type = "bogus"
    return apache.OK


def phase_status_3(req):
    req.phases.append(3)
    return apache.OK


def phase_status_4(req):
    return apache.OK


def phase_status_5(req):
    req.phases.append(5)
    return apache.DECLINED


def phase_status_6(req):
    req.phases.append(6)
    return apache.OK


def phase_status_7(req):
    req.phases.append(7)
    return apache.OK


def phase_status_8(req):
    req.write("test ok" if req.phases == [1, 2, 5, 6, 7] else "test failed: %r" % req.phases)
    return apache.OK


def phase_status_cleanup(req):
    apache.log_error("phase_status_cleanup_log_entry")
    return apache.OK


def interpreter(req):
    req.write(req.interpreter)
    return apache.DONE


def attributes(req):
    """Types and values of request attributes."""
    checks = {
        "the_request": req.the_request.startswith("GET /attributes"),
        "protocol": req.protocol == "HTTP/1.1",
        "proto_num": req.proto_num == 1001,
        "method_number": req.method_number == 0,
        "header_only": req.header_only == 0,
        "request_time": isinstance(req.request_time, float) and req.request_time > 1e9,
        "parsed_uri": isinstance(req.parsed_uri, tuple) and len(req.parsed_uri) == 9
        and req.parsed_uri[apache.URI_PATH] == "/attributes" and req.parsed_uri[apache.URI_QUERY] == "a=1",
        "useragent_addr": req.useragent_addr[0] == "127.0.0.1" and isinstance(req.useragent_addr[1], int),
        "useragent_ip": req.useragent_ip == "127.0.0.1",
        "connection": req.connection.client_ip == "127.0.0.1" and req.connection.local_addr[0] == "127.0.0.1",
        "server": req.server.server_hostname == "attributes.test" and req.server.is_virtual == 1,
        "main": req.main is None and req.prev is None and req.next is None,
        "unparsed_uri": req.unparsed_uri == "/attributes?a=1",
        "range": req.range is None,
        "content_languages": req.content_languages == (),
        "no_cache": req.no_cache == 0,
        "allowed": isinstance(req.allowed, int),
        "bytes_sent": req.bytes_sent == 0,
        "clength": req.clength == 0,
        "status_line": req.status_line is None,
        "phase": req.phase == "PythonHandler",
        "hostname": req.hostname == "attributes.test",
        "is_https": req.is_https() == 0,
        "remote_host": req.get_remote_host(apache.REMOTE_NOLOOKUP) == "127.0.0.1",
        "headers_in is cached": req.headers_in is req.headers_in,
        "conn notes": req.connection.notes is not None,
        "finfo": req.finfo.filetype == apache.APR_NOFILE and req.finfo[apache.FINFO_FILETYPE] == apache.APR_NOFILE,
        "stat": apache.stat(req.document_root(), apache.APR_FINFO_MIN).filetype == apache.APR_DIR,
    }
    failed = [k for k, v in checks.items() if not v]
    req.write("test ok" if not failed else "failed: %s" % failed)
    return apache.OK


def table_api(req):
    t = apache.table()
    t["Key"] = "one"
    t.add("key", "two")
    t.add(b"Bytes", b"raw")
    ok = [
        t["KEY"] == ["one", "two"],
        t.get("key") == "one",
        t.get("missing", "d") == "d",
        "kEy" in t,
        len(t) == 3,
        list(t.keys()) == ["Key", "key", "Bytes"],
        t["bytes"] == "raw",
        dict(apache.table({"a": "b"})) == {"a": "b"},
        apache.make_table is apache.table,
    ]
    try:
        t["missing"]
        ok.append(False)
    except KeyError:
        ok.append(True)
    ok.append(t == t.copy() and not (t != t.copy()) and t != apache.table({"x": "y"}))
    try:
        hash(t)
        ok.append(False)
    except TypeError:
        ok.append(True)
    ok.append(list(t.iterkeys()) == list(t.keys()))
    del t["key"]
    ok.append("Key" not in t and len(t) == 1)
    ok.append(t.popitem() == ("Bytes", "raw") and len(t) == 0)
    req.write("test ok" if all(ok) else "failed: %s" % ok)
    return apache.OK


def module_functions(req):
    import sys
    checks = {
        "exists FOREGROUND": apache.exists_config_define("FOREGROUND") is True,
        "exists NOPE": apache.exists_config_define("NOPE") is False,
        "threaded": apache.mpm_query(apache.AP_MPMQ_IS_THREADED) == apache.AP_MPMQ_STATIC,
        "server_root": apache.server_root() == req.headers_in.get("X-Root"),
        "main_server": apache.main_server.server_hostname == "127.0.0.1",
        "interpreter": apache.interpreter == "module_functions.test",
        "argv": sys.argv == ["mod_python"],
        "import ran": getattr(sys.modules.get("importmod"), "initialized", False) is False,
        "config_tree": ("ServerName", "127.0.0.1") in apache.config_tree()
        and any(isinstance(x, list) for x in apache.config_tree()),
    }
    failed = [k for k, v in checks.items() if not v]
    req.write("test ok" if not failed else "failed: %s" % failed)
    return apache.OK


def import_check(req):
    import sys
    mod = sys.modules.get("importmod")
    if mod is None or not mod.initialized:
        req.write("not imported: %r" % mod)
    elif mod.order != ["second", "first", "init", "in_vhost"]:
        req.write("imports ran in the order %r" % mod.order)
    else:
        req.write("test ok")
    return apache.OK


def global_lock(req):
    path = req.get_options()["counter"]
    apache._global_lock(req.server, "counter")
    try:
        with open(path) as f:
            n = int(f.read() or "0")
        import time
        time.sleep(0.002)
        with open(path, "w") as f:
            f.write(str(n + 1))
    finally:
        apache._global_unlock(req.server, "counter")
    req.write("locked")
    return apache.OK


def logging_and_print(req):
    import logging
    apache.route_logging(logging.INFO)
    logging.getLogger("myapp").warning("routed through logging")
    print("printed, not sent")
    req.write("test ok")
    return apache.OK


def crypto(req):
    from cryptography.hazmat.primitives import hashes
    digest = hashes.Hash(hashes.SHA256())
    digest.update(b"abc")
    req.write(digest.finalize().hex()[:8])
    return apache.OK


def switch_cost(req):
    import _apache_diagnostics
    nested, fresh = _apache_diagnostics.interpreter_switch_cost("other.interp", 20000)
    same_nested, same_fresh = _apache_diagnostics.interpreter_switch_cost(req.interpreter, 20000)
    req.log_error("interpreter switch cost: other %.0f ns nested, %.0f ns fresh; same %.0f ns "
                  "nested, %.0f ns fresh" % (nested * 1e9, fresh * 1e9, same_nested * 1e9, same_fresh * 1e9),
                  apache.APLOG_NOTICE)
    req.write("%.9f %.9f" % (nested, fresh))
    return apache.OK


def cgi_stdin(req):
    # A CGI-style script reading its body from sys.stdin, line by line and the rest.
    import sys
    saved = apache.setup_cgi(req)
    try:
        first = sys.stdin.readline()
        second = sys.stdin.readline(3)
        rest = sys.stdin.buffer.read()
        sys.stdout.write("Content-Type: text/plain\r\n\r\n")
        sys.stdout.write(repr((first, second, rest)))
    finally:
        apache.restore_nocgi(*saved)
    return apache.OK


def parse_qsl(req):
    import _apache
    req.write(repr((_apache.parse_qsl("a=1&b=&c;d=%41+b", 1),
                    _apache.parse_qsl(b"k=v&blank="),
                    _apache.parse_qs("a=1&flag"))))
    try:
        _apache.parse_qs("a=1&flag", 0, 1)
    except ValueError as e:
        req.write(" strict: %s" % e)
    return apache.OK
