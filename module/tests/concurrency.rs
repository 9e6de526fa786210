//! Many requests at once: threads of one child sharing the GIL, and several named
//! interpreters served concurrently (each with its own modules and `_apache` types).

mod common;

use common::start;
use std::sync::{Arc, Barrier};
use test_httpd::Mpm;

const COUNTER: &str = r#"
from mod_python import apache
import sys, threading, time, _apache

hits = 0
lock = threading.Lock()

def handler(req):
    global hits
    with lock:
        hits += 1
    time.sleep(0.01)   # hold the request a little so requests overlap
    req.content_type = "text/plain"
    req.write("%s %s %s %d" % (req.interpreter, apache.interpreter, id(_apache.mp_request), hits))
    return apache.OK
"#;

/// 200 concurrent requests under mpm_event are all answered with 200.
#[test]
fn two_hundred_concurrent_requests_all_answered() {
    let config = "<Location /c>\n  SetHandler mod_python\n  PythonPath \"sys.path + ['@DOCROOT@']\"\n  PythonHandler counter\n</Location>\n";
    let apache = Arc::new(start(Mpm::Event, config, &[("counter.py", COUNTER)]));
    let barrier = Arc::new(Barrier::new(200));
    let threads: Vec<_> = (0..200)
        .map(|i| {
            let (apache, barrier) = (apache.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                apache.get(&format!("/c?{i}")).map(|r| (r.status, r.text()))
            })
        })
        .collect();
    let mut ok = 0;
    for t in threads {
        let (status, body) = t.join().expect("thread").expect("request");
        assert_eq!(status, 200, "{body}\n{}", apache.error_log());
        assert!(body.starts_with("127.0.0.1 127.0.0.1 "), "{body}");
        ok += 1;
    }
    assert_eq!(ok, 200);
    let log = apache.error_log();
    assert!(
        !log.contains("Segmentation fault") && !log.contains("Fatal Python error"),
        "{log}"
    );
}

/// Three named interpreters serve requests on several threads at once: each request runs in
/// the interpreter its `<Location>` names, module state is separate per interpreter, and the
/// `_apache` types are distinct objects in each (per-interpreter heap types).
#[test]
fn three_named_interpreters_on_many_threads() {
    let mut config = String::new();
    for name in ["alpha", "beta", "gamma"] {
        config.push_str(&format!(
            "<Location /{name}>\n  SetHandler mod_python\n  PythonInterpreter {name}\n  \
             PythonPath \"sys.path + ['@DOCROOT@']\"\n  PythonHandler counter\n</Location>\n"
        ));
    }
    for mpm in [Mpm::Event, Mpm::Worker] {
        // One child process, so every interpreter lives in the same process and threads.
        let tuned = format!("ServerLimit 1\nMaxRequestWorkers 25\n{config}");
        let apache = Arc::new(start(mpm, &tuned, &[("counter.py", COUNTER)]));
        let barrier = Arc::new(Barrier::new(60));
        let threads: Vec<_> = (0..60)
            .map(|i| {
                let (apache, barrier) = (apache.clone(), barrier.clone());
                let name = ["alpha", "beta", "gamma"][i % 3];
                std::thread::spawn(move || {
                    barrier.wait();
                    let r = apache.get(&format!("/{name}")).expect("request");
                    (name, r.status, r.text())
                })
            })
            .collect();
        let mut type_ids: std::collections::HashMap<String, String> = Default::default();
        let mut max_hits: std::collections::HashMap<String, u32> = Default::default();
        for t in threads {
            let (name, status, body) = t.join().expect("thread");
            assert_eq!(
                status,
                200,
                "{mpm:?} {name}: {body}\n{}",
                apache.error_log()
            );
            let parts: Vec<&str> = body.split(' ').collect();
            assert_eq!(parts[0], name, "{body}");
            assert_eq!(parts[1], name, "apache.interpreter: {body}");
            let previous = type_ids.insert(name.to_string(), parts[2].to_string());
            if let Some(previous) = previous {
                assert_eq!(previous, parts[2], "one mp_request type per interpreter");
            }
            let hits: u32 = parts[3].parse().expect("hits");
            let entry = max_hits.entry(name.to_string()).or_default();
            *entry = (*entry).max(hits);
        }
        let distinct: std::collections::HashSet<_> = type_ids.values().collect();
        assert_eq!(
            distinct.len(),
            3,
            "{mpm:?}: types shared across interpreters: {type_ids:?}"
        );
        for (name, hits) in max_hits {
            assert_eq!(
                hits, 20,
                "{mpm:?}: {name} counted requests of other interpreters"
            );
        }
        let log = apache.error_log();
        assert!(!log.contains("Fatal Python error"), "{log}");
    }
}
