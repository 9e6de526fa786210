//! Handlers and filters that misbehave, on a real Apache under every MPM: an exception,
//! `sys.exit()`, `KeyboardInterrupt`, unbounded recursion, a result of the wrong type,
//! writing after the client left, a filter raising mid-stream, a `PythonImport` of a
//! missing module, CR/LF smuggled into response headers. Each costs its request (a 500 or a
//! cut response, and a log line) and nothing more: no child dies, the next request is
//! answered, and nothing injected reaches the client.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::OnceLock;
use std::time::Duration;
use test_httpd::{Apache, Mpm, Response};

const FAULTS: &str = include_str!("htdocs/hostile/faults.py");

fn config() -> String {
    let mut c = String::from(
        "PythonPath \"['@DOCROOT@'] + sys.path\"\nPythonImport no_such_module_anywhere import.test\n\
         PythonOutputFilter faults::upper_filter UPPER\nPythonOutputFilter faults::raising_filter RAISING\n\
         PythonDebug Off\n",
    );
    for name in [
        "ok",
        "raises",
        "exits",
        "interrupted",
        "generator_exit",
        "recurses",
        "wrong_type",
        "none_result",
        "huge_status",
        "writes_after_client_left",
        "slow",
        "injects_headers",
        "injects_content_type",
        "injects_status_line",
        "big",
    ] {
        c.push_str(&format!(
            "<Location /{name}>\n  SetHandler mod_python\n  PythonHandler faults::{name}\n</Location>\n"
        ));
    }
    c.push_str(
        "<Location /filtered>\n  SetHandler mod_python\n  PythonHandler faults::big\n  SetOutputFilter RAISING\n</Location>\n",
    );
    c
}

fn servers() -> &'static [Apache; 3] {
    static SERVERS: OnceLock<[Apache; 3]> = OnceLock::new();
    SERVERS.get_or_init(|| {
        let files = [("faults.py", FAULTS)];
        Mpm::ALL.map(|mpm| common::start(mpm, &config(), &files))
    })
}

fn get(apache: &Apache, path: &str) -> Response {
    apache
        .get(path)
        .unwrap_or_else(|e| panic!("GET {path}: {e}\n{}", apache.error_log()))
}

/// The server answers a plain request, and no child died.
fn still_serving(apache: &Apache) {
    let r = get(apache, "/ok");
    assert_eq!(r.status, 200, "{}", apache.error_log());
    assert!(r.text().starts_with("ok "));
    assert!(
        common::crash_lines(&apache.error_log()).is_empty(),
        "{}",
        apache.error_log()
    );
}

#[test]
fn handler_exceptions_cost_one_request() {
    for apache in servers() {
        for (path, logged) in [
            ("/raises", "a handler's own error"),
            ("/exits", "SystemExit"),
            ("/interrupted", "KeyboardInterrupt"),
            ("/generator_exit", "GeneratorExit"),
            ("/recurses", "RecursionError"),
            ("/wrong_type", "TypeError"),
        ] {
            let r = get(apache, path);
            assert_eq!(r.status, 500, "{path}: {}", r.text());
            assert!(
                !r.text().contains("Traceback"),
                "{path}: traceback sent without PythonDebug"
            );
            assert!(
                apache.error_log().contains(logged),
                "{path}: {logged} not logged\n{}",
                apache.error_log()
            );
            still_serving(apache);
        }
    }
}

#[test]
fn odd_results_are_refused_cleanly() {
    for apache in servers() {
        for path in ["/none_result", "/huge_status"] {
            let r = get(apache, path);
            assert!(matches!(r.status, 200 | 500), "{path}: {}", r.status);
        }
        still_serving(apache);
    }
}

