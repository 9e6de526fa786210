//! The differential layer: each scenario (a configuration fragment, files, requests) runs on a
//! server with our module and on one with Debian's mod_python 3.5, the reference, under each
//! MPM, and the answers of a probe handler are compared line by line. The probe reports what
//! a handler sees: interpreter, options, the mod_python configuration, filename, phase and
//! handler; the explainer (`mod-python-config explain`) must predict the same from our
//! httpd.conf. Deliberate differences are listed in docs/compat.md, not here.

mod common;

use test_httpd::{Apache, Mpm, ServerSpec, REFERENCE_MODULE};

const PROBE: &str = r#"
from mod_python import apache

def report(req):
    lines = [
        "interpreter=%s" % req.interpreter,
        "options=%s" % sorted(req.get_options().items()),
        "config=%s" % sorted(req.get_config().items()),
        "filename=%s" % req.filename,
        "path_info=%s" % req.path_info,
        "phase=%s" % req.phase,
        "handler=%s" % req.hlist.handler,
    ]
    return "\n".join(lines)

def handler(req):
    req.content_type = "text/plain"
    req.write(report(req))
    return apache.OK

def declined(req):
    return apache.DECLINED

def first(req):
    req.content_type = "text/plain"
    req.write("first\n")
    return apache.OK

def second(req):
    req.content_type = "text/plain"
    req.write("second\n" + report(req))
    return apache.OK
"#;

/// One configuration, its files and the paths to ask for.
struct Scenario {
    name: &'static str,
    config: &'static str,
    files: &'static [(&'static str, &'static str)],
    paths: &'static [&'static str],
    /// Further Apache modules to load (by name, as `ServerSpec::module`).
    modules: &'static [&'static str],
}

fn start(mpm: Mpm, s: &Scenario, reference: bool) -> Apache {
    common::build_module();
    let mut spec = ServerSpec::new(mpm, s.config).file("probe.py", PROBE);
    for (path, contents) in s.files {
        spec = spec.file(path, contents);
    }
    for m in s.modules {
        spec = spec.module(m);
    }
    if reference {
        require_reference();
        spec = spec.with_reference_module();
    }
    Apache::start(&spec).unwrap_or_else(|e| panic!("{}: Apache did not start: {e}", s.name))
}

/// Status and body of each path, with the server root replaced by `ROOT` (the two servers
/// run from different directories).
fn answers(apache: &Apache, s: &Scenario) -> Vec<String> {
    let root = apache.root().display().to_string();
    s.paths
        .iter()
        .map(|p| {
            let (host, path) = host_and_path(p);
            let raw = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
            let r = apache
                .request(raw.as_bytes())
                .unwrap_or_else(|e| panic!("{}: GET {p}: {e}\n{}", s.name, apache.error_log()));
            format!("{p} {}\n{}", r.status, r.text().replace(&root, "ROOT"))
        })
        .collect()
}

/// A scenario path is `/path` (asked of the main server) or `host/path` (with that `Host`).
fn host_and_path(p: &str) -> (&str, &str) {
    match p.find('/') {
        Some(0) | None => ("127.0.0.1", p),
        Some(i) => (&p[..i], &p[i..]),
    }
}

/// Runs `s` on both modules under each MPM and compares the answers.
fn compare(s: &Scenario) {
    for mpm in Mpm::ALL {
        compare_under(mpm, s);
    }
}

fn compare_under(mpm: Mpm, s: &Scenario) {
    let reference = start(mpm, s, true);
    let expected = answers(&reference, s);
    assert!(
        expected.iter().any(|a| a.contains("interpreter=")),
        "{}: the reference's probe never answered: {expected:?}\n{}",
        s.name,
        reference.error_log()
    );
    let ours = start(mpm, s, false);
    let got = answers(&ours, s);
    if std::env::var_os("DIFF_SHOW").is_some() {
        eprintln!(
            "--- {} ({mpm:?}), mod_python 3.5:\n{}",
            s.name,
            expected.join("\n")
        );
    }
    for (want, have) in expected.iter().zip(&got) {
        assert_eq!(
            have,
            want,
            "{} ({mpm:?}): our answer (left) differs from mod_python 3.5's (right)\n\
             --- ours' log\n{}",
            s.name,
            ours.error_log()
        );
    }
    explainer_agrees(&ours, s, &got);
}

/// Python's `repr` of a string, for the strings the probe prints.
fn py_repr(s: &str) -> String {
    if s.contains('\'') && !s.contains('"') {
        format!("\"{}\"", s.replace('\\', "\\\\"))
    } else {
        format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
    }
}

/// `repr(sorted(pairs))` as the probe prints it.
fn py_pairs(mut pairs: Vec<(String, String)>) -> String {
    pairs.sort();
    let items: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("({}, {})", py_repr(k), py_repr(v)))
        .collect();
    format!("[{}]", items.join(", "))
}

/// `mod-python-config explain` over our server's httpd.conf predicts, for every path the
/// probe answered, the options, configuration, interpreter, filename and a handler the
/// module reported.
fn explainer_agrees(ours: &Apache, s: &Scenario, answers: &[String]) {
    use directives::httpdconf::{build_site, explain, read_config, ReadOptions, RequestFacts};
    let conf = ours.root().join("httpd.conf");
    let tree = read_config(&conf, &ReadOptions::default()).expect("read httpd.conf");
    let site = build_site(&tree);
    let root = ours.root().display().to_string();
    for (path, answer) in s.paths.iter().zip(answers) {
        let seen: std::collections::HashMap<&str, &str> =
            answer.lines().filter_map(|l| l.split_once('=')).collect();
        let (Some(options), Some(config)) = (seen.get("options"), seen.get("config")) else {
            continue; // not the standard probe
        };
        let (host, url) = host_and_path(path);
        let facts = RequestFacts {
            host: host.to_string(),
            url: url.to_string(),
            file: None,
        };
        let x = explain(&site, &facts);
        let ctx = format!("{}: {path}: explainer applied {:?}", s.name, x.applied);
        let rooted = |t: String| t.replace(&root, "ROOT");
        let predicted_options = py_pairs(
            x.config
                .effective_options()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        );
        assert_eq!(rooted(predicted_options), *options, "{ctx}");
        assert_eq!(rooted(py_pairs(x.config.config_table())), *config, "{ctx}");
        let file = x.file.as_ref().map(|f| f.to_string_lossy().into_owned());
        if let Some(filename) = seen.get("filename") {
            let predicted = file.clone().map_or("None".to_string(), &rooted);
            assert_eq!(predicted, *filename, "{ctx}");
        }
        if let Some(handler) = seen.get("handler") {
            let names: Vec<String> = x
                .content_handlers()
                .iter()
                .map(|h| h.handler.to_string())
                .collect();
            assert!(
                names.iter().any(|n| n == handler),
                "{ctx}: {handler} not in {names:?}"
            );
        }
        if let Some(interpreter) = seen.get("interpreter") {
            assert_eq!(rooted(x.interpreter()), *interpreter, "{ctx}");
        }
    }
}

