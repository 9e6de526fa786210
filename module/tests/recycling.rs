//! Child recycling under load: `PythonMaxRequestsPerChild` and `PythonMemoryLimit` retire
//! children gracefully (prefork on its own, worker and event through the MPM's
//! `MaxConnectionsPerChild`), and no request is lost or answered wrongly meanwhile.

mod common;

use std::collections::HashSet;
use test_httpd::{Apache, Mpm};

const APP: &str = "from mod_python import apache\nimport os\n\n\
def handler(req):\n    req.content_type = 'text/plain'\n    req.write('pid %d' % os.getpid())\n    return apache.OK\n";

fn start(mpm: Mpm, limits: &str) -> Apache {
    let config = format!(
        "{limits}\nPythonPath \"['@DOCROOT@'] + sys.path\"\n\
         <Location /pid>\n  SetHandler mod_python\n  PythonHandler app\n</Location>\n"
    );
    common::start(mpm, &config, &[("app.py", APP)])
}

/// `total` requests from 4 clients, one connection each; every answer must be a PID.
fn load(apache: &Apache, total: usize) -> HashSet<u32> {
    let port = apache.port();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            std::thread::spawn(move || {
                let mut pids = Vec::new();
                for _ in 0..total / 4 {
                    let r = test_httpd::http_get(port, "/pid").expect("an answer");
                    assert_eq!(r.status, 200, "{}", r.text());
                    let pid = r.text().strip_prefix("pid ").and_then(|p| p.parse().ok());
                    pids.push(pid.expect("a pid"));
                }
                pids
            })
        })
        .collect();
    threads
        .into_iter()
        .flat_map(|t| t.join().expect("client thread"))
        .collect()
}

#[test]
fn max_requests_per_child_recycles_without_losing_a_request() {
    for mpm in Mpm::ALL {
        let apache = start(mpm, "PythonMaxRequestsPerChild 25");
        let pids = load(&apache, 400);
        let log = apache.error_log();
        assert!(
            pids.len() >= 4,
            "{mpm:?}: only {} children served 400 requests\n{log}",
            pids.len()
        );
        if mpm == Mpm::Prefork {
            assert!(
                log.contains("MPY0040"),
                "{mpm:?}: no retirement logged\n{log}"
            );
        } else {
            assert!(log.contains("MaxConnectionsPerChild 25"), "{mpm:?}\n{log}");
        }
        assert!(common::crash_lines(&log).is_empty(), "{mpm:?}\n{log}");
    }
}

#[test]
fn memory_limit_retires_prefork_children_and_warns_threaded_ones() {
    for mpm in Mpm::ALL {
        // 1 MiB: every child is over it at its first check.
        let apache = start(mpm, "PythonMemoryLimit 1");
        let mut pids = HashSet::new();
        for _ in 0..4 {
            pids.extend(load(&apache, 40));
            std::thread::sleep(std::time::Duration::from_millis(600));
        }
        let log = apache.error_log();
        if mpm == Mpm::Prefork {
            assert!(
                log.contains("MPY0040") && log.contains("PythonMemoryLimit"),
                "{log}"
            );
            assert!(pids.len() >= 3, "prefork: {} children\n{log}", pids.len());
        } else {
            assert!(log.contains("MPY0041"), "{mpm:?}: no warning\n{log}");
        }
        assert!(common::crash_lines(&log).is_empty(), "{mpm:?}\n{log}");
    }
}