#[test]
fn writing_after_the_client_left() {
    for apache in servers() {
        let mut s = TcpStream::connect(("127.0.0.1", apache.port())).expect("connect");
        s.write_all(b"GET /writes_after_client_left HTTP/1.1\r\nHost: x\r\n\r\n")
            .expect("request sent");
        let mut first = [0u8; 4096];
        let _ = s.read(&mut first);
        drop(s);
        // The handler notices (its write raises) and the child goes on.
        let mut logged = false;
        for _ in 0..100 {
            if apache.error_log().contains("the client left") {
                logged = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(
            logged,
            "the handler's write did not fail\n{}",
            apache.error_log()
        );
        still_serving(apache);
    }
}

#[test]
fn a_client_vanishing_mid_request_and_a_slow_handler() {
    for apache in servers() {
        // Half a request, then gone.
        let mut s = TcpStream::connect(("127.0.0.1", apache.port())).expect("connect");
        s.write_all(b"POST /ok HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nonly a bit")
            .expect("partial request");
        drop(s);
        // A slow handler does not stop the others (threads or other children serve them).
        let port = apache.port();
        let slow = std::thread::spawn(move || test_httpd::http_get(port, "/slow?1.5"));
        std::thread::sleep(Duration::from_millis(200));
        still_serving(apache);
        let r = slow
            .join()
            .expect("slow request thread")
            .expect("slow answer");
        assert_eq!(r.text(), "slow done");
    }
}

#[test]
fn an_output_filter_raising_mid_stream() {
    for apache in servers() {
        let r = apache.get("/filtered");
        // The response is cut (or a 500 when nothing was sent yet); either way it is not
        // the whole body, and the child lives.
        if let Ok(r) = r {
            assert!(
                r.body.len() < 64 * 16384,
                "the whole body passed a failing filter"
            );
        }
        assert!(
            apache.error_log().contains("an output filter's own error"),
            "{}",
            apache.error_log()
        );
        still_serving(apache);
    }
}

#[test]
fn a_missing_python_import_is_logged_and_the_server_serves() {
    for apache in servers() {
        assert!(
            apache.error_log().contains("no_such_module_anywhere"),
            "{}",
            apache.error_log()
        );
        still_serving(apache);
    }
}

#[test]
fn line_breaks_smuggled_into_response_headers_never_reach_the_client() {
    for apache in servers() {
        for path in [
            "/injects_headers",
            "/injects_content_type",
            "/injects_status_line",
        ] {
            let mut s = TcpStream::connect(("127.0.0.1", apache.port())).expect("connect");
            s.write_all(
                format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
            )
            .expect("request");
            let mut raw = Vec::new();
            let _ = s.read_to_end(&mut raw);
            let text = String::from_utf8_lossy(&raw);
            let head = text.split("\r\n\r\n").next().unwrap_or("");
            assert!(
                !head.lines().any(|l| l.starts_with("Injected-Header")),
                "{path}: header injected:\n{text}"
            );
        }
        still_serving(apache);
    }
}

#[test]
fn python_debug_on_is_warned_about_at_start_up() {
    for apache in servers() {
        assert!(
            !apache.error_log().contains("MPY0004"),
            "{}",
            apache.error_log()
        );
    }
    let apache = common::start(
        Mpm::Event,
        "<Location /dev>\n  SetHandler mod_python\n  PythonDebug On\n</Location>\n",
        &[],
    );
    let log = apache.error_log();
    let warning = log
        .lines()
        .find(|l| l.contains("MPY0004"))
        .unwrap_or_else(|| panic!("no PythonDebug warning:\n{log}"));
    assert!(warning.contains("httpd.conf:"), "{warning}");
    assert!(warning.contains(":warn]"), "{warning}");
}

/// Descriptors and resident memory of each child, by PID.
fn children_usage(apache: &Apache) -> std::collections::HashMap<u32, (usize, u64)> {
    let parent = apache.pid().expect("parent pid");
    let out = std::process::Command::new("pgrep")
        .args(["-P", &parent.to_string()])
        .output()
        .expect("pgrep");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .filter_map(|p| p.parse::<u32>().ok())
        .map(|pid| {
            let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count());
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
            let rss = status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
                .unwrap_or(0);
            (pid, (fds, rss))
        })
        .collect()
}

#[test]
fn descriptors_and_memory_stay_flat_over_failing_requests() {
    let mix = [
        "/ok",
        "/raises",
        "/wrong_type",
        "/recurses",
        "/big",
        "/filtered",
        "/exits",
    ];
    for apache in servers() {
        for path in mix.iter().cycle().take(70) {
            let _ = apache.get(path);
        }
        let before = children_usage(apache);
        for path in mix.iter().cycle().take(700) {
            let _ = apache.get(path);
        }
        let after = children_usage(apache);
        for (pid, (fds, rss)) in &after {
            if let Some((fds0, rss0)) = before.get(pid) {
                assert!(*fds <= fds0 + 2, "child {pid}: descriptors {fds0} -> {fds}");
                assert!(
                    *rss < rss0 + 6 * 1024,
                    "child {pid}: RSS {rss0} -> {rss} KiB"
                );
                eprintln!("child {pid}: descriptors {fds0} -> {fds}, RSS {rss0} -> {rss} KiB");
            }
        }
        still_serving(apache);
    }
}