/// The reference must be installed: a missing one fails the test rather than skipping it.
fn require_reference() {
    assert!(
        std::path::Path::new(REFERENCE_MODULE).exists(),
        "{REFERENCE_MODULE} is missing: scripts/ensure-deps.sh installs libapache2-mod-python"
    );
}

#[test]
fn options_merge_from_server_to_directory_to_location() {
    compare(&Scenario {
        name: "options merge",
        config: "PythonPath \"['@DOCROOT@'] + sys.path\"\nPythonOption level server\n\
                 PythonOption kept yes\n\
                 <Directory \"@DOCROOT@\">\n  SetHandler mod_python\n  PythonHandler probe\n  \
                 PythonOption level directory\n  PythonOption dir_only 1\n</Directory>\n\
                 <Location /loc>\n  PythonOption level location\n</Location>\n",
        files: &[("x.py", ""), ("loc/y.py", "")],
        paths: &["/x.py", "/loc/y.py"],
        modules: &[],
    });
}

#[test]
fn option_removal_with_an_empty_value() {
    compare(&Scenario {
        name: "option removal",
        config: "PythonPath \"['@DOCROOT@'] + sys.path\"\n\
                 <Directory \"@DOCROOT@\">\n  SetHandler mod_python\n  PythonHandler probe\n  \
                 PythonOption a 1\n  PythonOption b 2\n</Directory>\n\
                 <Directory \"@DOCROOT@/sub\">\n  PythonOption a\n</Directory>\n",
        files: &[("sub/x.py", "")],
        paths: &["/sub/x.py"],
        modules: &[],
    });
}

#[test]
fn named_interpreters_and_debug_flags() {
    compare(&Scenario {
        name: "interpreters",
        config: "PythonPath \"['@DOCROOT@'] + sys.path\"\n\
                 <Directory \"@DOCROOT@\">\n  SetHandler mod_python\n  PythonHandler probe\n  \
                 PythonDebug On\n</Directory>\n\
                 <Directory \"@DOCROOT@/named\">\n  PythonInterpreter shared_one\n  \
                 PythonAutoReload Off\n</Directory>\n",
        files: &[("x.py", ""), ("named/x.py", "")],
        paths: &["/x.py", "/named/x.py"],
        modules: &[],
    });
}

/// A stack runs on while its handlers return OK; DECLINED ends it (and Apache's default
/// handler serves the file).
#[test]
fn stacked_handlers_run_while_they_return_ok() {
    compare(&Scenario {
        name: "stacking",
        config: "PythonPath \"['@DOCROOT@'] + sys.path\"\n\
                 <Directory \"@DOCROOT@\">\n  SetHandler mod_python\n  \
                 PythonHandler probe::first probe::second\n</Directory>\n\
                 <Directory \"@DOCROOT@/declines\">\n  \
                 PythonHandler probe::declined probe::second\n</Directory>\n",
        files: &[("x.py", ""), ("declines/x.py", "static text\n")],
        paths: &["/x.py", "/declines/x.py"],
        modules: &[],
    });
}

/// mod_python skips the filesystem walk for a handler configured in a `<Location>`: no
/// filename, and Directory sections do not apply.
#[test]
fn location_handlers_skip_the_filesystem_walk() {
    compare(&Scenario {
        name: "location shortcut",
        config: "PythonPath \"['@DOCROOT@'] + sys.path\"\n\
                 <Directory \"@DOCROOT@\">\n  PythonOption from_directory 1\n</Directory>\n\
                 <Location /loc>\n  SetHandler mod_python\n  PythonHandler probe\n</Location>\n",
        files: &[("loc/x.py", "")],
        paths: &["/loc/x.py", "/loc/missing"],
        modules: &[],
    });
}

/// `PythonOption` keys compare without case, as in every APR table: a child's `bar` removes
/// the parent's `BAR`.
#[test]
fn option_keys_ignore_case() {
    compare(&Scenario {
        name: "option case",
        config: "PythonPath \"['@DOCROOT@'] + sys.path\"\n\
                 <Directory \"@DOCROOT@\">\n  SetHandler mod_python\n  PythonHandler probe\n  \
                 PythonOption BAR 1\n  PythonOption Keep 2\n</Directory>\n\
                 <Directory \"@DOCROOT@/sub\">\n  PythonOption bar\n  PythonOption KEEP 3\n\
                 </Directory>\n",
        files: &[("sub/x.py", "")],
        paths: &["/sub/x.py"],
        modules: &[],
    });
}

/// With `PythonInterpPerDirective`, the interpreter is named after the directory of the
/// section the handler was written in.
#[test]
fn interpreter_per_directive() {
    compare(&Scenario {
        name: "interp per directive",
        config: "PythonPath \"['@DOCROOT@'] + sys.path\"\nPythonInterpPerDirective On\n\
                 <Directory \"@DOCROOT@\">\n  SetHandler mod_python\n  PythonHandler probe\n\
                 </Directory>\n",
        files: &[("a/x.py", "")],
        paths: &["/a/x.py"],
        modules: &[],
    });
}

const COMPAT_PROBE: &str = r#"
from mod_python import apache
from mod_python.python22 import *
import mod_python
import mod_python.version

def handler(req):
    req.content_type = "text/plain"
    req.write("interpreter=%s\n" % req.interpreter)
    req.write("version module=%s has version=%s\n" % (
        type(mod_python.version).__name__, hasattr(mod_python.version, "version")))
    req.write("mp_version is str=%s\n" % isinstance(mod_python.mp_version, str))
    req.write("magic=%s %s\n" % (apache.MODULE_MAGIC_NUMBER_MAJOR,
                                apache.MODULE_MAGIC_NUMBER_MINOR > 0))
    return apache.OK
"#;

