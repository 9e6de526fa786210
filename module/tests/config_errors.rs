//! Bad configuration stops Apache at config time with a message naming the directive, the
//! file and the line (`apache2 -t`), and a server with such a configuration does not start.

mod common;

use test_httpd::{config_test, Apache, Mpm, ServerSpec};

fn spec(config: &str) -> ServerSpec {
    common::build_module();
    ServerSpec::new(Mpm::Event, config)
}

/// The line number of the first line containing `needle` in the generated httpd.conf.
fn line_of(spec: &ServerSpec, needle: &str) -> usize {
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = spec.write(dir.path(), 1).expect("write");
    let text = std::fs::read_to_string(conf).expect("read");
    text.lines()
        .position(|l| l.contains(needle))
        .expect("needle in config")
        + 1
}

#[test]
fn misspelled_directive_is_named_with_file_and_line() {
    let s = spec("<Location /x>\n  SetHandler mod_python\n  PythonHandlr hello\n</Location>\n");
    let (ok, out) = config_test(&s).expect("apache2 -t");
    assert!(!ok, "{out}");
    let line = line_of(&s, "PythonHandlr");
    assert!(out.contains(&format!("line {line} of")), "{out}");
    assert!(out.contains("httpd.conf"), "{out}");
    assert!(out.contains("Invalid command 'PythonHandlr'"), "{out}");
}

#[test]
fn bad_handler_argument_is_named_with_file_and_line() {
    for (bad, expected) in [
        (
            "PythonHandler 1nvalid::name",
            "PythonHandler: '1nvalid::name' is not a handler",
        ),
        (
            "PythonHandler mod |",
            "PythonHandler: expected file extensions after '|'",
        ),
        (
            "PythonHandler mod | py",
            "PythonHandler: 'py' is not a file extension",
        ),
        (
            "PythonHandler",
            "PythonHandler: expected at least one handler",
        ),
        ("PythonDebug Maybe", "PythonDebug must be On or Off"),
        (
            "PythonOutputFilter a b c",
            "PythonOutputFilter takes a handler",
        ),
        ("PythonOption a b c", "PythonOption takes key [value]"),
    ] {
        let s = spec(&format!(
            "<Location /x>\n  SetHandler mod_python\n  {bad}\n</Location>\n"
        ));
        let (ok, out) = config_test(&s).expect("apache2 -t");
        assert!(!ok, "{bad}: {out}");
        let line = line_of(&s, bad);
        assert!(out.contains(&format!("line {line} of")), "{bad}: {out}");
        assert!(
            out.contains(expected),
            "{bad}: expected {expected:?} in {out}"
        );
    }
}

#[test]
fn server_with_bad_directive_does_not_start() {
    let s = spec("PythonHandler ::nothing\n");
    let err = Apache::start(&s).err().expect("must not start");
    assert!(
        err.log
            .contains("PythonHandler: '::nothing' is not a handler"),
        "{err}"
    );
}

#[test]
fn good_configuration_passes_config_test() {
    let s = spec(
        "PythonOption a 1\nPythonDebug On\n<Location /x>\n  SetHandler mod_python\n  \
         PythonHandler hello other::obj.attr | .py\n  PythonInterpreter x\n  PythonAutoReload Off\n</Location>\n",
    );
    let (ok, out) = config_test(&s).expect("apache2 -t");
    assert!(ok, "{out}");
    assert!(out.contains("Syntax OK"), "{out}");
}

/// Server-only directives are refused inside sections, with Apache's own message.
#[test]
fn directive_outside_its_context_is_refused() {
    for bad in [
        "PythonImport m example.com",
        "PythonConnectionHandler echo",
        "PythonOptimize On",
    ] {
        let s = spec(&format!("<Location /x>\n  {bad}\n</Location>\n"));
        let (ok, out) = config_test(&s).expect("apache2 -t");
        assert!(!ok, "{bad}: {out}");
        let name = bad.split(' ').next().unwrap_or_default();
        assert!(
            out.contains(&format!("{name} not allowed in <Location> context")),
            "{bad}: {out}"
        );
    }
}

/// Server-level syntax errors of server-only directives name them too.
#[test]
fn server_only_directive_syntax_errors() {
    for (bad, expected) in [
        ("PythonImport onlymodule", "PythonImport takes a module"),
        (
            "PythonTransHandler m | .py",
            "PythonTransHandler: '| .ext' is not allowed here",
        ),
        (
            "PythonOptimize sometimes",
            "PythonOptimize must be On or Off",
        ),
    ] {
        let s = spec(&format!("{bad}\n"));
        let (ok, out) = config_test(&s).expect("apache2 -t");
        assert!(!ok, "{bad}: {out}");
        assert!(
            out.contains(&format!("line {} of", line_of(&s, bad))),
            "{bad}: {out}"
        );
        assert!(
            out.contains(expected),
            "{bad}: expected {expected:?} in {out}"
        );
    }
}

/// The Python the module was built for missing at run time (here: a PYTHONHOME that does not
/// exist): Apache refuses to start, saying which Python it looked for and where (MPY0010),
/// instead of starting children that cannot serve.
#[test]
fn missing_python_stops_apache_with_a_clear_message() {
    let s = spec("<Location /x>\n  SetHandler mod_python\n  PythonHandler hello\n</Location>\n")
        .env("PYTHONHOME", "/nonexistent/python-home");
    let err = Apache::start(&s)
        .err()
        .expect("must not start without its Python");
    assert!(err.log.contains("MPY0010"), "{err}");
    assert!(err.log.contains("/nonexistent/python-home"), "{err}");
    assert!(!err.log.contains("Segmentation fault"), "{err}");
}
