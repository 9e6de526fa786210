//! The ways a Python output filter gets into a response, each on every MPM: configured with
//! `PythonOutputFilter` and switched on by extension (`AddOutputFilter`), added by the handler
//! (`req.add_output_filter`), or declared by the handler itself (`req.register_output_filter`);
//! and a connection handler on a plain `Listen` port that answers a browser-style request
//! with a hand-written HTTP response, read with an ordinary HTTP client.

mod common;

use std::io::{Read, Write};
use test_httpd::{free_port, Apache, Mpm};

const PAGES_PY: &str = r#"
import codecs
from mod_python import apache

def rot13(flt):
    # Whatever the handler wrote, rotated; the stream ends when read() answers None.
    chunk = flt.read()
    while chunk:
        flt.write(codecs.encode(chunk.decode("ascii"), "rot13"))
        chunk = flt.read()
    if chunk is None:
        flt.close()
    return apache.OK

def plain(req):
    req.content_type = "text/plain"
    req.write("phase %s" % req.phase)
    return apache.OK

def adds_filter(req):
    req.content_type = "text/plain"
    req.add_output_filter("ROT13")
    req.write("added by the handler")
    return apache.OK

def registers_filter(req):
    req.content_type = "text/plain"
    req.register_output_filter("ROT13", "pages::rot13")
    req.add_output_filter("ROT13")
    req.write("registered by the handler")
    return apache.OK

def raw_http(conn):
    # Swallow the request head, then answer as a web server would.
    while conn.readline().strip():
        pass
    body = "served raw"
    conn.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n")
    conn.write("Content-Length: %d\r\n\r\n%s" % (len(body), body))
    return apache.OK
"#;

/// A name-based virtual host whose every request goes to `site` handlers.
fn vhost(name: &str, directives: &str) -> String {
    format!(
        "<VirtualHost *>\n  ServerName {name}\n  DocumentRoot \"@DOCROOT@\"\n  \
         SetHandler mod_python\n  PythonPath \"['@DOCROOT@'] + sys.path\"\n  \
         {directives}\n  PythonDebug On\n</VirtualHost>\n"
    )
}

fn get_from(apache: &Apache, host: &str, path: &str) -> String {
    let raw = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    let r = apache.request(raw.as_bytes()).expect("request");
    assert_eq!(r.status, 200, "{host}{path}\n{}", apache.error_log());
    r.text()
}

#[test]
fn output_filters_by_extension_by_handler_and_registered_then_a_raw_connection_handler() {
    for mpm in Mpm::ALL {
        let raw_port = free_port().expect("port");
        let config = [
            // The first virtual host answers names no other one lists.
            vhost("fallback", "PythonHandler pages::plain"),
            vhost(
                "by-extension",
                "PythonHandler pages::plain\n  PythonOutputFilter pages::rot13 ROT13\n  \
                 AddOutputFilter ROT13 .py",
            ),
            vhost(
                "by-handler",
                "PythonHandler pages::adds_filter\n  PythonOutputFilter pages::rot13 ROT13",
            ),
            vhost("registered", "PythonHandler pages::registers_filter"),
            format!(
                "Listen 127.0.0.1:{raw_port}\n<VirtualHost 127.0.0.1:{raw_port}>\n  \
                 PythonPath \"['@DOCROOT@'] + sys.path\"\n  \
                 PythonConnectionHandler pages::raw_http\n</VirtualHost>\n"
            ),
        ]
        .concat();
        let apache = common::start(mpm, &config, &[("pages.py", PAGES_PY)]);
        // The extension turns the filter on for .py names only.
        assert_eq!(
            get_from(&apache, "by-extension", "/page.py"),
            "cunfr ClgubaUnaqyre"
        );
        assert_eq!(
            get_from(&apache, "by-extension", "/page"),
            "phase PythonHandler"
        );
        assert_eq!(
            get_from(&apache, "by-handler", "/x"),
            "nqqrq ol gur unaqyre"
        );
        assert_eq!(
            get_from(&apache, "registered", "/x"),
            "ertvfgrerq ol gur unaqyre"
        );
        assert_eq!(get_from(&apache, "fallback", "/x"), "phase PythonHandler");

        let mut s = std::net::TcpStream::connect(("127.0.0.1", raw_port)).expect("connect");
        s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .expect("timeout");
        s.write_all(b"GET /anything HTTP/1.1\r\nHost: raw\r\nAccept: */*\r\n\r\n")
            .expect("send");
        let mut reply = String::new();
        s.read_to_string(&mut reply).expect("reply");
        assert_eq!(
            reply,
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\nserved raw",
            "{mpm:?}\n{}",
            apache.error_log()
        );
        let log = apache.error_log();
        assert!(common::crash_lines(&log).is_empty(), "{mpm:?}: {log}");
    }
}