/// What old code and upstream's tests import: `mod_python.python22`, `mod_python.version` as a
/// module, and the module magic number of the httpd headers (not 0).
#[test]
fn compatibility_modules_and_magic_number() {
    compare(&Scenario {
        name: "compat modules",
        config: "PythonPath \"['@DOCROOT@'] + sys.path\"\n\
                 <Location /c>\n  SetHandler mod_python\n  PythonHandler compat_probe\n\
                 </Location>\n",
        files: &[("compat_probe.py", COMPAT_PROBE)],
        paths: &["/c"],
        modules: &[],
    });
}

const EXTENSION_PROBE: &str = r#"
from mod_python import apache

def handler(req):
    req.content_type = "text/plain"
    req.write("interpreter=%s\nextension=%r\nphase=%s\n" % (
        req.interpreter, req.extension, req.phase))
    return apache.OK
"#;

/// `req.extension`: the extension of a `| .ext` list that matched, else None (never missing).
#[test]
fn request_extension_is_none_unless_an_extension_list_matched() {
    compare(&Scenario {
        name: "req.extension",
        config: "PythonPath \"['@DOCROOT@'] + sys.path\"\n\
                 <Directory \"@DOCROOT@\">\n  SetHandler mod_python\n  \
                 PythonHandler ext_probe | .py\n</Directory>\n\
                 <Directory \"@DOCROOT@/plain\">\n  PythonHandler ext_probe\n</Directory>\n",
        files: &[
            ("ext_probe.py", EXTENSION_PROBE),
            ("x.py", ""),
            ("plain/x.txt", ""),
        ],
        paths: &["/x.py", "/plain/x.txt"],
        modules: &[],
    });
}

const CGI_PROBE: &str = r#"
from mod_python import apache

SHOWN = ["GATEWAY_INTERFACE", "SERVER_PROTOCOL", "REQUEST_METHOD", "QUERY_STRING",
         "REQUEST_URI", "SCRIPT_NAME", "PATH_INFO", "SERVER_NAME", "SERVER_ADDR",
         "REMOTE_ADDR", "DOCUMENT_ROOT", "SCRIPT_FILENAME",
         "HTTP_HOST", "PATH_TRANSLATED"]
VARYING = ["SERVER_PORT", "REMOTE_PORT"]

def handler(req):
    req.add_cgi_vars()
    env = req.subprocess_env
    req.content_type = "text/plain"
    lines = ["interpreter=%s" % req.interpreter]
    lines += ["%s=%s" % (k, env.get(k)) for k in SHOWN]
    lines += ["%s set=%s" % (k, bool(env.get(k))) for k in VARYING]
    req.write("\n".join(lines).replace(str(req.connection.local_addr[1]), "PORT"))
    return apache.OK
"#;

/// `req.add_cgi_vars()` adds the request's CGI variables and the common ones
/// (`SERVER_PORT`, `SERVER_NAME`, `REMOTE_ADDR`, `DOCUMENT_ROOT`, ...), as a WSGI bridge
/// needs them.
#[test]
fn add_cgi_vars_adds_the_common_variables() {
    compare(&Scenario {
        name: "add_cgi_vars",
        config: "PythonPath \"['@DOCROOT@'] + sys.path\"\n\
                 <Directory \"@DOCROOT@\">\n  SetHandler mod_python\n  PythonHandler cgi_probe\n\
                 </Directory>\n",
        files: &[("cgi_probe.py", CGI_PROBE), ("app.py", "")],
        paths: &["/app.py", "/app.py/extra/path?a=1&b=2"],
        modules: &[],
    });
}

const SERVER_PROBE: &str = r#"
from mod_python import apache

NAMES = ["server_hostname", "port", "is_virtual", "server_admin", "error_fname", "loglevel",
         "timeout", "keep_alive_timeout", "keep_alive_max", "keep_alive", "path", "pathlen",
         "names", "wild_names", "limit_req_line", "limit_req_fieldsize", "limit_req_fields",
         "my_generation"]

def handler(req):
    s = req.server
    req.content_type = "text/plain"
    lines = ["interpreter=%s" % req.interpreter]
    lines += ["%s=%r" % (n, getattr(s, n)) for n in NAMES]
    lines.append("next=%s" % (s.next.server_hostname if s.next else None))
    req.write("\n".join(lines))
    return apache.OK
"#;

/// The server object's members, as mod_python 3.5 gives them.
#[test]
fn server_object_members() {
    compare(&Scenario {
        name: "server members",
        config: "PythonPath \"['@DOCROOT@'] + sys.path\"\nServerAdmin admin@example.com\n\
                 Timeout 42\nKeepAliveTimeout 3\nMaxKeepAliveRequests 7\nLimitRequestLine 4000\n\
                 <Location /s>\n  SetHandler mod_python\n  PythonHandler server_probe\n\
                 </Location>\n\
                 <VirtualHost *>\n  ServerName v.test\n  ServerAlias w.test *.v.test\n\
                 </VirtualHost>\n",
        files: &[("server_probe.py", SERVER_PROBE)],
        paths: &["/s"],
        modules: &[],
    });
}

const TABLE_PROBE: &str = r#"
from mod_python import apache

class Headers(apache.table):
    pass

def handler(req):
    req.content_type = "text/plain"
    t = Headers()
    t.add("a", "1")
    t.add("b", "2")
    t.add("c", "3")
    lines = ["interpreter=%s" % req.interpreter,
             "subclass=%s %s" % (isinstance(t, apache.table), sorted(t.items())),
             "popitem=%r" % (t.popitem(),),
             "eq=%s %s" % (apache.table({"x": "1"}) == apache.table({"x": "1"}),
                           apache.table({"x": "1"}) == apache.table({"x": "2"})),
             "copy=%r" % (sorted(apache.table({"k": "v"}).copy().items()),)]
    req.write("\n".join(lines))
    return apache.OK
"#;

/// Tables can be subclassed, `popitem` returns the first pair, `==` compares entries.
/// (What is left after `popitem`, and the type a subclass makes, differ on purpose: see
/// docs/compat.md.)
#[test]
fn tables_subclass_popitem_and_compare() {
    compare(&Scenario {
        name: "tables",
        config: "PythonPath \"['@DOCROOT@'] + sys.path\"\n\
                 <Location /t>\n  SetHandler mod_python\n  PythonHandler table_probe\n\
                 </Location>\n",
        files: &[("table_probe.py", TABLE_PROBE)],
        paths: &["/t"],
        modules: &[],
    });
}

