//! `apache.register_cleanup` callables (registered here by a `PythonImport` at child start)
//! run when the child process exits, in their interpreter.

mod common;

use test_httpd::Mpm;

#[test]
fn register_cleanup_runs_at_child_exit() {
    for mpm in [Mpm::Prefork, Mpm::Event] {
        let config = "PythonPath \"['@DOCROOT@'] + sys.path\"\nPythonImport importmod::init 127.0.0.1\n\
                      <Directory \"@DOCROOT@\">\n  SetHandler mod_python\n  PythonHandler importmod::handler\n</Directory>\n";
        let module = format!(
            "{}\ndef handler(req):\n    req.write('initialized=%s' % initialized)\n    return 0\n",
            include_str!("htdocs/importmod.py")
        );
        let mut apache = common::start(mpm, config, &[("importmod.py", &module)]);
        assert_eq!(
            common::get(&apache, "/x").text(),
            "initialized=True",
            "{mpm:?}"
        );
        apache.stop();
        let log = apache.error_log();
        assert!(log.contains("child cleanup ran"), "{mpm:?}: {log}");
    }
}

/// Stopping prefork while a child is inside a handler (here in `time.sleep`, with the GIL
/// released by Python) destroys the child's pool from the SIGTERM handler: the Python child
/// cleanups must not run there, in the middle of Python. Idle children still run them.
#[test]
fn stop_during_a_handler_does_not_run_python_from_the_signal_handler() {
    let config = "PythonPath \"['@DOCROOT@'] + sys.path\"\nPythonImport importmod::init 127.0.0.1\n\
                  <Directory \"@DOCROOT@\">\n  SetHandler mod_python\n  PythonHandler importmod::slow\n</Directory>\n";
    let module = format!(
        "{}\nimport time\n\ndef slow(req):\n    time.sleep(5)\n    req.write('late')\n    return 0\n",
        include_str!("htdocs/importmod.py")
    );
    let mut apache = common::start(Mpm::Prefork, config, &[("importmod.py", &module)]);
    let port = apache.port();
    let client = std::thread::spawn(move || test_httpd::http_get(port, "/slow"));
    std::thread::sleep(std::time::Duration::from_millis(700));
    let started = std::time::Instant::now();
    apache.stop();
    let _ = client.join();
    let log = apache.error_log();
    assert!(
        !log.contains("Fatal Python error")
            && !log.contains("Segmentation fault")
            && !log.contains("exit signal"),
        "{log}"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(8),
        "stop took {:?}\n{log}",
        started.elapsed()
    );
    assert!(log.contains("child cleanup ran"), "{log}");
}

/// `apachectl -k graceful-stop` (SIGWINCH to the parent) lets every child finish and exit:
/// the `apache.register_cleanup` callables run there too, on our module as on mod_python 3.5
/// (the reference, checked the same way).
#[test]
fn register_cleanup_runs_at_graceful_stop() {
    let modules = [false, true];
    for (mpm, reference) in Mpm::ALL.into_iter().flat_map(|m| modules.map(|r| (m, r))) {
        let config = "PythonPath \"['@DOCROOT@'] + sys.path\"\nPythonImport importmod::init 127.0.0.1\n\
                      GracefulShutdownTimeout 5\n\
                      <Directory \"@DOCROOT@\">\n  SetHandler mod_python\n  PythonHandler importmod::handler\n</Directory>\n";
        let module = format!(
            "{}\ndef handler(req):\n    req.write('initialized=%s' % initialized)\n    return 0\n",
            include_str!("htdocs/importmod.py")
        );
        common::build_module();
        let mut spec = test_httpd::ServerSpec::new(mpm, config).file("importmod.py", &module);
        if reference {
            spec = spec.with_reference_module();
        }
        let mut apache = test_httpd::Apache::start(&spec).expect("Apache starts");
        assert_eq!(common::get(&apache, "/x").text(), "initialized=True");
        // The children finish and run their cleanups; only a child still alive 10 s later
        // would be killed, and its cleanup line would then be missing.
        apache.stop_gracefully();
        let log = apache.error_log();
        assert!(
            log.contains("caught SIGWINCH"),
            "{mpm:?} {reference}: {log}"
        );
        assert!(
            log.contains("child cleanup ran"),
            "{mpm:?} {reference}: {log}"
        );
        assert!(
            common::crash_lines(&log).is_empty(),
            "{mpm:?} {reference}: {log}"
        );
    }
}
