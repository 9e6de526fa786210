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
    for mpm in [Mpm::Event, Mpm::Prefork] {
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
            format!("HEAD /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
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

#[test]
fn large_response_streams_through_the_filter() {
    let apache = start(
        Mpm::Event,
        &config(),
        &[
            ("pages.py", PAGES),
            ("uppercase.py", UPPERCASE),
            ("broken.py", BROKEN),
        ],
    );
    // 2000 writes of 64 KiB: about 125 MiB through the Python filter.
    let r = get(&apache, "/big?2000");
    assert_eq!(r.status, 200);
    assert_eq!(r.body.len(), 2000 * 65531);
    assert!(r.body.starts_with(b"ABCDEFGHIJ"));
    assert!(!r.body.iter().any(|b| b.is_ascii_lowercase()));
}