/// `PythonHandlerModule` does not put its directory on `sys.path` (mod_python 3.5 adds it only
/// for handlers named one phase at a time): without a `PythonPath`, its module is not found
/// and the request fails, on both.
#[test]
fn handler_module_does_not_extend_sys_path() {
    let s = Scenario {
        name: "PythonHandlerModule path",
        config: "<Directory \"@DOCROOT@\">\n  SetHandler mod_python\n  \
                 PythonHandlerModule probe\n</Directory>\n",
        files: &[("x.py", "static x\n")],
        paths: &["/x.py"],
        modules: &[],
    };
    let status = |reference| common::get(&start(Mpm::Event, &s, reference), "/x.py").status;
    let expected = status(true);
    assert_eq!(status(false), expected);
    assert_eq!(expected, 500);
}

/// With `PythonInterpPerDirective`, a handler written outside every directory section runs in
/// `main_interpreter`.
#[test]
fn interpreter_per_directive_outside_sections() {
    compare(&Scenario {
        name: "interp per directive, server level",
        config: "PythonPath \"['@DOCROOT@'] + sys.path\"\nPythonInterpPerDirective On\n\
                 PythonHandler probe\n\
                 <Location /p>\n  SetHandler mod_python\n</Location>\n",
        files: &[],
        paths: &["/p/x"],
        modules: &[],
    });
}

/// With `PythonInterpPerDirectory`, a request for a directory itself (no trailing slash)
/// runs in that directory's interpreter.
#[test]
fn interpreter_per_directory_for_a_directory_itself() {
    compare(&Scenario {
        name: "interp per directory, a directory",
        config: "PythonPath \"['@DOCROOT@'] + sys.path\"\n\
                 <Directory \"@DOCROOT@\">\n  SetHandler mod_python\n  PythonHandler probe\n  \
                 PythonInterpPerDirectory On\n</Directory>\n",
        files: &[("p/c/x.py", ""), ("p/y.py", "")],
        paths: &["/p/c", "/p/y.py"],
        modules: &[],
    });
}

const NATIVE_PROBE: &str = r#"
from mod_python import apache

class KeysOnly:
    def keys(self):
        return [1, "b"]
    def __getitem__(self, key):
        return {1: 2, "b": 3.5}[key]

def outcome(f):
    try:
        return repr(f())
    except Exception as e:
        return type(e).__name__

def handler(req):
    req.content_type = "text/plain"
    t = apache.table()
    lines = [
        "interpreter=%s" % req.interpreter,
        "types=%s" % [str(type(o)) for o in
                      (req, req.connection, req.server, req.headers_in, req.hlist)],
        "update_none=%s" % outcome(lambda: t.update(None)),
        "update_pairs=%s" % outcome(lambda: t.update([("a", "b")])),
        "update_keys_only=%s" % outcome(lambda: (t.update(KeysOnly()), sorted(t.items()))[1]),
        "from_dict=%s" % outcome(lambda: sorted(apache.table({1: 2}).items())),
        "from_pairs=%s" % outcome(lambda: sorted(apache.table([("x", 1)]).items())),
        "set_int_key=%s" % outcome(lambda: t.__setitem__(1, "v")),
    ]
    req.write("\n".join(lines))
    return apache.OK
"#;

/// The native types carry mod_python's names (`str(type(req.connection))` is
/// `<class 'mp_conn'>`, which mod_python's own tests check); `table.update` wants a mapping
/// and takes `str()` of keys and values, as the constructor does.
#[test]
fn native_type_names_and_table_update() {
    compare(&Scenario {
        name: "native types",
        config: "PythonPath \"['@DOCROOT@'] + sys.path\"\n\
                 <Location /n>\n  SetHandler mod_python\n  PythonHandler native_probe\n\
                 </Location>\n",
        files: &[("native_probe.py", NATIVE_PROBE)],
        paths: &["/n"],
        modules: &[],
    });
}

const IMPORT_OPTIONS: &str = r#"
from mod_python import apache

def at_start():
    apache.main_server.get_options()["set_at_start"] = "yes"

def handler(req):
    req.content_type = "text/plain"
    opts = apache.main_server.get_options()
    seen = opts.get("set_at_start")
    opts["count"] = str(int(opts.get("count", "0")) + 1)
    req.write("interpreter=%s\nset_at_start=%s\nserver_level=%s\n" % (
        req.interpreter, seen, opts.get("from_config")))
    return apache.OK
"#;

/// What a `PythonImport` writes into `main_server.get_options()` is there for the
/// requests that follow, in the same child.
#[test]
fn server_options_written_at_child_start_stay() {
    compare(&Scenario {
        name: "server options",
        config: "PythonPath \"['@DOCROOT@'] + sys.path\"\nPythonOption from_config 1\n\
                 PythonImport import_options::at_start main_interpreter\n\
                 PythonInterpreter main_interpreter\n\
                 <Location /o>\n  SetHandler mod_python\n  PythonHandler import_options\n\
                 </Location>\n",
        files: &[("import_options.py", IMPORT_OPTIONS)],
        paths: &["/o", "/o"],
        modules: &[],
    });
}

const HLIST_PROBE: &str = r#"
from mod_python import apache

def first(req):
    req.content_type = "text/plain"
    h = req.hlist
    req.write("interpreter=%s\nfirst sees %s silent=%r is_location=%r\n" % (
        req.interpreter, h.handler, h.silent, h.is_location))
    h.next()
    req.write("after next %s\n" % h.handler)
    return apache.OK

def second(req):
    req.write("second ran\n")
    return apache.OK

def third(req):
    req.write("third sees %s\n" % req.hlist.handler)
    return apache.OK
"#;

/// `req.hlist` is the dispatcher's own cursor: `next()` in a handler moves it on, so the
/// handler after it is skipped.
#[test]
fn hlist_next_skips_the_next_handler() {
    compare(&Scenario {
        name: "hlist next",
        config: "PythonPath \"['@DOCROOT@'] + sys.path\"\n\
                 <Location /h>\n  SetHandler mod_python\n  \
                 PythonHandler hlist_probe::first\n  PythonHandler hlist_probe::second\n  \
                 PythonHandler hlist_probe::third\n</Location>\n",
        files: &[("hlist_probe.py", HLIST_PROBE)],
        paths: &["/h"],
        modules: &[],
    });
}

