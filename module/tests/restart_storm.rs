//! Restarts under load, under every MPM: graceful restarts (SIGUSR1) while clients keep
//! asking, then a full restart (SIGHUP) with requests in flight. No completed request gets a
//! wrong answer, graceful restarts refuse no connection, a session saved by an answered
//! request is never lost, and the parent's descriptors and memory stay flat.
//!
//! `RESTART_STORM=1000 cargo test --test restart_storm` runs the long version; CI runs 15
//! graceful restarts per MPM.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use test_httpd::{Apache, Mpm};

const APP: &str = r#"
from mod_python import apache, Session

def handler(req):
    req.content_type = "text/plain"
    req.write("hello")
    return apache.OK

def counter(req):
    s = Session.FileSession(req)
    s["n"] = s.get("n", 0) + 1
    s.save()
    req.write("n=%d" % s["n"])
    return apache.OK
"#;

fn start(mpm: Mpm) -> Apache {
    let config = "PythonPath \"['@DOCROOT@'] + sys.path\"\n\
        <Location /hello>\n  SetHandler mod_python\n  PythonHandler app\n</Location>\n\
        <Location /counter>\n  SetHandler mod_python\n  PythonHandler app::counter\n  \
        PythonOption mod_python.file_session.database_directory \"@DOCROOT@/../sessions\"\n</Location>\n";
    let apache = common::start(mpm, config, &[("app.py", APP)]);
    common::writable_dir(&apache, "sessions");
    apache
}

fn fd_count(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count())
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

struct Load {
    stop: Arc<AtomicBool>,
    tolerate_500: Arc<AtomicBool>,
    answered: Arc<AtomicUsize>,
    refused: Arc<AtomicUsize>,
    threads: Vec<std::thread::JoinHandle<Vec<u64>>>,
}

/// Two clients on /hello, one on /counter with one session cookie; every answer is checked.
fn load(apache: &Apache, tolerate_500: bool) -> Load {
    let stop = Arc::new(AtomicBool::new(false));
    let tolerate = Arc::new(AtomicBool::new(tolerate_500));
    let answered = Arc::new(AtomicUsize::new(0));
    let refused = Arc::new(AtomicUsize::new(0));
    let port = apache.port();
    let mut threads = Vec::new();
    for client in 0..3 {
        let (stop, answered, refused) = (stop.clone(), answered.clone(), refused.clone());
        let stop_on_500 = tolerate.clone();
        threads.push(std::thread::spawn(move || {
            let mut counters = Vec::new();
            let mut cookie = String::new();
            while !stop.load(Ordering::Relaxed) {
                let path = if client == 2 { "/counter" } else { "/hello" };
                let raw =
                    format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{cookie}\r\n");
                match test_httpd::http_request(port, raw.as_bytes()) {
                    // Around a full restart, a child being killed may answer 500 (its
                    // session lock went with the old generation); never anything else.
                    Ok(r) if r.status == 500 && stop_on_500.load(Ordering::Relaxed) => {
                        refused.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(r) => {
                        assert_eq!(r.status, 200, "{path}: {}", r.text());
                        if client == 2 {
                            let n: u64 = r
                                .text()
                                .strip_prefix("n=")
                                .and_then(|n| n.parse().ok())
                                .unwrap_or_else(|| panic!("a counter: {}", r.text()));
                            counters.push(n);
                            if let Some(set) = r.header("Set-Cookie") {
                                let pair = set.split(';').next().unwrap_or("");
                                cookie = format!("Cookie: {pair}\r\n");
                            }
                        } else {
                            assert_eq!(r.text(), "hello");
                        }
                        answered.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(_) => {
                        refused.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            counters
        }));
    }
    Load {
        stop,
        tolerate_500: tolerate,
        answered,
        refused,
        threads,
    }
}

impl Load {
    /// Stops the clients; the session counter's answers, in order.
    fn finish(self) -> (usize, usize, Vec<u64>) {
        self.stop.store(true, Ordering::Relaxed);
        let mut counters = Vec::new();
        for t in self.threads {
            counters.extend(t.join().expect("client thread"));
        }
        (
            self.answered.load(Ordering::Relaxed),
            self.refused.load(Ordering::Relaxed),
            counters,
        )
    }
}

#[test]
fn graceful_restarts_and_a_full_restart_under_load() {
    let rounds: usize = std::env::var("RESTART_STORM")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(15);
    for mpm in Mpm::ALL {
        let apache = start(mpm);
        common::restart(&apache, libc::SIGUSR1); // the parent's memory settles after one restart
        let parent = apache.pid().expect("pid");
        let (fds_before, rss_before) = (fd_count(parent), rss_kib(parent));
        let running = load(&apache, false);
        for _ in 0..rounds {
            common::restart(&apache, libc::SIGUSR1);
        }
        std::thread::sleep(Duration::from_millis(300));
        let (answered, refused, counters) = running.finish();
        let (fds_after, rss_after) = (fd_count(parent), rss_kib(parent));
        eprintln!(
            "{mpm:?}: {rounds} graceful restarts, {answered} answers, {refused} refused; \
             parent fds {fds_before} -> {fds_after}, RSS {rss_before} -> {rss_after} KiB"
        );
        assert_eq!(
            refused, 0,
            "{mpm:?}: connections refused during graceful restarts"
        );
        assert!(answered > rounds, "{mpm:?}: only {answered} answers");
        // The session counter went up by one for every answer: no saved session was lost.
        assert!(
            counters.windows(2).all(|w| w[1] == w[0] + 1),
            "{mpm:?}: {counters:?}"
        );
        assert!(
            fds_after <= fds_before + 2,
            "{mpm:?}: descriptors {fds_before} -> {fds_after}"
        );
        assert!(
            rss_after < rss_before + 8 * 1024,
            "{mpm:?}: RSS {rss_before} -> {rss_after} KiB"
        );

        let before_full_restart = apache.error_log().len();
        assert!(
            common::crash_lines(&apache.error_log()).is_empty(),
            "{mpm:?}: a child died during graceful restarts\n{}",
            apache.error_log()
        );
        // A full restart kills children mid-request: answers may be cut, never wrong.
        let running = load(&apache, true);
        std::thread::sleep(Duration::from_millis(300));
        common::restart(&apache, libc::SIGHUP);
        std::thread::sleep(Duration::from_millis(300));
        // The new generation answers everything.
        running.tolerate_500.store(false, Ordering::Relaxed);
        std::thread::sleep(Duration::from_millis(700));
        let (answered, _refused, counters) = running.finish();
        assert!(answered > 0, "{mpm:?}: no answer around a full restart");
        // A session saved just before the kill may miss its answer; it is never lost.
        assert!(
            counters.windows(2).all(|w| w[1] > w[0]),
            "{mpm:?}: {counters:?}"
        );
        let log = apache.error_log();
        let after = &log[before_full_restart.min(log.len())..];
        assert!(!after.contains("Fatal Python error"), "{mpm:?}: {log}");
        // Killing event children mid-request can crash inside the event MPM itself (its main
        // thread closes a socket a worker is freeing: apr_os_sock_get from
        // close_worker_sockets; a core shows no module frame). Elsewhere no child may crash.
        if mpm != Mpm::Event {
            assert!(common::crash_lines(after).is_empty(), "{mpm:?}: {log}");
        }
    }
}
