"""Apache configuration written as Python, as mod_python 3.5's `httpdconf` has it: a file of
`Directive`s, `Container`s, container tags (`VirtualHost`, `Directory`, `Location`,
`Files`, `IfModule`) and `Comment`s whose `str()` is httpd.conf text and whose `repr()` is
the Python that makes them again. `write_basic_config()` makes a ready-to-run server
directory around it (the `mod_python create` command); nothing here needs Apache running.

    config = Container(Listen("8080"),
                       Location("/app", SetHandler("mod_python"), PythonHandler("app")))
    print(config)
"""

import os
import shutil
import sys


def _paths(text, flipslash):
    return text.replace("\\", "/") if flipslash else text


class Directive:
    """One line: `name value`."""

    def __init__(self, name, val, flipslash=1):
        self.name = name
        self.val = val
        self.indent = 0
        self.flipslash = flipslash

    def __repr__(self):
        return _paths(" " * self.indent + "%s(%r)" % (self.name, self.val), self.flipslash)

    def __str__(self):
        return _paths(" " * self.indent + "%s %s\n" % (self.name, self.val), self.flipslash)


class Comment:
    """`# ...` lines."""

    def __init__(self, comment):
        self.comment = comment
        self.indent = 0

    def __repr__(self):
        pad = " " * self.indent
        lines = self.comment.splitlines() or [""]
        text = pad + "Comment(%r" % (lines[0] + "\n")
        for line in lines[1:]:
            text += "\n" + pad + "        %r" % (line + "\n")
        return text + ")"

    def __str__(self):
        pad = " " * self.indent
        return "".join(pad + "# %s\n" % line for line in self.comment.splitlines())


def _check_item(value):
    if not isinstance(value, (Directive, Container, ContainerTag, Comment)):
        raise TypeError("a configuration holds Directive, Container, ContainerTag or Comment "
                        "objects, not %s" % type(value).__name__)
    return value


class Container:
    """A sequence of configuration items, written one after the other. With
    `only_if="python expression"`, written only when the expression is true."""

    def __init__(self, *args, **kwargs):
        self.args = [_check_item(a) for a in args]
        self.indent = 0
        self.only_if = kwargs.get("only_if")

    def append(self, value):
        self.args.append(_check_item(value))

    def __repr__(self):
        pad = " " * self.indent
        text = pad + "Container("
        for arg in self.args:
            arg.indent = self.indent + 4
            text += "\n%r," % (arg,)
        if self.only_if:
            text += "\n" + pad + "    only_if=%r)" % self.only_if
        else:
            text += "\n" + pad + ")"
        return text

    def __str__(self):
        if self.only_if and not eval(self.only_if):
            return ""
        out = []
        for arg in self.args:
            arg.indent = self.indent
            out.append(str(arg))
        return "".join(out)


class ContainerTag:
    """`<tag attr> ... </tag>`."""

    def __init__(self, tag, attr, args, flipslash=1):
        self.tag = tag
        self.attr = attr
        self.args = [_check_item(a) for a in args]
        self.indent = 0
        self.flipslash = flipslash

    def __repr__(self):
        pad = " " * self.indent
        text = _paths(pad + "%s(%r," % (self.tag, self.attr), self.flipslash)
        for arg in self.args:
            arg.indent = self.indent + 4
            text += "\n%r," % (arg,)
        return text + "\n" + pad + ")"

    def __str__(self):
        pad = " " * self.indent
        text = _paths(pad + "<%s %s>\n" % (self.tag, self.attr), self.flipslash)
        for arg in self.args:
            arg.indent = self.indent + 2
            text += str(arg)
        return text + pad + "</%s>\n" % self.tag


# Directives whose values keep their backslashes (format strings, Python expressions).
_KEEP_BACKSLASHES = {"LogFormat", "PythonPath"}


def _directive_class(name):
    def __init__(self, val, flipslash=int(name not in _KEEP_BACKSLASHES)):
        Directive.__init__(self, name, val, flipslash)
    return type(name, (Directive,), {"__init__": __init__, "__doc__": "The %s directive." % name})


def _tag_class(name):
    def __init__(self, attr, *args):
        ContainerTag.__init__(self, name, attr, args)
    return type(name, (ContainerTag,), {"__init__": __init__, "__doc__": "<%s ...>." % name})


_DIRECTIVES = """
AddHandler AddOutputFilter AddType AuthBasicAuthoritative AuthBasicProvider AuthType AuthName
AuthUserFile CustomLog DirectoryIndex DocumentRoot ErrorLog Group KeepAlive KeepAliveTimeout
Listen LoadModule LockFile LogFormat LogLevel MaxClients MaxConnectionsPerChild
MaxRequestsPerChild MaxSpareServers MaxSpareThreads MaxThreadsPerChild MinSpareServers
MinSpareThreads Mutex NameVirtualHost NumServers Options PidFile Require ServerAdmin
ServerLimit ServerName ServerPath ServerRoot SetHandler SetInputFilter SetOutputFilter
StartServers StartThreads ThreadsPerChild Timeout TypesConfig User
PythonAccessHandler PythonAuthenHandler PythonAuthzHandler PythonAutoReload
PythonCleanupHandler PythonConnectionHandler PythonDebug PythonEnablePdb PythonFixupHandler
PythonHandler PythonHandlerModule PythonHeaderParserHandler PythonImport PythonInitHandler
PythonInputFilter PythonInterpPerDirective PythonInterpPerDirectory PythonInterpreter
PythonLogHandler PythonOptimize PythonOption PythonOutputFilter PythonPath
PythonPostReadRequestHandler PythonTransHandler PythonTypeHandler
""".split()