const SSI_PAGE: &str = "before\n\
<!--#python eval=\"'interpreter=%s' % __import__('mod_python.apache').apache.interpreter\" -->\n\
<!--#python exec=\"filter.write(data.upper())\" -->\n\
mid <!--#python eval=\"6 * 7\" --> <!--#python eval=\"None\" -->\n\
<!--#python eval=\"__file__.rsplit('/', 1)[-1]\" -->\n\
<!--#python bogus=\"1\" -->\n\
after\n";

/// A directive whose code raises: mod_python 3.5's child dies of a segmentation fault there
/// (docs/compat.md); ours leaves the error marker and logs the traceback.
const SSI_RAISING_PAGE: &str = "before\n\
<!--#python exec=\"raise ValueError('boom')\" -->\n\
mid <!--#python eval=\"6 * 7\" -->\n\
after\n";

const SSI_FIXUP: &str = r#"
from mod_python import apache

def fixup(req):
    req.ssi_globals = {"data": "from the fixup"}
    return apache.OK
"#;

/// `<!--#python exec/eval -->` in a server-side include: globals from `req.ssi_globals`,
/// `filter` writes where the directive stood, `eval` writes `str()` of the value, bad
/// parameters and exceptions leave mod_include's error marker; `IncludesNoExec` refuses it.
#[test]
fn server_side_include_python_directives() {
    let s = Scenario {
        name: "ssi",
        config: "PythonPath \"['@DOCROOT@'] + sys.path\"\n\
                 <Directory \"@DOCROOT@\">\n  Options +Includes\n  AddType text/html .shtml\n  \
                 AddOutputFilter INCLUDES .shtml\n  PythonFixupHandler ssi_fixup::fixup\n\
                 </Directory>\n\
                 <Directory \"@DOCROOT@/noexec\">\n  Options -Includes +IncludesNoExec\n\
                 </Directory>\n",
        files: &[
            ("ssi_fixup.py", SSI_FIXUP),
            ("page.shtml", SSI_PAGE),
            ("noexec/page.shtml", SSI_PAGE),
        ],
        paths: &["/page.shtml", "/noexec/page.shtml"],
        modules: &["include"],
    };
    compare(&s);
    let raising = Scenario {
        files: &[
            ("ssi_fixup.py", SSI_FIXUP),
            ("raising.shtml", SSI_RAISING_PAGE),
        ],
        ..s
    };
    let ours = start(Mpm::Event, &raising, false);
    for _ in 0..3 {
        let r = common::get(&ours, "/raising.shtml");
        assert_eq!(
            r.text(),
            "before\n[an error occurred while processing this directive]\nmid 42\nafter\n"
        );
    }
    let log = ours.error_log();
    assert!(log.contains("ValueError: boom"), "{log}");
    assert!(common::crash_lines(&log).is_empty(), "{log}");
}

const CONN_PROBE: &str = r#"
from mod_python import apache

def connection(conn):
    h = conn.hlist
    conn.notes["seen_by"] = "%s %s %s" % (h.handler, h.silent, str(type(h)))
    # Declined: Apache serves the connection as HTTP, with the notes set here.
    return apache.DECLINED

def handler(req):
    req.content_type = "text/plain"
    req.write("interpreter=%s\nnotes=%s\n" % (
        req.interpreter, req.connection.notes.get("seen_by")))
    return apache.OK
"#;

/// A connection handler's `conn.notes` are the connection's own: what it writes there is
/// seen by the requests served on the connection after it declines; `conn.hlist` names it.
#[test]
fn connection_handler_notes_and_hlist() {
    compare(&Scenario {
        name: "connection notes",
        config: "PythonPath \"['@DOCROOT@'] + sys.path\"\n\
                 PythonConnectionHandler conn_probe::connection\n\
                 <Location /c>\n  SetHandler mod_python\n  PythonHandler conn_probe\n\
                 </Location>\n",
        files: &[("conn_probe.py", CONN_PROBE)],
        paths: &["/c"],
        modules: &[],
    });
}

const MEMBERS_PROBE: &str = r#"
from mod_python import apache
import _apache
import sys
import time

def kind(v):
    return type(v).__name__

def handler(req):
    req.content_type = "text/plain"
    before = req._bytes_queued
    req.write("x\n")
    restart = req.server.restart_time
    lines = [
        "interpreter=%s" % req.interpreter,
        "bytes_queued=%s %s" % (before, req._bytes_queued),
        "records=%s" % [kind(o) for o in
                        (req._request_rec, req.server._server_rec, req.connection._conn_rec)],
        "restart_time=%s %s" % (kind(restart), abs(time.time() - restart) < 600),
        "exts=%s %s" % (kind(req.get_addhandler_exts()), sorted(req.get_addhandler_exts().split())),
        "parse_qs=%r" % (sorted(_apache.parse_qs("a=1&b=2&a=3;c=%41+b&d=&e&x=y=z").items()),),
        "parse_qs_blank=%r" % (sorted(_apache.parse_qs("a=1&b=&c", 1).items()),),
        "parse_qs_bytes=%r" % (_apache.parse_qs(b"k=%41"),),
        "parse_qsl_values=%r" % ([v for k, v in _apache.parse_qsl("a=1&b=&c", 1)],),
        "names=%s" % [kind(getattr(apache, n)) for n in
                      ("setup_cgi", "restore_nocgi", "NullIO", "CGIStdin", "CGIStdout",
                       "init", "CallBack")],
        "optimize=%s" % sys.flags.optimize,
    ]
    req.write("\n".join(lines))
    return apache.OK
"#;

/// Request, server and connection members mod_python 3.5 has beyond its documentation
/// (`_bytes_queued`, the record capsules, `restart_time`, `get_addhandler_exts()`),
/// `_apache.parse_qs`, the CGI helpers' names in `mod_python.apache`; `PythonOptimize On`
/// starts Python at optimisation level 2 and `PythonEnablePdb On` has no effect unless
/// httpd runs in one process (`-X`).
#[test]
fn members_beyond_the_documentation_and_python_flags() {
    for (name, flags) in [
        ("members", ""),
        (
            "members optimised",
            "PythonOptimize On\nPythonEnablePdb On\n",
        ),
    ] {
        let config = format!(
            "{flags}PythonPath \"['@DOCROOT@'] + sys.path\"\n\
             <Directory \"@DOCROOT@\">\n  AddHandler mod_python .py .pyx\n  \
             AddHandler cgi-script .cgi\n  PythonHandler members_probe\n</Directory>\n"
        );
        compare(&Scenario {
            name,
            config: Box::leak(config.into_boxed_str()),
            files: &[("members_probe.py", MEMBERS_PROBE), ("x.py", "")],
            paths: &["/x.py"],
            modules: &[],
        });
    }
}

