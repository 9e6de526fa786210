//! Soundness under real Apache: end-of-request cleanups that read the request after
//! `DirectoryIndex` redirects and internal redirects, `main_interpreter` on a worker thread
//! that served a sub-interpreter first, and Python threads that touch request objects.
//! Each scenario crashed a child, ran code in the wrong interpreter or hung the process
//! before the fixes of the soundness review.

mod common;

use common::{build_module, get};
use std::sync::Arc;
use test_httpd::{Apache, Mpm, ServerSpec};

/// Starts `mpm` with `config` and `files`, with glibc told to scribble over freed memory so
/// that a use after free shows up as a wrong answer or a crash rather than by luck.
fn start_perturbed(mpm: Mpm, config: &str, files: &[(&str, &str)], modules: &[&str]) -> Apache {
    build_module();
    let mut spec = ServerSpec::new(mpm, config).env("MALLOC_PERTURB_", "165");
    for (path, contents) in files {
        spec = spec.file(path, contents);
    }
    for m in modules {
        spec = spec.module(m);
    }
    Apache::start(&spec).unwrap_or_else(|e| panic!("Apache did not start: {e}"))
}

/// Sends `count` GETs spread over `paths` from 4 clients at once, then stops Apache gracefully; checks
/// that every answer was `200 expect` and that no child crashed; returns the error log.
fn hammer_then_stop(
    apache: Apache,
    paths: &'static [&'static str],
    count: usize,
    expect: &'static str,
) -> String {
    const CLIENTS: usize = 4;
    let apache = Arc::new(apache);
    let threads: Vec<_> = (0..CLIENTS)
        .map(|t| {
            let apache = apache.clone();
            std::thread::spawn(move || {
                let mut wrong = Vec::new();
                for i in 0..count / CLIENTS {
                    let path = paths[(i + t) % paths.len()];
                    match apache.get(path) {
                        Ok(r) if r.status == 200 && r.text() == expect => {}
                        Ok(r) => wrong.push(format!("{path}: {} {:?}", r.status, r.text())),
                        Err(e) => wrong.push(format!("{path}: {e}")),
                    }
                }
                wrong
            })
        })
        .collect();
    let wrong: Vec<String> = threads
        .into_iter()
        .flat_map(|t| t.join().expect("client thread"))
        .collect();
    let mut apache = Arc::into_inner(apache).expect("clients done");
    apache.stop_gracefully();
    let log = apache.error_log();
    assert!(
        wrong.is_empty(),
        "{:?}\n{log}",
        &wrong[..wrong.len().min(5)]
    );
    assert!(
        common::crash_lines(&log).is_empty(),
        "{:?}",
        common::crash_lines(&log)
    );
    log
}

const CLEANUP_PROBE: &str = r#"
from mod_python import apache

def check(req):
    # Runs at the end of the request: everything read here must still be the request's.
    opts = req.get_options()
    cfg = req.get_config()
    where = "%s %s %s" % (req.uri, req.filename, opts.get("colour"))
    if opts.get("colour") != "blue" or "PythonDebug" in cfg and cfg["PythonDebug"] != "1":
        apache.log_error("CLEANUP-WRONG " + where, apache.APLOG_ERR)
    else:
        apache.log_error("CLEANUP-OK " + where, apache.APLOG_ERR)

def postread(req):
    req.register_cleanup(check, req)
    return apache.OK
"#;

const INDEX_PY: &str = r#"
from mod_python import apache

def handler(req):
    req.content_type = "text/plain"
    req.write("index " + req.get_options().get("colour", "none"))
    return apache.OK
"#;

/// A post-read-request handler registers a cleanup that reads the request's options,
/// configuration, URI and filename; `DirectoryIndex index.py` makes mod_dir hand the request
/// a configuration and filename from a subrequest pool. Every cleanup must see the right
/// values and no child may crash, under every MPM.
#[test]
fn cleanups_read_the_request_after_directory_index_redirect() {
    const REQUESTS: usize = 2000;
    for mpm in Mpm::ALL {
        let config = "PythonPath \"['@DOCROOT@'] + sys.path\"\n\
                      PythonPostReadRequestHandler cleanup_probe::postread\n\
                      DirectoryIndex index.py\n\
                      <Directory \"@DOCROOT@\">\n  AddHandler mod_python .py\n  \
                      PythonHandler index\n  PythonOption colour blue\n  PythonDebug On\n\
                      </Directory>\n";
        let apache = start_perturbed(
            mpm,
            config,
            &[("cleanup_probe.py", CLEANUP_PROBE), ("index.py", INDEX_PY)],
            &["dir"],
        );
        assert_eq!(get(&apache, "/").text(), "index blue");
        let log = hammer_then_stop(apache, &["/", "/index.py"], REQUESTS, "index blue");
        assert!(!log.contains("CLEANUP-WRONG"), "{mpm:?}: {log}");
        let ok = log.matches("CLEANUP-OK").count();
        assert_eq!(ok, REQUESTS + 1, "{mpm:?}: cleanups that ran\n{log}");
        assert!(log.contains("/index.py blue"), "{log}");
    }
}

