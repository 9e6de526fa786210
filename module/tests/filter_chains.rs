//! Python filters chained with Apache's own and with each other: an input filter that
//! gunzips the request body (Content-Length and chunked), ours before mod_deflate,
//! mod_include (and its subrequest) before ours, byte ranges after ours, a gzip output filter
//! written in Python, filters attached by type and by mod_filter's FilterChain, and filters
//! (output and input) registered or added from Python for one request.

mod common;

use common::get;
use test_httpd::Mpm;

const UPPERCASE: &str = include_str!("../../examples/filters/uppercase.py");
const GUNZIP: &str = include_str!("../../examples/filters/gunzip_input.py");
const GZIP: &str = include_str!("../../examples/filters/gzip_output.py");

const HANDLERS: &str = r#"
from mod_python import apache

def handler(req):
    req.content_type = "text/plain"
    for i in range(3):
        req.write("part %d;" % i)
    return apache.OK

def echo(req):
    req.write(req.read())
    return apache.OK

def csv(req):
    req.content_type = "text/csv"
    req.write("a,b\n")
    return apache.OK

def shout(req):
    req.content_type = "text/x-shout"
    req.write("chained by mod_filter")
    return apache.OK

def add_gunzip(req):
    req.add_input_filter("GUNZIP")
    return apache.OK

def register_gunzip(req):
    req.register_input_filter("GUNZIP2", "gunzip_input")
    req.add_input_filter("GUNZIP2")
    return apache.OK

def dynamic(req):
    req.register_output_filter("SHOUT", "uppercase")
    req.add_output_filter("SHOUT")
    req.write("quiet words")
    return apache.OK
"#;

const CONFIG: &str = r#"
PythonPath "['@DOCROOT@'] + sys.path"
PythonOutputFilter uppercase UPPERCASE
PythonInputFilter gunzip_input GUNZIP
PythonOutputFilter gzip_output GZIP
<Directory "@DOCROOT@">
  AddOutputFilter UPPERCASE .txt
</Directory>
<Location /py>
  SetHandler mod_python
  PythonHandler handlers
</Location>
<Location /echo>
  SetHandler mod_python
  PythonHandler handlers::echo
  SetInputFilter GUNZIP
</Location>
<Location /csv>
  SetHandler mod_python
  PythonHandler handlers::csv
  AddOutputFilterByType UPPERCASE text/csv
</Location>
FilterDeclare SHOUTF
FilterProvider SHOUTF UPPERCASE "%{CONTENT_TYPE} =~ m#^text/x-shout#"
<Location /chain>
  SetHandler mod_python
  PythonHandler handlers::shout
  FilterChain SHOUTF
</Location>
<Location /addin>
  SetHandler mod_python
  PythonFixupHandler handlers::add_gunzip
  PythonHandler handlers::echo
</Location>
<Location /dynin>
  SetHandler mod_python
  PythonFixupHandler handlers::register_gunzip
  PythonHandler handlers::echo
</Location>
<Location /dynamic>
  SetHandler mod_python
  PythonHandler handlers::dynamic
</Location>
<Location /gz>
  SetHandler mod_python
  PythonHandler handlers
  SetOutputFilter GZIP
</Location>
<Location /deflated>
  SetHandler mod_python
  PythonHandler handlers
  SetOutputFilter UPPERCASE;DEFLATE
</Location>
<Directory "@DOCROOT@/ssi">
  Options +Includes
  AddOutputFilter INCLUDES;UPPERCASE .shtml
</Directory>
"#;

/// Runs python3 to gzip or gunzip bytes (the tests need no compression crate).
fn python_zip(data: &[u8], compress: bool) -> Vec<u8> {
    use std::io::Write;
    let code = if compress {
        "import gzip,sys; sys.stdout.buffer.write(gzip.compress(sys.stdin.buffer.read()))"
    } else {
        "import gzip,sys; sys.stdout.buffer.write(gzip.decompress(sys.stdin.buffer.read()))"
    };
    let mut child = std::process::Command::new("/usr/bin/python3")
        .args(["-c", code])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(data)
        .expect("write");
    child.wait_with_output().expect("output").stdout
}

