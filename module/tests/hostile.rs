//! Hostile requests against a real Apache under every MPM, through a handler that reads
//! everything a request carries (URI, query string, headers, cookies, form): lines and
//! headers at and beyond Apache's limits, NUL and non-UTF-8 bytes, broken escapes, broken
//! chunked bodies, truncated bodies, hostile multipart, forged session ids. Each gets a
//! clean answer (200 with what was seen, or a 4xx), never a 500 or a dead child.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::OnceLock;
use std::time::Duration;
use test_httpd::{Apache, Mpm};

const INPUTS: &str = include_str!("htdocs/hostile/inputs.py");

const CONFIG: &str = "PythonPath \"['@DOCROOT@'] + sys.path\"\n\
    <Location /in>\n  SetHandler mod_python\n  PythonHandler inputs\n</Location>\n\
    <Location /session>\n  SetHandler mod_python\n  PythonHandler inputs::session\n  \
    PythonOption mod_python.file_session.database_directory \"@DOCROOT@/../sessions\"\n</Location>\n";

fn servers() -> &'static [Apache; 3] {
    static SERVERS: OnceLock<[Apache; 3]> = OnceLock::new();
    SERVERS.get_or_init(|| {
        Mpm::ALL.map(|mpm| {
            let apache = common::start(mpm, CONFIG, &[("inputs.py", INPUTS)]);
            common::writable_dir(&apache, "sessions");
            apache
        })
    })
}

/// Sends `raw` as it is and returns the status (0 when the server closed without one).
fn status_of(apache: &Apache, raw: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", apache.port())).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let _ = s.write_all(raw);
    let _ = s.shutdown(std::net::Shutdown::Write);
    let mut data = Vec::new();
    let _ = s.read_to_end(&mut data);
    let text = String::from_utf8_lossy(&data).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, text)
}

fn request(path: &str, headers: &str, body: &[u8]) -> Vec<u8> {
    let mut raw =
        format!("POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{headers}").into_bytes();
    if !headers.to_ascii_lowercase().contains("content-length")
        && !headers.to_ascii_lowercase().contains("transfer-encoding")
    {
        raw.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    }
    raw.extend_from_slice(b"\r\n");
    raw.extend_from_slice(body);
    raw
}

