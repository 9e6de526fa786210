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