const REDIRECT_PROBE: &str = r#"
from mod_python import apache

def walk(req):
    r = req
    seen = [r.uri]
    while r.next is not None:
        r = r.next
        seen.append(r.uri)
    apache.log_error("WALK " + " ".join(seen), apache.APLOG_ERR)

def first(req):
    req.register_cleanup(walk, req)
    req.internal_redirect("/second")
    return apache.OK

def second(req):
    req.content_type = "text/plain"
    req.write("second")
    req.register_cleanup(lambda r: r.get_options(), req)
    return apache.OK
"#;

/// A cleanup of the first request of an internal redirect walks `req.next` to the second,
/// whose own end-of-request work has run: the walk sees both requests, nothing reads freed
/// memory.
#[test]
fn cleanup_walks_to_the_request_an_internal_redirect_made() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let config = "PythonPath \"['@DOCROOT@'] + sys.path\"\n\
                      <Location /first>\n  SetHandler mod_python\n  \
                      PythonHandler redirect_probe::first\n</Location>\n\
                      <Location /second>\n  SetHandler mod_python\n  \
                      PythonHandler redirect_probe::second\n</Location>\n";
        let apache = start_perturbed(mpm, config, &[("redirect_probe.py", REDIRECT_PROBE)], &[]);
        let log = hammer_then_stop(apache, &["/first"], 400, "second");
        assert_eq!(
            log.matches("WALK /first /second").count(),
            400,
            "{mpm:?}: {log}"
        );
    }
}

const INTERP_PROBE: &str = r#"
from mod_python import apache
import _xxsubinterpreters as subinterpreters
import sqlite3

def current():
    return int(subinterpreters.get_current())

def callback_interpreter():
    # sqlite3 calls a user function back through PyGILState_Ensure.
    db = sqlite3.connect(":memory:")
    db.create_function("interp_of", 0, current)
    return db.execute("select interp_of()").fetchone()[0]

def init():
    pass

def handler(req):
    req.content_type = "text/plain"
    # (Callbacks through PyGILState_Ensure always go to the main interpreter, so they are
    # only asked for there.)
    main = req.interpreter == "main_interpreter"
    req.write("%s %d %d" % (req.interpreter, current(), callback_interpreter() if main else -1))
    return apache.OK
"#;

/// Under event with one worker thread, a `main_interpreter` request after a request for a
/// sub-interpreter (created at child start by `PythonImport`, so the worker's first thread
/// state is that sub-interpreter's) runs in interpreter 0, and so do C-extension callbacks
/// made through `PyGILState_Ensure`.
#[test]
fn main_interpreter_stays_interpreter_zero_after_a_sub_interpreter_on_the_same_thread() {
    let config = "ServerLimit 1\nThreadsPerChild 1\nThreadLimit 1\nMaxRequestWorkers 1\n\
                  MinSpareThreads 1\nMaxSpareThreads 2\n\
                  PythonPath \"['@DOCROOT@'] + sys.path\"\n\
                  PythonImport interp_probe::init sub\n\
                  <Location /main>\n  SetHandler mod_python\n  \
                  PythonInterpreter main_interpreter\n  PythonHandler interp_probe\n</Location>\n\
                  <Location /sub>\n  SetHandler mod_python\n  \
                  PythonInterpreter sub\n  PythonHandler interp_probe\n</Location>\n";
    let apache = common::start(Mpm::Event, config, &[("interp_probe.py", INTERP_PROBE)]);
    let answers: Vec<String> = ["/main", "/sub", "/main", "/sub", "/main"]
        .iter()
        .map(|p| get(&apache, p).text())
        .collect();
    let log = apache.error_log();
    assert_eq!(answers[0], "main_interpreter 0 0", "{answers:?}\n{log}");
    assert!(answers[1].starts_with("sub "), "{answers:?}");
    assert_ne!(answers[1].split(' ').nth(1), Some("0"), "{answers:?}");
    assert_eq!(answers[2], "main_interpreter 0 0", "{answers:?}\n{log}");
    assert_eq!(answers[4], "main_interpreter 0 0", "{answers:?}\n{log}");
    assert!(common::crash_lines(&log).is_empty(), "{log}");
}

