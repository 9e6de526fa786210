//! `SetHandler mod_python-status`: the page and its Prometheus text, scraped while children
//! serve (and, with `PythonMaxRequestsPerChild`, exit and are replaced) under every MPM:
//! the counters add up to what the clients sent, whichever children served them.

mod common;

use std::collections::HashMap;
use test_httpd::{Apache, Mpm};

const APP: &str = "from mod_python import apache\nimport time\n\n\
def handler(req):\n    req.content_type = 'text/plain'\n    req.write('ok')\n    return apache.OK\n\n\
def fail(req):\n    raise ValueError('on purpose')\n\n\
def slow(req):\n    time.sleep(float(req.args or '2'))\n    req.write('slept')\n    return apache.OK\n\n\
def access(req):\n    return apache.OK\n";

const FILTER: &str = "def outputfilter(f):\n    s = f.read()\n    if s:\n        f.write(s.upper())\n    if s is None:\n        f.close()\n";

fn config(limits: &str) -> String {
    format!(
        "{limits}\nPythonPath \"['@DOCROOT@'] + sys.path\"\n\
         PythonOutputFilter upper UPPER\n\
         <Location /ok>\n  SetHandler mod_python\n  PythonHandler app\n  PythonAccessHandler app::access\n</Location>\n\
         <Location /fail>\n  SetHandler mod_python\n  PythonHandler app::fail\n</Location>\n\
         <Location /slow>\n  SetHandler mod_python\n  PythonHandler app::slow\n</Location>\n\
         <Location /upper>\n  SetHandler mod_python\n  PythonHandler app\n  SetOutputFilter UPPER\n</Location>\n\
         <Location /mp-status>\n  SetHandler mod_python-status\n  Require ip 127.0.0.1\n</Location>\n\
         <Location /mp-status-closed>\n  SetHandler mod_python-status\n  Require ip 192.0.2.1\n</Location>\n"
    )
}

fn start(mpm: Mpm, limits: &str) -> Apache {
    common::start_with_modules(
        mpm,
        &config(limits),
        &[("app.py", APP), ("upper.py", FILTER)],
        &["authz_host"],
    )
}

/// The samples of a Prometheus text: `name{labels}` to value.
fn samples(text: &str) -> HashMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| {
            let (key, value) = l.rsplit_once(' ')?;
            Some((key.to_string(), value.parse().ok()?))
        })
        .collect()
}

/// Sum of the samples of metric `name` whose labels contain every one of `labels`.
fn sum(samples: &HashMap<String, f64>, name: &str, labels: &[&str]) -> f64 {
    samples
        .iter()
        .filter(|(k, _)| {
            let (metric, rest) = k.split_once('{').unwrap_or((k.as_str(), ""));
            metric == name && labels.iter().all(|l| rest.contains(l))
        })
        .map(|(_, v)| v)
        .sum()
}

fn scrape(apache: &Apache) -> HashMap<String, f64> {
    let r = common::get(apache, "/mp-status?format=prometheus");
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(
        r.header("Content-Type")
            .unwrap_or("")
            .starts_with("text/plain; version=0.0.4"),
        "{:?}",
        r.header("Content-Type")
    );
    samples(&r.text())
}

/// `per_client` requests to each path from 4 clients at once, one connection each, while a
/// fifth scrapes the metrics; each answer is checked.
fn load(apache: &Apache, per_client: usize) {
    let port = apache.port();
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(move || {
                for _ in 0..per_client {
                    for (path, status, body) in [
                        ("/ok", 200, "ok"),
                        ("/fail", 500, ""),
                        ("/upper", 200, "OK"),
                    ] {
                        let r = test_httpd::http_get(port, path).expect("an answer");
                        assert_eq!(r.status, status, "{path}: {}", r.text());
                        if status == 200 {
                            assert_eq!(r.text(), body);
                        }
                    }
                }
            });
        }
        s.spawn(move || {
            for _ in 0..10 {
                let r =
                    test_httpd::http_get(port, "/mp-status?format=prometheus").expect("a scrape");
                assert_eq!(r.status, 200);
                assert!(r.text().contains("mod_python_requests_total"));
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
        });
    });
}

