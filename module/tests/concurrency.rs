//! Many requests at once: threads of one child sharing the GIL, and several named
//! interpreters served concurrently (each with its own modules and `_apache` types).

mod common;

use common::start;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Barrier};
use test_httpd::Mpm;

const COUNTER: &str = r#"
from mod_python import apache
import os, sys, threading, time, _apache

hits = 0
lock = threading.Lock()

def handler(req):
    global hits
    with lock:
        hits += 1
        mine = hits
    time.sleep(0.01)   # hold the request a little so requests overlap
    req.content_type = "text/plain"
    req.write("%s %s %s %d %d" % (req.interpreter, apache.interpreter, id(_apache.mp_request),
                                  mine, os.getpid()))
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
        // Per (process, interpreter): the id of its mp_request type, and the counter values
        // it answered with.
        let mut type_ids: HashMap<(String, String), String> = HashMap::new();
        let mut hits_seen: HashMap<(String, String), Vec<u32>> = HashMap::new();
        for t in threads {
            let (name, status, body) = t.join().expect("thread");
            assert_eq!(
                status,
                200,
                "{mpm:?} {name}: {body}\n{}",
                apache.error_log()
            );
            let parts: Vec<&str> = body.split(' ').collect();
            assert_eq!(parts.len(), 5, "{body}");
            assert_eq!(parts[0], name, "{body}");
            assert_eq!(parts[1], name, "apache.interpreter: {body}");
            let key = (parts[4].to_string(), name.to_string());
            let previous = type_ids.insert(key.clone(), parts[2].to_string());
            if let Some(previous) = previous {
                assert_eq!(previous, parts[2], "one mp_request type per interpreter");
            }
            hits_seen
                .entry(key)
                .or_default()
                .push(parts[3].parse().expect("hits"));
        }
        // Within one process, the three interpreters have three distinct types.
        let pids: HashSet<&String> = type_ids.keys().map(|(pid, _)| pid).collect();
        for pid in pids {
            let ids: HashSet<&String> = type_ids
                .iter()
                .filter(|((p, _), _)| p == pid)
                .map(|(_, id)| id)
                .collect();
            let names = type_ids.keys().filter(|(p, _)| p == pid).count();
            assert_eq!(
                ids.len(),
                names,
                "{mpm:?}: types shared across interpreters"
            );
        }
        // Counters are exactly 1..=n per (process, interpreter): no interpreter ever counted a
        // request served by another.
        for ((pid, name), mut hits) in hits_seen {
            hits.sort_unstable();
            let expected: Vec<u32> = (1..=hits.len() as u32).collect();
            assert_eq!(
                hits, expected,
                "{mpm:?}: {name} in {pid} saw other interpreters' hits"
            );
        }
        let log = apache.error_log();
        assert!(!log.contains("Fatal Python error"), "{log}");
    }
}