const SETUP_CGI_PROBE: &str = r#"
import os
from mod_python import apache

def handler(req):
    saved = apache.setup_cgi(req)
    try:
        print("Status: 202 Accepted")
        print("X-From-Script: yes")
        print("Content-Type: text/plain")
        print()
        print("interpreter=%s" % req.interpreter)
        print("method=%s script=%s" % (os.environ.get("REQUEST_METHOD"),
                                        os.environ.get("SCRIPT_NAME")))
    finally:
        apache.restore_nocgi(*saved)
    return apache.OK
"#;

/// `apache.setup_cgi(req)`: what a CGI-style script prints becomes the response, its
/// `Status:` header the status, and os.environ holds the request's CGI variables.
#[test]
fn setup_cgi_turns_printed_output_into_the_response() {
    compare(&Scenario {
        name: "setup_cgi",
        config: "PythonPath \"['@DOCROOT@'] + sys.path\"\n\
                 <Directory \"@DOCROOT@/cgi\">\n  SetHandler mod_python\n  \
                 PythonHandler setup_cgi_probe\n</Directory>\n",
        files: &[("setup_cgi_probe.py", SETUP_CGI_PROBE), ("cgi/script", "")],
        paths: &["/cgi/script"],
        modules: &[],
    });
}

const WHERE_PROBE: &str = r#"
import sys
from mod_python import apache

def handler(req):
    req.content_type = "text/plain"
    d = req.hlist.directory
    req.write("interpreter=%s\ndirectory=%s\non_path=%s\n" % (
        req.interpreter, d, d is not None and d in sys.path))
    return apache.OK
"#;

/// For a handler written in a wildcard `<Directory>` or a `<DirectoryMatch>`, `hlist.directory`
/// (and what goes on `sys.path`) is the directory the section matched, not its pattern.
#[test]
fn wildcard_and_regex_sections_report_the_matched_directory() {
    compare(&Scenario {
        name: "wildcard directories",
        config: "<Directory \"@DOCROOT@/app*\">\n  SetHandler mod_python\n  \
                 PythonHandler where_probe\n</Directory>\n\
                 <DirectoryMatch \"^@DOCROOT@/re[0-9]+\">\n  SetHandler mod_python\n  \
                 PythonHandler where_probe\n</DirectoryMatch>\n",
        files: &[
            ("app1/where_probe.py", WHERE_PROBE),
            ("app1/sub/x", ""),
            ("re42/where_probe.py", WHERE_PROBE),
            ("re42/deeper/y", ""),
        ],
        paths: &["/app1/x", "/app1/sub/x", "/re42/y", "/re42/deeper/y"],
        modules: &[],
    });
}

/// Sections of every kind around one probe: `<LocationMatch>`, `<Files>`, `<FilesMatch>`,
/// `.htaccess` (with `AllowOverride`), name-based `<VirtualHost>`s and the main server.
#[test]
fn every_kind_of_section() {
    compare(&Scenario {
        name: "sections",
        config: "PythonPath \"['@DOCROOT@'] + sys.path\"\nPythonOption level main\n\
                 <Directory \"@DOCROOT@\">\n  AllowOverride All\n  SetHandler mod_python\n  \
                 PythonHandler probe\n  PythonOption level docroot\n  \
                 <Files \"special.txt\">\n    PythonOption files yes\n  </Files>\n  \
                 <FilesMatch \"\\.(dat|bin)$\">\n    PythonOption filesmatch yes\n  </FilesMatch>\n\
                 </Directory>\n\
                 <LocationMatch \"^/lm/[0-9]+\">\n  PythonOption locationmatch yes\n\
                 </LocationMatch>\n\
                 <VirtualHost *>\n  ServerName 127.0.0.1\n</VirtualHost>\n\
                 <VirtualHost *>\n  ServerName v.test\n  PythonOption vhost v\n  \
                 PythonInterpreter vhost_interp\n</VirtualHost>\n",
        files: &[
            ("special.txt", "x"),
            ("data.dat", "x"),
            ("lm/12/x", "x"),
            (
                "ht/.htaccess",
                "PythonOption level htaccess\nPythonOption from_htaccess 1\n",
            ),
            ("ht/page", "x"),
        ],
        paths: &[
            "/special.txt",
            "/data.dat",
            "/lm/12/x",
            "/ht/page",
            "v.test/special.txt",
            "v.test/ht/page",
        ],
        modules: &[],
    });
}

const RETURNS: &str = r#"
from mod_python import apache

def declines(req):
    return apache.DECLINED

def writes(req):
    req.content_type = "text/plain"
    req.write("interpreter=%s\nphase=%s\nhandler=%s\n" % (
        req.interpreter, req.phase, req.hlist.handler))
    return apache.OK

def done(req):
    req.content_type = "text/plain"
    req.write("interpreter=%s\ndone\n" % req.interpreter)
    return apache.DONE

def forbidden_by_raise(req):
    raise apache.SERVER_RETURN(apache.HTTP_FORBIDDEN)

def forbidden_with_status(req):
    req.content_type = "text/plain"
    req.write("interpreter=%s\nbody kept\n" % req.interpreter)
    raise apache.SERVER_RETURN(apache.OK, apache.HTTP_FORBIDDEN)

def not_found(req):
    return apache.HTTP_NOT_FOUND

def not_an_int(req):
    return "oops"

def access_denied(req):
    return apache.HTTP_FORBIDDEN

def access_ok(req):
    return apache.OK

def fixup_declines(req):
    return apache.DECLINED
"#;