#[test]
fn counters_add_up_across_children_under_load() {
    const PER_CLIENT: usize = 40;
    for mpm in Mpm::ALL {
        // Children retire as they go, so the totals must also keep what exited children
        // counted.
        let apache = start(mpm, "PythonMaxRequestsPerChild 30");
        load(&apache, PER_CLIENT);
        // A call is counted when it returns, which may be a moment after its last bytes
        // reached the client (an output filter passing the end of the stream on).
        std::thread::sleep(std::time::Duration::from_millis(300));
        let m = scrape(&apache);
        let log = apache.error_log();
        let sent = (4 * PER_CLIENT) as f64;
        let requests = sum(&m, "mod_python_requests_total", &[]);
        assert_eq!(requests, 3.0 * sent, "{mpm:?}: requests\n{m:?}\n{log}");
        let handler = |metric: &str, kind: &str| sum(&m, metric, &[&format!("kind=\"{kind}\"")]);
        assert_eq!(
            handler("mod_python_calls_total", "handler"),
            3.0 * sent,
            "{mpm:?}"
        );
        assert_eq!(
            handler("mod_python_errors_total", "handler"),
            sent,
            "{mpm:?}"
        );
        // The access handler runs for /ok only; the filter at least once per /upper.
        assert_eq!(handler("mod_python_calls_total", "phase"), sent, "{mpm:?}");
        assert_eq!(handler("mod_python_errors_total", "phase"), 0.0, "{mpm:?}");
        assert!(
            handler("mod_python_calls_total", "filter") >= sent,
            "{mpm:?}"
        );
        assert_eq!(handler("mod_python_errors_total", "filter"), 0.0, "{mpm:?}");
        // The histogram counts every call.
        let calls = sum(&m, "mod_python_calls_total", &[]);
        let count = sum(&m, "mod_python_call_duration_seconds_count", &[]);
        assert_eq!(count, calls, "{mpm:?}");
        let inf = sum(
            &m,
            "mod_python_call_duration_seconds_bucket",
            &["le=\"+Inf\""],
        );
        assert_eq!(inf, calls, "{mpm:?}");
        assert!(sum(&m, "mod_python_call_duration_seconds_sum", &[]) > 0.0);
        assert!(sum(&m, "mod_python_children", &[]) >= 1.0, "{mpm:?}");
        assert!(
            sum(&m, "mod_python_imported_modules", &[]) > 10.0,
            "{mpm:?}"
        );
        if mpm == Mpm::Prefork {
            // 480 requests at 30 per child: children have exited and been replaced.
            assert!(
                sum(&m, "mod_python_children_exited_total", &[]) >= 1.0,
                "{mpm:?}: no child exited\n{m:?}"
            );
        }
        assert!(common::crash_lines(&log).is_empty(), "{mpm:?}\n{log}");
    }
}

#[test]
fn the_page_shows_children_interpreters_and_calls_in_progress() {
    for mpm in Mpm::ALL {
        let apache = start(mpm, "");
        let port = apache.port();
        let slow = std::thread::spawn(move || test_httpd::http_get(port, "/slow?3"));
        // Wait until the slow call shows.
        let mut page = String::new();
        for _ in 0..50 {
            std::thread::sleep(std::time::Duration::from_millis(100));
            page = common::get(&apache, "/mp-status").text();
            if page.contains("GET /slow?3 HTTP/1.1") {
                break;
            }
        }
        assert!(
            page.contains("<h1>mod_python status</h1>"),
            "{mpm:?}: {page}"
        );
        assert!(
            page.contains("GET /slow?3 HTTP/1.1"),
            "{mpm:?}: no active call\n{page}"
        );
        assert!(page.contains("PythonHandler app::slow"), "{mpm:?}: {page}");
        assert!(page.contains("<h3>pid "), "{mpm:?}: no child\n{page}");
        assert!(
            page.contains("<td>127.0.0.1</td>"),
            "{mpm:?}: no interpreter\n{page}"
        );
        let m = scrape(&apache);
        assert!(sum(&m, "mod_python_active_calls", &[]) >= 1.0, "{mpm:?}");
        assert!(
            sum(&m, "mod_python_oldest_active_call_seconds", &[]) > 0.0,
            "{mpm:?}"
        );
        let answer = slow.join().expect("client").expect("an answer");
        assert_eq!(answer.text(), "slept");
        let m = scrape(&apache);
        assert_eq!(sum(&m, "mod_python_active_calls", &[]), 0.0, "{mpm:?}");
        // Apache decides who may look, as for server-status.
        let closed = common::get(&apache, "/mp-status-closed");
        assert_eq!(closed.status, 403, "{mpm:?}");
        let post = common::send(&apache, "POST", "/mp-status", "", b"x=1");
        assert_eq!(post.status, 405, "{mpm:?}");
    }
}

#[test]
fn reloads_are_counted() {
    // One child (the test configuration starts one under event), which imported app.py.
    let apache = start(Mpm::Event, "");
    let app = apache.root().join("htdocs/app.py");
    assert_eq!(common::get(&apache, "/ok").text(), "ok");
    let changed = APP.replace("req.write('ok')", "req.write('changed')");
    std::fs::write(&app, changed).expect("rewrite app.py");
    // A different modification time, even on a coarse clock.
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(5);
    let f = std::fs::File::options()
        .write(true)
        .open(&app)
        .expect("open");
    f.set_modified(later).expect("mtime");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let mut text = String::new();
    for _ in 0..20 {
        text = common::get(&apache, "/ok").text();
        if text == "changed" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert_eq!(text, "changed");
    let m = scrape(&apache);
    assert!(
        sum(&m, "mod_python_module_reloads_total", &[]) >= 1.0,
        "{m:?}"
    );
}

#[test]
fn counts_survive_a_graceful_restart() {
    for mpm in [Mpm::Prefork, Mpm::Event] {
        let apache = start(mpm, "");
        for _ in 0..20 {
            assert_eq!(common::get(&apache, "/ok").text(), "ok");
        }
        common::restart(&apache, libc::SIGUSR1);
        for _ in 0..10 {
            assert_eq!(common::get(&apache, "/ok").text(), "ok");
        }
        let m = scrape(&apache);
        assert_eq!(
            sum(&m, "mod_python_requests_total", &[]),
            30.0,
            "{mpm:?}: {m:?}\n{}",
            apache.error_log()
        );
    }
}