fn still_serving(apache: &Apache) {
    let (status, text) = status_of(
        apache,
        b"GET /in?a=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status, 200, "{text}\n{}", apache.error_log());
    assert!(
        common::crash_lines(&apache.error_log()).is_empty(),
        "{}",
        apache.error_log()
    );
}

/// Every case's answer must be one of `allowed`.
fn expect(apache: &Apache, what: &str, raw: &[u8], allowed: &[u16]) {
    let (status, text) = status_of(apache, raw);
    assert!(
        allowed.contains(&status),
        "{what}: status {status}, wanted one of {allowed:?}\n{}\n{}",
        &text[..text.len().min(1500)],
        apache.error_log()
    );
}

#[test]
fn lines_and_headers_at_and_beyond_apaches_limits() {
    for apache in servers() {
        let long_uri = format!("GET /in?{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(9000));
        expect(
            apache,
            "request line over 8190",
            long_uri.as_bytes(),
            &[414, 400],
        );
        let near = format!(
            "GET /in?q={} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            "b".repeat(8000)
        );
        expect(
            apache,
            "request line just under the limit",
            near.as_bytes(),
            &[200],
        );
        let big_header = format!(
            "GET /in HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
            "c".repeat(9000)
        );
        expect(apache, "header over 8190", big_header.as_bytes(), &[400]);
        let mut many = String::from("GET /in HTTP/1.1\r\nHost: x\r\nConnection: close\r\n");
        for i in 0..97 {
            many.push_str(&format!("X-H{i}: v\r\n"));
        }
        many.push_str("\r\n");
        // Host, Connection and 97 more: 99, under LimitRequestFields (100).
        expect(apache, "99 headers", many.as_bytes(), &[200]);
        still_serving(apache);
    }
}

#[test]
fn nul_non_utf8_and_broken_escapes() {
    for apache in servers() {
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("NUL escape in the path", b"GET /in/%00x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_vec()),
            ("non-UTF-8 escapes in the query", b"GET /in?a=%ff%fe&%c3%28=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_vec()),
            ("raw high bytes in the query", b"GET /in?a=\xff\xfe\x80 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_vec()),
            ("broken escapes", b"GET /in?a=%zz&b=%4&c=% HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_vec()),
            ("high bytes in a header", b"GET /in HTTP/1.1\r\nHost: x\r\nX-Bin: \xff\xc3\x28\x80\r\nConnection: close\r\n\r\n".to_vec()),
            ("broken cookies", b"GET /in HTTP/1.1\r\nHost: x\r\nCookie: ;;;, =x; a=\"unclosed; \xff\xfe=\x00; $Path=/\r\nConnection: close\r\n\r\n".to_vec()),
            ("a 7 KB cookie", format!("GET /in HTTP/1.1\r\nHost: x\r\nCookie: big={}\r\nConnection: close\r\n\r\n", "z".repeat(7000)).into_bytes()),
        ];
        for (what, raw) in cases {
            expect(apache, what, &raw, &[200, 400, 404]);
        }
        expect(
            apache,
            "an escaped slash",
            b"GET /in/a%2fb HTTP/1.1\r\nHost: x\r\n\r\n",
            &[200, 404],
        );
        still_serving(apache);
    }
}

#[test]
fn broken_bodies() {
    for apache in servers() {
        let form = "Content-Type: application/x-www-form-urlencoded\r\n";
        let chunked = format!("{form}Transfer-Encoding: chunked\r\n");
        expect(
            apache,
            "chunk size not hex",
            &request("/in", &chunked, b"zz\r\nabc\r\n0\r\n\r\n"),
            &[400],
        );
        expect(
            apache,
            "chunk size too large",
            &request("/in", &chunked, b"ffffffffffffffffff\r\nabc\r\n0\r\n\r\n"),
            &[400, 413],
        );
        expect(
            apache,
            "chunk longer than its size",
            &request("/in", &chunked, b"2\r\nabcdef\r\n0\r\n\r\n"),
            &[400],
        );
        expect(
            apache,
            "chunked body cut short",
            &request("/in", &chunked, b"10\r\nabc"),
            &[400, 0],
        );
        let cut = "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n";
        expect(
            apache,
            "body shorter than its length",
            &request("/in", cut, b"a=1&b=2"),
            &[400, 0],
        );
        expect(
            apache,
            "negative length",
            &request("/in", "Content-Length: -5\r\n", b""),
            &[400],
        );
        expect(
            apache,
            "two lengths",
            &request("/in", "Content-Length: 3\r\nContent-Length: 4\r\n", b"abcd"),
            &[400],
        );
        still_serving(apache);
    }
}

#[test]
fn hostile_multipart() {
    for apache in servers() {
        let mp =
            |boundary: &str| format!("Content-Type: multipart/form-data; boundary={boundary}\r\n");
        let cases: Vec<(&str, String, Vec<u8>, &[u16])> = vec![
            ("no boundary parameter", "Content-Type: multipart/form-data\r\n".into(), b"--x\r\n\r\n".to_vec(), &[400]),
            ("empty boundary", mp("\"\""), b"--\r\n\r\n".to_vec(), &[400]),
            ("a 300-byte boundary", mp(&"b".repeat(300)), b"x".to_vec(), &[400]),
            ("missing final boundary", mp("q"), b"--q\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv".to_vec(), &[400]),
            ("duplicate boundaries", mp("q"), b"--q\r\n--q\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n--q--\r\n".to_vec(), &[200, 400]),
            ("a 200 KB part header", mp("q"), {
                let mut b = b"--q\r\nX: ".to_vec();
                b.extend(std::iter::repeat_n(b'h', 200 * 1024));
                b.extend_from_slice(b"\r\n\r\nv\r\n--q--\r\n");
                b
            }, &[400]),
            ("NUL and high bytes in a part name", mp("q"), b"--q\r\nContent-Disposition: form-data; name=\"\x00\xff\"; filename=\"../../etc/passwd\"\r\n\r\nv\r\n--q--\r\n".to_vec(), &[200, 400]),
        ];
        for (what, headers, body, allowed) in cases {
            expect(apache, what, &request("/in", &headers, &body), allowed);
        }
        assert!(
            apache.error_log().contains("FieldStorage"),
            "refusals are logged"
        );
        still_serving(apache);
    }
}

#[test]
fn forged_session_ids_make_new_sessions() {
    for apache in servers() {
        for sid in [
            "../../../../etc/passwd",
            "0123456789abcdef0123456789abcdef0",
            "0123456789ABCDEF0123456789ABCDEF",
            "%00%00",
            "\u{00e9}\u{00e9}",
        ] {
            let raw = format!("GET /session HTTP/1.1\r\nHost: x\r\nCookie: pysid={sid}\r\nConnection: close\r\n\r\n");
            let (status, text) = status_of(apache, raw.as_bytes());
            assert_eq!(status, 200, "{sid}: {text}\n{}", apache.error_log());
            assert!(text.contains("\nn=1 new=True"), "{sid}: {text}");
        }
        still_serving(apache);
    }
}

#[test]
fn slow_clients_do_not_hold_up_the_others() {
    for (mpm, apache) in Mpm::ALL.into_iter().zip(servers()) {
        let port = apache.port();
        // Under prefork each slow client holds a whole child, and Apache starts new ones
        // about once a second: a quick request may wait that long there.
        let patience = if mpm == Mpm::Prefork {
            Duration::from_secs(5)
        } else {
            Duration::from_secs(1)
        };
        // Three clients dribble their requests a few bytes at a time over about two seconds.
        let slow: Vec<_> = (0..3)
            .map(|_| {
                std::thread::spawn(move || {
                    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
                    s.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
                    let request = b"GET /in?slow=1 HTTP/1.1\r\nHost: x\r\nX-Slow: yes\r\nConnection: close\r\n\r\n";
                    for piece in request.chunks(4) {
                        s.write_all(piece).expect("a piece");
                        std::thread::sleep(Duration::from_millis(100));
                    }
                    let mut data = Vec::new();
                    let _ = s.read_to_end(&mut data);
                    String::from_utf8_lossy(&data).into_owned()
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(300));
        for _ in 0..5 {
            let started = std::time::Instant::now();
            still_serving(apache);
            assert!(
                started.elapsed() < patience,
                "{mpm:?}: a quick request waited {:?} behind slow ones",
                started.elapsed()
            );
        }
        for t in slow {
            let answer = t.join().expect("slow client");
            assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        }
    }
}