for _name in _DIRECTIVES:
    globals()[_name] = _directive_class(_name)
for _name in ("VirtualHost", "Directory", "DirectoryMatch", "Location", "LocationMatch",
              "Files", "FilesMatch", "IfModule", "IfDefine", "Limit", "LimitExcept"):
    globals()[_name] = _tag_class(_name)
del _name


def quote_if_space(s):
    """`s` in double quotes when it has a space."""
    return '"%s"' % s if " " in s else s


# Modules the generated server loads, each only if Apache does not have it built in.
_MODULES = [
    ("authn_core_module", "mod_authn_core.so"), ("authn_file_module", "mod_authn_file.so"),
    ("authz_core_module", "mod_authz_core.so"), ("authz_host_module", "mod_authz_host.so"),
    ("authz_user_module", "mod_authz_user.so"), ("auth_basic_module", "mod_auth_basic.so"),
    ("reqtimeout_module", "mod_reqtimeout.so"), ("filter_module", "mod_filter.so"),
    ("mime_module", "mod_mime.so"), ("log_config_module", "mod_log_config.so"),
    ("env_module", "mod_env.so"), ("headers_module", "mod_headers.so"),
    ("setenvif_module", "mod_setenvif.so"), ("version_module", "mod_version.so"),
    ("unixd_module", "mod_unixd.so"), ("dir_module", "mod_dir.so"),
    ("alias_module", "mod_alias.so"),
]


def default_module_dir():
    """Where Apache's modules are (Debian's directory unless APXS says otherwise)."""
    from . import version
    return version.LIBEXECDIR or "/usr/lib/apache2/modules"


def write_basic_config(server_root, listen="0.0.0.0:8888", conf="conf", logs="logs",
                       htdocs="public", pythonhandler="mod_python.publisher",
                       pythonpath=[], pythonoptions=[], mp_comments=[],
                       conf_name="httpd_conf.py", createdirs=True, replace_config=False,
                       module_path=None, mpm="event"):
    """Makes a server directory: `conf/` (the Python configuration `conf_name`, and the
    httpd.conf it prints), `logs/`, and the document root `htdocs` whose requests the
    handler `pythonhandler` serves. Returns the path of the Python configuration, or None
    when it exists and `replace_config` is false."""
    server_root = os.path.abspath(server_root)
    conf_path = os.path.join(server_root, conf, conf_name)
    if os.path.exists(conf_path) and not replace_config:
        print("Error: %r already exists, aborting." % conf_path, file=sys.stderr)
        return None
    if createdirs:
        for d in (server_root, os.path.join(server_root, htdocs), os.path.join(server_root, conf),
                  os.path.join(server_root, logs)):
            os.makedirs(d, exist_ok=True)
        mime_types = os.path.join(server_root, conf, "mime.types")
        if not os.path.exists(mime_types) and os.path.isfile("/etc/mime.types"):
            shutil.copy("/etc/mime.types", mime_types)

    modules_dir = default_module_dir()
    modules = Container(Comment("\nModules (each unless Apache has it built in):\n"))
    modules.append(IfModule("!mpm_%s_module" % mpm, LoadModule("mpm_%s_module %s" % (
        mpm, quote_if_space(os.path.join(modules_dir, "mod_mpm_%s.so" % mpm))))))
    for name, filename in _MODULES:
        if os.path.exists(os.path.join(modules_dir, filename)):
            modules.append(IfModule("!" + name, LoadModule("%s %s" % (
                name, quote_if_space(os.path.join(modules_dir, filename))))))

    main = Container(
        Comment("\nThe server:\n"),
        ServerRoot(quote_if_space(server_root)),
        Listen(listen),
        ServerName("127.0.0.1"),
        MaxConnectionsPerChild("65536"),
        LogFormat(r'"%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\"" combined'),
        CustomLog("%s combined" % quote_if_space(os.path.join(logs, "access_log"))),
        ErrorLog(quote_if_space(os.path.join(logs, "error_log"))),
        LogLevel("warn"),
        PidFile(quote_if_space(os.path.join(logs, "httpd.pid"))),
        TypesConfig(quote_if_space(os.path.join(conf, "mime.types"))),
        DocumentRoot(quote_if_space(os.path.join(server_root, htdocs))),
        Container(User("www-data"), Group("www-data"), only_if="__import__('os').geteuid() == 0"),
        Directory(quote_if_space(os.path.join(server_root, htdocs)), Require("all granted")),
    )

    mod_python_so = module_path or os.path.join(modules_dir, "mod_python.so")
    mp = Container(
        Comment("\nmod_python:\n"),
        LoadModule("python_module %s" % quote_if_space(mod_python_so)),
        SetHandler("mod_python"),
        Comment("PythonDebug On"),
        PythonHandler(pythonhandler),
    )
    paths = [p for p in pythonpath if p]
    if paths:
        mp.append(PythonPath('"sys.path+[%s]"' % ",".join(repr(p) for p in paths)))
    for option in pythonoptions:
        mp.append(PythonOption(option))
    for comment in mp_comments:
        mp.append(Comment(comment))

    config = Container(Comment("\nGenerated by `mod_python create`; edit this file, then run\n"
                               "`mod_python genconfig %s > httpd.conf` in this directory.\n"
                               % conf_name),
                       modules, main, mp)
    source = "#!%s\n\nfrom mod_python.httpdconf import *\n\nconfig = %r\n\nprint(config)\n" % (
        sys.executable or "/usr/bin/python3", config)
    print("Writing %r." % conf_path, file=sys.stderr)
    with open(conf_path, "w") as f:
        f.write(source)
    return conf_path
