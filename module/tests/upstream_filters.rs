//! mod_python's own filter and connection-handler tests (`test/test.py` and
//! `test/htdocs/tests.py` of mod_python 3.5), with their handler code and configuration as
//! upstream wrote them: PythonOutputFilter with AddOutputFilter, req.add_output_filter,
//! req.register_output_filter, and a connection handler that fakes an HTTP response on a
//! plain `Listen` port, read with an ordinary HTTP client.

mod common;

use test_httpd::{free_port, Mpm};

/// The relevant functions of upstream's `test/htdocs/tests.py`, unchanged.
const TESTS_PY: &str = r#"
from mod_python import apache

def outputfilter(fltr):

    assert(not hasattr(fltr, "non_existent"))

    s = fltr.read()
    while s:
        fltr.write(s.upper())
        s = fltr.read()

    if s is None:
        fltr.close()

    return apache.OK

def simplehandler(req):

    if req.phase != "PythonHandler":
        req.write("test failed")
        return apache.OK

    req.write("test ok")
    return apache.OK

def req_add_output_filter(req):

    req.add_output_filter("MP_TEST_FILTER")

    req.write("test ok")

    return apache.OK

def req_register_output_filter(req):

    req.register_output_filter("MP_TEST_FILTER","tests::outputfilter")

    req.add_output_filter("MP_TEST_FILTER")

    req.write("test ok")

    return apache.OK

def connectionhandler(conn):

    # read whatever
    s = conn.readline().strip()
    while s:
        s = conn.readline().strip()

    # fake an HTTP response
    conn.write("HTTP/1.1 200 OK\r\n")
    conn.write("Content-Length: 7\r\n\r\n")
    conn.write("test ok")

    return apache.OK
"#;

fn vhost(name: &str, body: &str) -> String {
    format!(
        "<VirtualHost *>\n  ServerName {name}\n  DocumentRoot \"@DOCROOT@\"\n  \
         SetHandler mod_python\n  PythonPath \"[r'@DOCROOT@']+sys.path\"\n{body}\n  \
         PythonDebug On\n</VirtualHost>\n"
    )
}

fn vhost_get(apache: &test_httpd::Apache, host: &str) -> String {
    let raw = format!("GET /tests.py HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    let r = apache.request(raw.as_bytes()).expect("request");
    r.text()
}

#[test]
fn upstream_filter_and_connection_handler_tests() {
    for mpm in Mpm::ALL {
        let conport = free_port().expect("port");
        let config = [
            // A first virtual host catches requests for names not listed.
            vhost("default", "  PythonHandler tests::simplehandler"),
            vhost(
                "test_outputfilter",
                "  PythonHandler tests::simplehandler\n  \
                 PythonOutputFilter tests::outputfilter MP_TEST_FILTER\n  \
                 AddOutputFilter MP_TEST_FILTER .py",
            ),
            vhost(
                "test_req_add_output_filter",
                "  PythonHandler tests::req_add_output_filter\n  \
                 PythonOutputFilter tests::outputfilter MP_TEST_FILTER",
            ),
            vhost(
                "test_req_register_output_filter",
                "  PythonHandler tests::req_register_output_filter",
            ),
            format!(
                "Listen {conport}\n<VirtualHost 127.0.0.1:{conport}>\n  SetHandler mod_python\n  \
                 PythonPath \"[r'@DOCROOT@']+sys.path\"\n  \
                 PythonConnectionHandler tests::connectionhandler\n</VirtualHost>\n"
            ),
        ]
        .concat();
        let apache = common::start(mpm, &config, &[("tests.py", TESTS_PY)]);
        for host in [
            "test_outputfilter",
            "test_req_add_output_filter",
            "test_req_register_output_filter",
        ] {
            assert_eq!(
                vhost_get(&apache, host),
                "TEST OK",
                "{mpm:?} {host}\n{}",
                apache.error_log()
            );
        }
        let raw = format!("GET /tests.py HTTP/1.1\r\nHost: 127.0.0.1:{conport}\r\n\r\n");
        let mut s = std::net::TcpStream::connect(("127.0.0.1", conport)).expect("connect");
        use std::io::{Read, Write};
        s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .expect("timeout");
        s.write_all(raw.as_bytes()).expect("send");
        let mut reply = String::new();
        s.read_to_string(&mut reply).expect("reply");
        assert!(
            reply.starts_with("HTTP/1.1 200 OK\r\n") && reply.ends_with("\r\n\r\ntest ok"),
            "{mpm:?}: {reply:?}\n{}",
            apache.error_log()
        );
    }
}
