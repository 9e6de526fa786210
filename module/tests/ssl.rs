//! `req.is_https()` and `req.ssl_var_lookup()` with the real mod_ssl: a TLS virtual host
//! (self-signed certificate made by `openssl` for the test) and a plain one, read with curl.

mod common;

use test_httpd::{free_port, Mpm};

const PAGE: &str = r#"
from mod_python import apache

def handler(req):
    req.content_type = "text/plain"
    req.write("%r|%r|%r|%r" % (
        req.is_https(),
        req.ssl_var_lookup("HTTPS"),
        req.ssl_var_lookup("SSL_PROTOCOL"),
        req.ssl_var_lookup("SSL_SERVER_S_DN_CN"),
    ))
    return apache.OK
"#;

/// A self-signed certificate and its key, PEM, for CN `localhost`.
fn self_signed() -> (String, String) {
    static MADE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = MADE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("mp-ssl-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let status = std::process::Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        ])
        .args(["-subj", "/CN=localhost", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("openssl (installed with ca-certificates)");
    assert!(status.success(), "openssl failed");
    let read = |p: &std::path::Path| std::fs::read_to_string(p).expect("pem");
    let pems = (read(&cert), read(&key));
    let _ = std::fs::remove_dir_all(&dir);
    pems
}

/// `config` (with the document root on `PythonPath`), plus a TLS virtual host on `port` using
/// the `cert.pem` and `key.pem` of the document root.
fn with_tls_host(port: u16, config: &str) -> String {
    format!(
        "PythonPath \"['@DOCROOT@'] + sys.path\"\n{config}\
         Listen 127.0.0.1:{port} https\n\
         <VirtualHost 127.0.0.1:{port}>\n  ServerName localhost\n  SSLEngine on\n  \
         SSLCertificateFile \"@DOCROOT@/cert.pem\"\n  SSLCertificateKeyFile \"@DOCROOT@/key.pem\"\n\
         </VirtualHost>\n"
    )
}

fn curl(url: &str) -> String {
    let out = std::process::Command::new("curl")
        .args(["-sk", "--max-time", "10", url])
        .output()
        .expect("curl");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn is_https_and_ssl_var_lookup_with_mod_ssl() {
    let (cert, key) = self_signed();
    let port = free_port().expect("port");
    let config = with_tls_host(
        port,
        "<Location /page>\n  SetHandler mod_python\n  PythonHandler page\n</Location>\n",
    );
    let apache = common::start_with_modules(
        Mpm::Event,
        &config,
        &[("page.py", PAGE), ("cert.pem", &cert), ("key.pem", &key)],
        &["socache_shmcb", "ssl"],
    );
    let tls = curl(&format!("https://127.0.0.1:{port}/page"));
    let parts: Vec<&str> = tls.split('|').collect();
    assert_eq!(parts.len(), 4, "{tls:?}\n{}", apache.error_log());
    assert_eq!(parts[0], "1");
    assert_eq!(parts[1], "'on'");
    assert!(parts[2].starts_with("'TLSv1."), "{tls}");
    assert_eq!(parts[3], "'localhost'");
    let plain = common::get(&apache, "/page").text();
    assert!(plain.starts_with("0|"), "{plain}");
    assert!(!plain.contains("TLS"), "{plain}");
}

const CHUNKY: &str = r#"
from mod_python import apache
import hashlib

def chunky(filter):
    # Small, odd-sized reads: most buckets from mod_ssl are split, their rest kept.
    s = filter.read(7)
    while s:
        filter.write(s)
        s = filter.readline(13) or filter.read(7)
    if s is None:
        filter.close()

def handler(req):
    body = req.read()
    req.content_type = "text/plain"
    req.write("%s %d" % (hashlib.sha256(body).hexdigest(), len(body)))
    return apache.OK
"#;

/// A Python input filter that reads a TLS request body in small pieces (keeping the rest of
/// mod_ssl's buckets between reads) hands the handler exactly the bytes the client sent.
#[test]
fn input_filter_over_tls_keeps_the_body_intact() {
    let (cert, key) = self_signed();
    let port = free_port().expect("port");
    let config = with_tls_host(
        port,
        "PythonInputFilter chunky::chunky CHUNKY\n\
         <Location /echo>\n  SetHandler mod_python\n  PythonHandler chunky\n  \
         SetInputFilter CHUNKY\n</Location>\n",
    );
    let apache = common::start_with_modules(
        Mpm::Event,
        &config,
        &[
            ("chunky.py", CHUNKY),
            ("cert.pem", &cert),
            ("key.pem", &key),
        ],
        &["socache_shmcb", "ssl"],
    );
    // 3 MB of varied bytes with newlines, so lines and reads cut buckets everywhere.
    let body: Vec<u8> = (0..3_000_000u32)
        .map(|i| match i % 97 {
            0 => b'\n',
            k => (i.wrapping_mul(2_654_435_761) >> 24) as u8 ^ k as u8,
        })
        .collect();
    let file = apache.root().join("body.bin");
    std::fs::write(&file, &body).expect("body file");
    let out = std::process::Command::new("curl")
        .args(["-sk", "--max-time", "60", "--data-binary"])
        .arg(format!("@{}", file.display()))
        .arg(format!("https://127.0.0.1:{port}/echo"))
        .output()
        .expect("curl");
    let answer = String::from_utf8_lossy(&out.stdout).into_owned();
    let expected = {
        let out = std::process::Command::new("sha256sum")
            .arg(&file)
            .output()
            .expect("sha256sum");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        format!("{} {}", text.split(' ').next().unwrap_or(""), body.len())
    };
    assert_eq!(answer, expected, "{}", apache.error_log());
}