/// What a handler's return value does: `DECLINED` passes to the next stacked handler, `DONE`
/// ends the phase, `SERVER_RETURN` with a status or a (result, status) pair, an HTTP status
/// becomes the response, a value that is not an int is an error; an access handler's
/// `HTTP_FORBIDDEN` stops the request before the content handler.
#[test]
fn handler_return_values_and_phases() {
    let handlers = [
        ("r/declines", "PythonHandler returns::declines\n  PythonHandler returns::writes"),
        ("r/done", "PythonHandler returns::done\n  PythonHandler returns::writes"),
        ("r/raise", "PythonHandler returns::forbidden_by_raise"),
        ("r/status", "PythonHandler returns::forbidden_with_status"),
        ("r/missing", "PythonHandler returns::not_found"),
        ("r/string", "PythonHandler returns::not_an_int"),
        ("r/denied", "PythonAccessHandler returns::access_denied\n  PythonHandler returns::writes"),
        (
            "r/allowed",
            "PythonAccessHandler returns::access_ok\n  PythonFixupHandler returns::fixup_declines\n  \
             PythonHandler returns::writes",
        ),
    ];
    let mut config = String::from("PythonPath \"['@DOCROOT@'] + sys.path\"\n");
    for (path, lines) in handlers {
        config.push_str(&format!(
            "<Location /{path}>\n  SetHandler mod_python\n  {lines}\n</Location>\n"
        ));
    }
    compare(&Scenario {
        name: "return values",
        config: Box::leak(config.into_boxed_str()),
        files: &[("returns.py", RETURNS)],
        paths: &[
            "/r/declines",
            "/r/done",
            "/r/raise",
            "/r/status",
            "/r/missing",
            "/r/string",
            "/r/denied",
            "/r/allowed",
        ],
        modules: &[],
    });
}

const FILTERS: &str = r#"
from mod_python import apache

def page(req):
    req.content_type = "text/plain"
    req.write("From The Handler\n")
    return apache.OK

def adds(req):
    req.add_output_filter("SHOUT")
    return page(req)

def registers(req):
    req.register_output_filter("WHISPER", "filters::whisper")
    req.add_output_filter("WHISPER")
    return page(req)

def _filter(f, change):
    data = f.read()
    while data:
        f.write(change(data))
        data = f.read()
    if data is None:
        f.write("interpreter=%s\nname=%s handler=%s dir=%s is_input=%s\n" % (
            f.req.interpreter, f.name, f.handler, f.dir, f.is_input))
        f.close()

def shout(f):
    _filter(f, lambda b: b.upper())

def whisper(f):
    _filter(f, lambda b: b.lower())
"#;

/// Python output filters configured with `PythonOutputFilter` and switched on by
/// `SetOutputFilter`, added by the handler, and registered by it: what they write and what
/// the filter object reports (name, handler, directory).
#[test]
fn output_filters_added_three_ways() {
    compare(&Scenario {
        name: "output filters",
        config: "PythonPath \"['@DOCROOT@'] + sys.path\"\n\
                 PythonOutputFilter filters::shout SHOUT\n\
                 <Location /f/set>\n  SetHandler mod_python\n  PythonHandler filters::page\n  \
                 SetOutputFilter SHOUT\n</Location>\n\
                 <Location /f/added>\n  SetHandler mod_python\n  PythonHandler filters::adds\n\
                 </Location>\n\
                 <Directory \"@DOCROOT@/reg\">\n  SetHandler mod_python\n  \
                 PythonHandler filters::registers\n</Directory>\n",
        files: &[("filters.py", FILTERS), ("reg/x", "")],
        paths: &["/f/set", "/f/added", "/reg/x"],
        modules: &[],
    });
}

const REQUEST_BITS: &str = r#"
from mod_python import apache

def handler(req):
    lines = ["interpreter=%s" % req.interpreter,
             "content_type_set before=%r" % (req._content_type_set,)]
    req.content_type = "text/plain"
    lines.append("content_type_set after=%r" % (req._content_type_set,))
    for t in (apache.REMOTE_HOST, apache.REMOTE_NAME, apache.REMOTE_NOLOOKUP,
              apache.REMOTE_DOUBLE_REV):
        lines.append("remote_host %d=%r %r" % (t, req.get_remote_host(t),
                                               req.get_remote_host(t, 1)))
    import os
    other = os.path.join(os.path.dirname(req.filename), "other.txt")
    req.finfo = apache.stat(other, apache.APR_FINFO_MIN)
    lines.append("finfo assigned=%s %s" % (req.finfo.fname.rsplit("/", 1)[-1], req.finfo.size))
    req.server.my_attribute = 5
    lines.append("server attribute=%r" % (getattr(req.server, "my_attribute", None),))
    req.write("\n".join(lines) + "\n")
    return apache.OK

def outputfilter(f):
    data = f.read()
    while data:
        f.write(data)
        data = f.read()
    if data is None:
        f.write("interpreter=%s\nphase in a filter of a static file=%r\n" % (
            f.req.interpreter, f.req.phase))
        f.close()
"#;

/// Request details mod_python 3.5 has: `_content_type_set`, `get_remote_host` answers for
/// each lookup type, an assignable `finfo`, attributes set on the server object, and
/// `req.phase` None where no handler has run (a filter over a static file).
#[test]
fn request_details() {
    compare(&Scenario {
        name: "request details",
        config: "PythonPath \"['@DOCROOT@'] + sys.path\"\n\
                 PythonOutputFilter request_bits PHASE_PROBE\n\
                 <Directory \"@DOCROOT@/h\">\n  SetHandler mod_python\n  \
                 PythonHandler request_bits\n</Directory>\n\
                 <Directory \"@DOCROOT@/static\">\n  SetOutputFilter PHASE_PROBE\n</Directory>\n",
        files: &[
            ("request_bits.py", REQUEST_BITS),
            ("h/page", ""),
            ("h/other.txt", "12345"),
            ("static/file.txt", "static text\n"),
        ],
        paths: &["/h/page", "/static/file.txt"],
        modules: &[],
    });
}

const RAISING_FILTER: &str = r#"
from mod_python import apache

def page(req):
    req.content_type = "text/plain"
    req.write("interpreter=%s\nfrom the handler\n" % req.interpreter, 0)
    return apache.OK

def outputfilter(f):
    data = f.read()
    while data:
        f.write(data)
        data = f.read()
    raise ValueError("the filter fails at the end of the stream")
"#;

/// An output filter that raises after reading the end of the stream: the response still ends,
/// with what the filter wrote, and the traceback is logged (mod_python 3.5 sends nothing at
/// all: docs/compat.md).
#[test]
fn output_filter_raising_at_the_end_of_the_stream() {
    let s = Scenario {
        name: "raising filter",
        config: "PythonPath \"['@DOCROOT@'] + sys.path\"\n\
                 PythonOutputFilter raising_filter BREAKS\n\
                 <Location /rf>\n  SetHandler mod_python\n  PythonHandler raising_filter::page\n  \
                 SetOutputFilter BREAKS\n</Location>\n",
        files: &[("raising_filter.py", RAISING_FILTER)],
        paths: &["/rf"],
        modules: &[],
    };
    for mpm in Mpm::ALL {
        let ours = start(mpm, &s, false);
        let r = common::get(&ours, "/rf");
        assert_eq!(r.status, 200);
        assert!(
            r.text().ends_with("from the handler\n"),
            "{mpm:?}: {:?}",
            r.text()
        );
        let log = ours.error_log();
        assert!(log.contains("ValueError: the filter fails"), "{log}");
        assert!(common::crash_lines(&log).is_empty(), "{log}");
    }
}

