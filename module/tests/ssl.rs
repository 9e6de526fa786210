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
    let dir = std::env::temp_dir().join(format!("mp-ssl-{}", std::process::id()));
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
    let config = format!(
        "PythonPath \"['@DOCROOT@'] + sys.path\"\n\
         <Location /page>\n  SetHandler mod_python\n  PythonHandler page\n</Location>\n\
         Listen 127.0.0.1:{port} https\n\
         <VirtualHost 127.0.0.1:{port}>\n  ServerName localhost\n  SSLEngine on\n  \
         SSLCertificateFile \"@DOCROOT@/cert.pem\"\n  SSLCertificateKeyFile \"@DOCROOT@/key.pem\"\n\
         </VirtualHost>\n"
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