const THREAD_PROBE: &str = r#"
from mod_python import apache
import threading

def use_from_thread(what):
    outcome = []
    def run():
        try:
            what()
            outcome.append("worked")
        except RuntimeError as e:
            outcome.append("RuntimeError: %s" % e)
        except Exception as e:
            outcome.append("%s: %s" % (type(e).__name__, e))
    t = threading.Thread(target=run)
    t.start()
    t.join(20)
    return outcome[0] if outcome else "hung"

def handler(req):
    req.content_type = "text/plain"
    results = [
        use_from_thread(lambda: req.write("from a thread\n")),
        use_from_thread(lambda: req.read()),
        use_from_thread(lambda: req.headers_out.__setitem__("X-Thread", "1")),
        use_from_thread(lambda: req.connection.remote_ip),
        use_from_thread(lambda: req.uri),
    ]
    req.write("\n".join(results))
    return apache.OK

def upper(filter):
    s = filter.read()
    while s:
        filter.write(s.upper())
        s = filter.read()
    if s is None:
        filter.close()
"#;

/// A handler in a named interpreter, behind a Python output filter, starts threads that use
/// `req`, its tables and its connection, and joins them: each use is refused with a clear
/// `RuntimeError` (before the fix, `req.write` from the thread deadlocked the process on the
/// GIL), the request completes, and the server keeps serving.
#[test]
fn python_threads_using_the_request_get_a_clear_error() {
    let config = "PythonPath \"['@DOCROOT@'] + sys.path\"\n\
                  PythonOutputFilter thread_probe::upper UPPER\n\
                  <Location /t>\n  SetHandler mod_python\n  PythonInterpreter threads\n  \
                  PythonHandler thread_probe\n  SetOutputFilter UPPER\n</Location>\n";
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let apache = common::start(mpm, config, &[("thread_probe.py", THREAD_PROBE)]);
        for _ in 0..3 {
            let r = get(&apache, "/t");
            assert_eq!(r.status, 200, "{}", apache.error_log());
            let text = r.text();
            let lines: Vec<&str> = text.lines().collect();
            assert_eq!(lines.len(), 5, "{text}");
            for line in &lines {
                assert!(
                    line.starts_with("RUNTIMEERROR: ")
                        && line.contains("ANOTHER THREAD")
                        && !line.contains("HUNG"),
                    "{mpm:?}: {text}"
                );
            }
        }
        assert!(common::crash_lines(&apache.error_log()).is_empty());
    }
}

const CYCLE_PROBE: &str = r#"
from mod_python import apache
import gc

def tie(filter):
    # A reference cycle through the filter object: req -> filter -> req.
    filter.req.tied = filter
    s = filter.read()
    while s:
        filter.write(s)
        s = filter.read()
    if s is None:
        filter.close()

def page(req):
    req.content_type = "text/plain"
    req.write("page")
    return apache.OK

def count(req):
    gc.collect()
    alive = sum(1 for o in gc.get_objects() if type(o).__name__ == "mp_request")
    req.content_type = "text/plain"
    req.write(str(alive - 1))
    return apache.OK
"#;

/// Reference cycles through filter objects (`filter.req.tied = filter`) are collected: the
/// request objects they hold do not pile up, request after request.
#[test]
fn cycles_through_filter_objects_are_collected() {
    let config = "ServerLimit 1\nPythonPath \"['@DOCROOT@'] + sys.path\"\n\
                  PythonInterpreter cycles\n\
                  PythonOutputFilter cycle_probe::tie TIE\n\
                  <Location /page>\n  SetHandler mod_python\n  PythonHandler cycle_probe::page\n  \
                  SetOutputFilter TIE\n</Location>\n\
                  <Location /count>\n  SetHandler mod_python\n  \
                  PythonHandler cycle_probe::count\n</Location>\n";
    let apache = common::start(Mpm::Event, config, &[("cycle_probe.py", CYCLE_PROBE)]);
    for _ in 0..30 {
        assert_eq!(get(&apache, "/page").text(), "page");
    }
    let left: usize = get(&apache, "/count").text().parse().expect("a count");
    assert!(
        left < 5,
        "{left} request objects still alive after 30 requests"
    );
}