const INIT_PROBE: &str = r#"
from mod_python import apache

def init(req):
    req.notes["init"] = req.notes.get("init", "") + "[%s in %s]" % (req.phase, req.hlist.directory)
    return apache.OK

def handler(req):
    req.content_type = "text/plain"
    req.write("interpreter=%s\ninit=%s\n" % (req.interpreter, req.notes.get("init")))
    return apache.OK
"#;

/// `PythonInitHandler` is the post-read-request handler when written at server level and
/// the header-parser handler when written in a directory.
#[test]
fn init_handler_at_server_level_and_in_a_directory() {
    compare(&Scenario {
        name: "init handler",
        config: "PythonPath \"['@DOCROOT@'] + sys.path\"\n\
                 <VirtualHost *>\n  ServerName 127.0.0.1\n</VirtualHost>\n\
                 <VirtualHost *>\n  ServerName s.test\n  PythonInitHandler init_probe::init\n\
                 </VirtualHost>\n\
                 <Directory \"@DOCROOT@\">\n  SetHandler mod_python\n  \
                 PythonHandler init_probe\n</Directory>\n\
                 <Directory \"@DOCROOT@/d\">\n  PythonInitHandler init_probe::init\n</Directory>\n",
        files: &[("init_probe.py", INIT_PROBE), ("x", ""), ("d/y", "")],
        paths: &["/x", "/d/y", "s.test/x", "s.test/d/y"],
        modules: &[],
    });
}

/// `<!--#python -->` still works after a graceful (SIGUSR1) and a full (SIGHUP) restart:
/// Apache may load mod_include again at another address, and the tag handler is registered
/// with its new table each time.
#[test]
fn server_side_include_survives_restarts() {
    let s = Scenario {
        name: "ssi restarts",
        config: "PythonPath \"['@DOCROOT@'] + sys.path\"\n\
                 <Directory \"@DOCROOT@\">\n  Options +Includes\n  AddType text/html .shtml\n  \
                 AddOutputFilter INCLUDES .shtml\n</Directory>\n",
        files: &[("p.shtml", "a <!--#python eval=\"6 * 7\" --> b\n")],
        paths: &["/p.shtml"],
        modules: &["include"],
    };
    let ours = start(Mpm::Event, &s, false);
    assert_eq!(common::get(&ours, "/p.shtml").text(), "a 42 b\n");
    let pid = ours.pid().expect("pid") as i32;
    for (round, signal) in [libc::SIGUSR1, libc::SIGHUP].into_iter().enumerate() {
        // SAFETY: signalling the Apache parent this test started.
        unsafe { libc::kill(pid, signal) };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            std::thread::sleep(std::time::Duration::from_millis(200));
            let generations = ours
                .error_log()
                .matches("resuming normal operations")
                .count();
            let answer = ours.get("/p.shtml").ok().map(|r| r.text());
            if generations >= round + 2 && answer.as_deref() == Some("a 42 b\n") {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no SSI answer after signal {signal}: {answer:?}\n{}",
                ours.error_log()
            );
        }
    }
    let log = ours.error_log();
    assert!(common::crash_lines(&log).is_empty(), "{log}");
}

const OPTIONS_WRITE: &str = r#"
from mod_python import apache

def first(req):
    opts = req.get_options()
    req.content_type = "text/plain"
    req.write("interpreter=%s\nbefore=%s\n" % (req.interpreter, opts.get("written")))
    opts["written"] = "by first"
    return apache.OK

def second(req):
    req.write("second sees=%s\n" % req.get_options().get("written"))
    return apache.OK
"#;

/// What a handler writes into `req.get_options()` is seen by the next handler of the request.
#[test]
fn options_written_by_one_handler_reach_the_next() {
    compare(&Scenario {
        name: "options written",
        config: "PythonPath \"['@DOCROOT@'] + sys.path\"\n\
                 <Location /o>\n  SetHandler mod_python\n  PythonOption given yes\n  \
                 PythonHandler options_write::first\n  PythonHandler options_write::second\n\
                 </Location>\n",
        files: &[("options_write.py", OPTIONS_WRITE)],
        paths: &["/o", "/o"],
        modules: &[],
    });
}

const PUBLISHED_PAGE: &str = r#"
def index(req):
    return "interpreter=%s" % req.interpreter

def hello(req, name="world", times="1"):
    return "hello %s x%s" % (name, times)

def number(req):
    return 42

def nothing(req):
    return None

def html(req):
    return "<html><body>page</body></html>"

class Callable(object):
    def __call__(self, req):
        return "called"
    def method(self, req, q="none"):
        return "method q=%s" % q

instance = Callable()
_private = "hidden"
text = "a plain string attribute"
"#;

/// The publisher's resolution, traversal rules and results, as 3.5 answers them. (Query
/// strings are left out: 3.5's parse_qsl gives (value, value) pairs, a defect listed in
/// docs/compat.md, so no field from one reaches a published function there.)
#[test]
fn publisher_resolution_and_rules() {
    compare(&Scenario {
        name: "publisher",
        config: "PythonPath \"['@DOCROOT@'] + sys.path\"\n\
                 <Directory \"@DOCROOT@/pub\">\n  SetHandler mod_python\n  \
                 PythonHandler mod_python.publisher\n</Directory>\n",
        files: &[("pub/page.py", PUBLISHED_PAGE)],
        paths: &[
            "/pub/page.py",
            "/pub/page",
            "/pub/page.py/",
            "/pub/page.py/index",
            "/pub/page.py/hello",
            "/pub/page.py/number",
            "/pub/page.py/nothing",
            "/pub/page.py/html",
            "/pub/page.py/instance",
            "/pub/page.py/instance/method",
            "/pub/page.py/text",
            "/pub/page.py/_private",
            "/pub/page.py/Callable",
            "/pub/page.py/index/__code__",
            "/pub/page.py/missing",
            "/pub/other.py",
            "/pub/",
        ],
        modules: &[],
    });
}