fn start() -> test_httpd::Apache {
    start_mpm(Mpm::Event)
}

fn start_mpm(mpm: Mpm) -> test_httpd::Apache {
    let files = [
        ("uppercase.py", UPPERCASE),
        ("gunzip_input.py", GUNZIP),
        ("gzip_output.py", GZIP),
        ("handlers.py", HANDLERS),
        ("hello.txt", "hello, filter\n"),
        (
            "ssi/page.shtml",
            "before <!--#include virtual=\"/py\" --> after\n",
        ),
    ];
    common::start_with_modules(mpm, CONFIG, &files, &["deflate", "include", "filter"])
}

#[test]
fn gunzip_input_filter_changes_the_body_the_handler_reads() {
    for mpm in Mpm::ALL {
        gunzip_under(mpm);
    }
}

fn gunzip_under(mpm: Mpm) {
    let apache = start_mpm(mpm);
    let plain = b"a body that was gzipped on the wire ".repeat(2000);
    let body = python_zip(&plain, true);
    let head = format!(
        "POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let mut raw = head.into_bytes();
    raw.extend_from_slice(&body);
    let r = apache.request(&raw).expect("post");
    assert_eq!(r.status, 200, "{}", apache.error_log());
    assert!(
        r.body == plain,
        "got {} bytes\n{}",
        r.body.len(),
        apache.error_log()
    );
    let mut raw =
        b"POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n"
            .to_vec();
    for part in body.chunks(1000) {
        raw.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
        raw.extend_from_slice(part);
        raw.extend_from_slice(b"\r\n");
    }
    raw.extend_from_slice(b"0\r\n\r\n");
    let r = apache.request(&raw).expect("post chunked");
    assert!(r.body == plain, "chunked: got {} bytes", r.body.len());
}

#[test]
fn ours_before_deflate() {
    let apache = start();
    let raw =
        b"GET /deflated HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAccept-Encoding: gzip\r\n\r\n";
    let r = apache.request(raw).expect("deflated");
    assert_eq!(
        r.header("Content-Encoding"),
        Some("gzip"),
        "{:?}",
        r.headers
    );
    assert_eq!(python_zip(&r.body, false), b"PART 0;PART 1;PART 2;");
}

#[test]
fn gzip_filter_written_in_python() {
    let apache = start();
    let r = get(&apache, "/gz");
    assert_eq!(
        r.header("Content-Encoding"),
        Some("gzip"),
        "{:?}",
        r.headers
    );
    assert_eq!(python_zip(&r.body, false), b"part 0;part 1;part 2;");
}

#[test]
fn includes_and_its_subrequest_before_ours() {
    let apache = start();
    let r = get(&apache, "/ssi/page.shtml");
    assert_eq!(
        r.text(),
        "BEFORE PART 0;PART 1;PART 2; AFTER\n",
        "{}",
        apache.error_log()
    );
}

#[test]
fn byte_ranges_after_ours() {
    let apache = start();
    let raw =
        b"GET /hello.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\nRange: bytes=0-4\r\n\r\n";
    let r = apache.request(raw).expect("range");
    assert_eq!((r.status, r.text().as_str()), (206, "HELLO"));
}

#[test]
fn filter_registered_from_python() {
    let apache = start();
    assert_eq!(
        get(&apache, "/dynamic").text(),
        "QUIET WORDS",
        "{}",
        apache.error_log()
    );
}

#[test]
fn attached_by_type_by_mod_filter_and_from_python() {
    let apache = start();
    let csv = get(&apache, "/csv");
    assert_eq!(csv.text(), "A,B\n", "{}", apache.error_log());
    assert_eq!(get(&apache, "/chain").text(), "CHAINED BY MOD_FILTER");
    let plain = b"input filter added by a fixup handler".to_vec();
    let body = python_zip(&plain, true);
    for path in ["/addin", "/dynin"] {
        let mut raw = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        raw.extend_from_slice(&body);
        let r = apache.request(&raw).expect("post");
        assert!(
            r.body == plain,
            "{path}: {:?}\n{}",
            r.text(),
            apache.error_log()
        );
    }
}

const METHODS: &str = r#"
from mod_python import apache
import time

def slow(req):
    req.write("first", 0)
    req.flush()
    time.sleep(1.5)
    req.write("second")
    return apache.OK

def lines(req):
    req.write("one\ntwo\nthree\n")
    return apache.OK

def linefilter(filter):
    # readline, write, attributes; numbers each line
    assert filter.softspace == 0 and not hasattr(filter, "non_existent")
    filter.softspace = 1
    assert filter.softspace == 1
    n = getattr(filter.req, "_n", 0)
    line = filter.readline()
    while line:
        n += 1
        filter.write(b"%d:%s" % (n, line))
        line = filter.readline()
    filter.req._n = n
    if line is None:
        filter.write(("[%s %s %s %s]" % (filter.name, filter.handler, filter.is_input, filter.closed)).encode())
        filter.close()
        assert filter.closed

def passfilter(filter):
    filter.pass_on()

def disablefilter(filter):
    filter.disable()
    filter.pass_on()
"#;

const METHOD_CONFIG: &str = r#"
PythonPath "['@DOCROOT@'] + sys.path"
PythonOutputFilter uppercase UPPERCASE
PythonOutputFilter methods::linefilter NUMBERS
PythonOutputFilter methods::passfilter PASS
PythonOutputFilter methods::disablefilter OFF
<Location /slow>
  SetHandler mod_python
  PythonHandler methods::slow
  SetOutputFilter UPPERCASE
</Location>
<Location /lines>
  SetHandler mod_python
  PythonHandler methods::lines
  SetOutputFilter NUMBERS
</Location>
<Location /pass>
  SetHandler mod_python
  PythonHandler methods::lines
  SetOutputFilter PASS;OFF
</Location>
"#;

/// readline/write/close/pass_on/disable and the filter attributes, under all three MPMs; a flush
/// upstream reaches the client through the Python filter before the response ends.
#[test]
fn filter_methods_attributes_and_flush() {
    for mpm in Mpm::ALL {
        let files = [("methods.py", METHODS), ("uppercase.py", UPPERCASE)];
        let apache = common::start(mpm, METHOD_CONFIG, &files);
        assert_eq!(
            get(&apache, "/lines").text(),
            "1:one\n2:two\n3:three\n[numbers methods::linefilter 0 0]",
            "{mpm:?}\n{}",
            apache.error_log()
        );
        assert_eq!(get(&apache, "/pass").text(), "one\ntwo\nthree\n");
        // The first part must arrive while the handler still sleeps.
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(("127.0.0.1", apache.port())).expect("connect");
        s.write_all(b"GET /slow HTTP/1.0\r\nHost: x\r\n\r\n")
            .expect("send");
        let start = std::time::Instant::now();
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        while !String::from_utf8_lossy(&got).contains("FIRST") {
            let n = s.read(&mut buf).expect("read");
            assert!(
                n > 0,
                "closed before FIRST: {}",
                String::from_utf8_lossy(&got)
            );
            got.extend_from_slice(&buf[..n]);
        }
        assert!(
            start.elapsed().as_millis() < 1200,
            "flush did not reach the client: {:?}",
            start.elapsed()
        );
        s.read_to_end(&mut got).expect("rest");
        assert!(
            String::from_utf8_lossy(&got).ends_with("FIRSTSECOND"),
            "{mpm:?}"
        );
    }
}
