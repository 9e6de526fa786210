//! `PythonRequestTimeout`: a handler running past it has its Python stack logged, once, with
//! the request line and the interpreter (MPY0050), and still finishes; `restart` retires a
//! prefork child gracefully afterwards; `kill -USR2 <child>` dumps every watched call.

mod common;

use test_httpd::{Apache, Mpm};

const STUCK: &str = include_str!("htdocs/hostile/stuck.py");

fn start(mpm: Mpm, extra: &str) -> Apache {
    let config = format!(
        "PythonPath \"['@DOCROOT@'] + sys.path\"\n\
         <Location /stuck>\n  SetHandler mod_python\n  PythonHandler stuck\n  PythonRequestTimeout 1\n{extra}</Location>\n\
         <Location /quick>\n  SetHandler mod_python\n  PythonHandler stuck::quick\n  PythonRequestTimeout 30\n</Location>\n"
    );
    common::start(mpm, &config, &[("stuck.py", STUCK)])
}

fn wait_for(apache: &Apache, needle: &str, seconds: u64) -> bool {
    for _ in 0..seconds * 10 {
        if apache.error_log().contains(needle) {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    false
}

#[test]
fn a_stuck_handler_has_its_stack_logged_once_and_finishes() {
    for mpm in Mpm::ALL {
        let apache = start(mpm, "");
        let r = apache.get("/stuck?2.5").expect("an answer");
        assert_eq!(
            (r.status, r.text()),
            (200, "finished".to_string()),
            "{mpm:?}"
        );
        let log = apache.error_log();
        let dumps = log.matches("has run").count();
        assert_eq!(dumps, 1, "{mpm:?}: {dumps} reports\n{log}");
        for needle in [
            "MPY0050: PythonHandler stuck for \"GET /stuck?2.5 HTTP/1.1\"",
            "over PythonRequestTimeout 1s",
            "in inner_wait",
            "stuck.py\", line",
            "time.sleep(0.05)",
        ] {
            assert!(
                log.contains(needle),
                "{mpm:?}: {needle:?} not logged\n{log}"
            );
        }
        assert_eq!(apache.get("/quick").expect("quick").text(), "quick");
        assert!(common::crash_lines(&log).is_empty(), "{mpm:?}\n{log}");
    }
}

#[test]
fn restart_retires_a_prefork_child_after_its_stuck_request() {
    let apache = start(Mpm::Prefork, "  PythonRequestTimeoutAction restart\n");
    let r = apache.get("/stuck?2").expect("an answer");
    assert_eq!(r.text(), "finished");
    assert!(
        wait_for(&apache, "the child retires once its requests are done", 5),
        "{}",
        apache.error_log()
    );
    assert_eq!(apache.get("/quick").expect("quick").text(), "quick");
    assert!(
        common::crash_lines(&apache.error_log()).is_empty(),
        "{}",
        apache.error_log()
    );
}

#[test]
fn sigusr2_dumps_every_watched_call() {
    let apache = start(Mpm::Event, "");
    let port = apache.port();
    let slow = std::thread::spawn(move || test_httpd::http_get(port, "/stuck?3"));
    std::thread::sleep(std::time::Duration::from_millis(500));
    // Every child of this server (the parent ignores nothing: send only to children).
    let parent = apache.pid().expect("parent pid");
    let children = std::process::Command::new("pgrep")
        .args(["-P", &parent.to_string()])
        .output()
        .expect("pgrep");
    for pid in String::from_utf8_lossy(&children.stdout).split_whitespace() {
        let _ = std::process::Command::new("kill")
            .args(["-USR2", pid])
            .status();
    }
    assert!(
        wait_for(&apache, "stack asked for (SIGUSR2)", 3),
        "{}",
        apache.error_log()
    );
    let r = slow.join().expect("thread").expect("answer");
    assert_eq!(r.text(), "finished");
    assert!(
        common::crash_lines(&apache.error_log()).is_empty(),
        "{}",
        apache.error_log()
    );
}
