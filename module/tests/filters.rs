//! Python output filters on a real Apache: the uppercase example filter over static files
//! and Python handler output (several writes and flushes), a filter that raises (logged, data
//! passes through, child alive), and a large response streamed in bounded memory.

mod common;

use common::{get, start};
use test_httpd::Mpm;

const UPPERCASE: &str = include_str!("../../examples/filters/uppercase.py");

const PAGES: &str = r#"
from mod_python import apache

def handler(req):
    req.content_type = "text/plain"
    for i in range(3):
        req.write("part %d;" % i)
    return apache.OK

def pid(req):
    import os
    req.write(str(os.getpid()))
    return apache.OK

def big(req):
    req.content_type = "text/plain"
    chunk = "abcdefghij" * 6553 + "\n"
    for i in range(int(req.args or "10")):
        req.write(chunk, 0)
    return apache.OK
"#;

const BROKEN: &str =
    "def outputfilter(filter):\n    raise RuntimeError('filter failed on purpose')\n";

fn config() -> String {
    r#"
PythonPath "['@DOCROOT@'] + sys.path"
PythonOutputFilter uppercase UPPERCASE
PythonOutputFilter broken BROKEN
<Directory "@DOCROOT@">
  AddOutputFilter UPPERCASE .txt
</Directory>
<Location /py>
  SetHandler mod_python
  PythonHandler pages
  SetOutputFilter UPPERCASE
</Location>
<Location /big>
  SetHandler mod_python
  PythonHandler pages::big
  SetOutputFilter UPPERCASE
</Location>
<Location /pid>
  SetHandler mod_python
  PythonHandler pages::pid
</Location>
<Location /broken>
  SetHandler mod_python
  PythonHandler pages
  SetOutputFilter BROKEN
</Location>
"#
    .to_string()
}

#[test]
fn uppercase_filter_over_files_and_handlers() {
    for mpm in Mpm::ALL {
        let apache = start(
            mpm,
            &config(),
            &[
                ("uppercase.py", UPPERCASE),
                ("pages.py", PAGES),
                ("broken.py", BROKEN),
                ("hello.txt", "hello, filter\n"),
            ],
        );
        let r = get(&apache, "/hello.txt");
        assert_eq!(
            (r.status, r.text().as_str()),
            (200, "HELLO, FILTER\n"),
            "{mpm:?}\n{}",
            apache.error_log()
        );
        let r = get(&apache, "/py");
        assert_eq!(r.text(), "PART 0;PART 1;PART 2;", "{mpm:?}");
        // HEAD through the filter: no body, still 200.
        let raw =
            "HEAD /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".to_string();
        let r = apache.request(raw.as_bytes()).expect("head");
        assert_eq!((r.status, r.body.len()), (200, 0));
    }
}

#[test]
fn raising_filter_is_logged_and_data_passes_through() {
    let apache = start(
        Mpm::Event,
        &config(),
        &[
            ("pages.py", PAGES),
            ("broken.py", BROKEN),
            ("uppercase.py", UPPERCASE),
        ],
    );
    let r = get(&apache, "/broken");
    assert_eq!(r.status, 200);
    assert!(r.text().contains("part 0;"), "{}", r.text());
    let log = apache.error_log();
    assert!(
        log.contains("RuntimeError: filter failed on purpose"),
        "{log}"
    );
    assert_eq!(
        get(&apache, "/py").status,
        200,
        "the child must still serve"
    );
}

fn peak_rss_kib(pid: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .expect("VmHWM")
}

/// A 2 GiB response streamed through the Python filter raises the child's peak RSS by less
/// than 64 MiB: the filter sees one brigade at a time.
#[test]
fn large_response_streams_through_the_filter_in_bounded_memory() {
    // 2 GiB: chunks of 65531 bytes written by pages.py.
    const BIG_CHUNKS: u64 = (2 << 30) / 65531 + 1;
    // One child, so the pid answered is the process that serves the big response.
    let config = format!("ServerLimit 1\nMaxRequestWorkers 25\n{}", config());
    let files = [
        ("pages.py", PAGES),
        ("uppercase.py", UPPERCASE),
        ("broken.py", BROKEN),
    ];
    let apache = start(Mpm::Event, &config, &files);
    let pid = get(&apache, "/pid").text();
    get(&apache, "/big?20"); // warm up: modules imported, buffers allocated
    let before = peak_rss_kib(&pid);
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", apache.port())).expect("connect");
    use std::io::{Read, Write};
    // HTTP/1.0: no chunked framing, the body runs until the server closes.
    stream
        .write_all(format!("GET /big?{BIG_CHUNKS} HTTP/1.0\r\nHost: x\r\n\r\n").as_bytes())
        .expect("send");
    let (mut total, mut buf, mut lower) = (0u64, vec![0u8; 1 << 16], false);
    let mut head = Vec::new();
    let mut in_body = false;
    loop {
        let n = stream.read(&mut buf).expect("read");
        if n == 0 {
            break;
        }
        let mut chunk = &buf[..n];
        if !in_body {
            head.extend_from_slice(chunk);
            let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") else {
                continue;
            };
            in_body = true;
            let body_start = end + 4 - (head.len() - n);
            chunk = &buf[body_start..n];
        }
        lower |= chunk.iter().any(|b| (b'a'..=b'j').contains(b));
        total += chunk.len() as u64;
    }
    let after = peak_rss_kib(&pid);
    assert_eq!(total, BIG_CHUNKS * 65531, "short response");
    assert!(!lower, "data passed the filter unchanged");
    let growth_mib = after.saturating_sub(before) / 1024;
    eprintln!(
        "peak RSS before {before} KiB, after {after} KiB, growth {growth_mib} MiB for {} MiB",
        total >> 20
    );
    assert!(growth_mib < 64, "peak RSS grew by {growth_mib} MiB");
}

/// A big response (125 MiB) arrives complete and transformed.
#[test]
fn large_response_streams_through_the_filter() {
    let files = [
        ("pages.py", PAGES),
        ("uppercase.py", UPPERCASE),
        ("broken.py", BROKEN),
    ];
    let apache = start(Mpm::Prefork, &config(), &files);
    let r = get(&apache, "/big?2000");
    assert_eq!(r.status, 200);
    assert_eq!(r.body.len(), 2000 * 65531);
    assert!(r.body.starts_with(b"ABCDEFGHIJ"));
    assert!(!r.body.iter().any(|b| b.is_ascii_lowercase()));
}
