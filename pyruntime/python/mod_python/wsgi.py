"""Serves a WSGI application (PEP 3333) through mod_python:

    <Location /app>
        SetHandler mod_python
        PythonHandler mod_python.wsgi
        PythonOption mod_python.wsgi.application mysite.wsgi::application
    </Location>

`mod_python.wsgi.application` names the module and, after `::`, the callable (`application`
when omitted). The application sees `SCRIPT_NAME` as the `<Location>` (or the
`mod_python.wsgi.base_uri` option, which wins) and `PATH_INFO` as the rest of the URI;
`wsgi.input` is the request itself, read as it streams in; each block the application
yields is sent as it comes.
"""

from . import apache


def _application(req, app_str):
    module_name, _, callable_name = app_str.partition("::")
    config = req.get_config()
    module = apache.import_module(module_name.strip(),
                                  autoreload=config.get("PythonAutoReload", "1") == "1",
                                  log=config.get("PythonDebug", "0") == "1")
    return getattr(module, callable_name.strip() or "application", None)


def handler(req):
    """Calls the WSGI application named by PythonOption mod_python.wsgi.application."""
    app_str = req.get_options().get("mod_python.wsgi.application")
    app = _application(req, app_str) if app_str else None
    if app is None:
        req.log_error("mod_python.wsgi: the application %r is not found, declining" % (app_str,),
                      apache.APLOG_WARNING)
        return apache.DECLINED

    env = req.build_wsgi_env()
    if env is None:
        req.log_error("mod_python.wsgi: %r is not under mod_python.wsgi.base_uri %r, declining"
                      % (req.uri, req.get_options().get("mod_python.wsgi.base_uri")),
                      apache.APLOG_WARNING)
        return apache.DECLINED

    response = app(env, req.wsgi_start_response)
    try:
        for block in response:
            if block:
                req.write(block)
    finally:
        close = getattr(response, "close", None)
        if close is not None:
            close()
    return apache.OK
