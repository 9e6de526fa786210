//! Python thread states and mod_http2's worker threads, which it starts and stops
//! (`H2MaxWorkerIdleSeconds`): the states of a worker that ends are handed over and deleted,
//! and new workers serve as before. In a file of its own so that it does not share the
//! machine with the load of the other soundness tests.

mod common;

use test_httpd::Mpm;

const H2_PROBE: &str = r#"
from mod_python import apache
import threading

def handler(req):
    req.content_type = "text/plain"
    req.write("h2 %s %s" % (req.interpreter, req.protocol))
    return apache.OK
"#;

/// mod_http2 serves requests on worker threads it starts and stops (`H2MaxWorkerIdleSeconds`):
/// the Python thread states of a worker are deleted when it ends, and requests after that, on
/// new workers, are served as before.
#[test]
#[ignore = "about 1 run in 15 a request hangs 20 s (cause not found yet: our thread states or \
            mod_http2's worker turnover); run with --ignored"]
fn http2_workers_that_end_release_their_thread_states() {
    let config = "Protocols h2c http/1.1\nH2Direct on\nH2MinWorkers 1\nH2MaxWorkers 6\n\
                  H2MaxWorkerIdleSeconds 1\nServerLimit 1\n\
                  PythonPath \"['@DOCROOT@'] + sys.path\"\n\
                  <Location /h2>\n  SetHandler mod_python\n  PythonInterpreter h2named\n  \
                  PythonHandler h2_probe\n</Location>\n";
    let apache =
        common::start_with_modules(Mpm::Event, config, &[("h2_probe.py", H2_PROBE)], &["http2"]);
    // One curl per request (curl 7.88 fails a second request on a prior-knowledge h2c
    // connection, with or without this module), all at once.
    let burst = || {
        let children: Vec<_> = (0..24)
            .map(|i| {
                std::process::Command::new("curl")
                    .args(["-sS", "--http2-prior-knowledge", "--max-time", "20"])
                    .arg(format!("{}/h2?{i}", apache.base_url()))
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .expect("curl")
            })
            .collect();
        let mut answers = String::new();
        for child in children {
            let out = child.wait_with_output().expect("curl output");
            answers.push_str(&String::from_utf8_lossy(&out.stdout));
            answers.push_str(&String::from_utf8_lossy(&out.stderr));
            answers.push('\n');
        }
        answers
    };
    for round in 0..3 {
        let answers = burst();
        let ok = answers
            .lines()
            .filter(|l| *l == "h2 h2named HTTP/2.0")
            .count();
        assert_eq!(ok, 24, "round {round}: {answers}\n{}", apache.error_log());
        // Idle workers end after a second.
        std::thread::sleep(std::time::Duration::from_millis(2500));
    }
    let log = apache.error_log();
    assert!(common::crash_lines(&log).is_empty(), "{log}");
}
