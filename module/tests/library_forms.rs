//! mod_python.util (FieldStorage over urlencoded and multipart bodies, uploads, callbacks,
//! redirect) and mod_python.publisher (traversal, its security rules, access control,
//! results) on a real Apache, with the hostile inputs each must survive: broken or
//! oversized multipart bodies get a 400 and a log line, forbidden publisher paths a 403,
//! and the child keeps serving.

mod common;

use common::send;
use std::sync::OnceLock;
use test_httpd::{Apache, Mpm, Response};

const FORMS: &str = include_str!("htdocs/library/forms.py");
const PAGE: &str = include_str!("htdocs/library/pub/page.py");
const GUARDED: &str = include_str!("htdocs/library/pub/guarded.py");

fn config() -> String {
    let mut c = String::from("PythonPath \"['@DOCROOT@'] + sys.path\"\n");
    for name in ["fields", "lookups", "callbacks", "redirect"] {
        c.push_str(&format!(
            "<Location /{name}>\n  SetHandler mod_python\n  PythonHandler forms::{name}\n  PythonDebug On\n</Location>\n"
        ));
    }
    c.push_str(
        "<Directory \"@DOCROOT@/pub\">\n  SetHandler mod_python\n  PythonHandler mod_python.publisher\n  PythonDebug On\n</Directory>\n\
         <Directory \"@DOCROOT@/pub2\">\n  SetHandler mod_python\n  PythonHandler mod_python.publisher\n  \
         PythonOption mod_python.publisher.publish_imported_functions On\n</Directory>\n",
    );
    c
}

fn start(mpm: Mpm) -> Apache {
    let files = [
        ("forms.py", FORMS),
        ("pub/page.py", PAGE),
        ("pub/guarded.py", GUARDED),
        ("pub2/page.py", PAGE),
    ];
    common::start(mpm, &config(), &files)
}

fn server() -> &'static Apache {
    static SERVER: OnceLock<Apache> = OnceLock::new();
    SERVER.get_or_init(|| start(Mpm::Event))
}

fn get(path: &str) -> Response {
    send(server(), "GET", path, "", b"")
}

const MULTIPART: &str = "Content-Type: multipart/form-data; boundary=\"frontier\"\r\n";

/// A multipart body of `parts` (name, filename, content), closed properly.
fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, filename, content) in parts {
        body.extend_from_slice(b"--frontier\r\n");
        let disposition = match filename {
            Some(f) => format!(
                "Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n"
            ),
            None => format!("Content-Disposition: form-data; name=\"{name}\"\r\n"),
        };
        body.extend_from_slice(disposition.as_bytes());
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(b"--frontier--\r\n");
    body
}

/// zlib's CRC-32, to compare an upload with what the handler read.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Bytes of every value, with CR and LF and boundary look-alikes sprinkled in.
fn awkward_content(len: usize) -> Vec<u8> {
    let mut state = 0x2545_f491_u32;
    let mut out: Vec<u8> = (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state >> 24) as u8
        })
        .collect();
    for (i, chunk) in out.chunks_mut(70_001).enumerate() {
        let trap: &[u8] = if i % 2 == 0 {
            b"\r\n--frontie"
        } else {
            b"\r\r\n--frontier-"
        };
        let n = trap.len().min(chunk.len());
        chunk[..n].copy_from_slice(&trap[..n]);
    }
    out
}

fn assert_still_serving(apache: &Apache) {
    let r = send(apache, "GET", "/pub/page.py", "", b"");
    assert_eq!((r.status, r.text()), (200, "index page".to_string()));
    assert!(
        common::crash_lines(&apache.error_log()).is_empty(),
        "{}",
        apache.error_log()
    );
}

#[test]
fn query_string_and_urlencoded_fields_have_str_names() {
    let r = send(
        server(),
        "POST",
        "/fields?q=1&q=2&caf%C3%A9=x",
        "Content-Type: application/x-www-form-urlencoded\r\n",
        b"a=one+two&b=%26&empty=",
    );
    assert_eq!(r.status, 200, "{}", server().error_log());
    assert_eq!(
        r.text(),
        "q='1'\nq='2'\ncafé='x'\na=b'one two'\nb=b'&'\nempty=b''"
    );
}

#[test]
fn lookups_take_str_or_bytes_names() {
    let r = send(
        server(),
        "POST",
        "/lookups",
        "Content-Type: application/x-www-form-urlencoded\r\n",
        b"a=1&b=2&b=3",
    );
    // A name read from an urlencoded body shows as bytes in repr(), as in 3.5; it is a str.
    assert_eq!(
        r.text(),
        "Field(b'a', b'1')|Field(b'a', b'1')|[b'2', b'3']|True|True|['a', 'b']"
    );
}

#[test]
fn multipart_uploads_arrive_intact() {
    for size in [0, 1, 65_535, 65_536, 1_300_000] {
        let content = awkward_content(size);
        let body = multipart(&[
            ("title", None, b"my file"),
            ("up", Some("data.bin"), &content),
        ]);
        let r = send(server(), "POST", "/fields", MULTIPART, &body);
        assert_eq!(r.status, 200, "{}", server().error_log());
        assert_eq!(
            r.text(),
            format!(
                "title=b'my file'\nup: file data.bin {size} {:08x} application/octet-stream",
                crc32(&content)
            ),
            "size {size}"
        );
    }
}

#[test]
fn chunked_multipart_upload() {
    let content = awkward_content(200_000);
    let body = multipart(&[("up", Some("c.bin"), &content)]);
    let mut chunked = Vec::new();
    for piece in body.chunks(7_777) {
        chunked.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        chunked.extend_from_slice(piece);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let headers = format!("{MULTIPART}Transfer-Encoding: chunked\r\n");
    let r = send(server(), "POST", "/fields", &headers, &chunked);
    assert_eq!(
        r.text(),
        format!(
            "up: file c.bin 200000 {:08x} application/octet-stream",
            crc32(&content)
        )
    );
}

#[test]
fn file_and_field_callbacks() {
    let body = multipart(&[("up", Some("a.txt"), b"file body"), ("plain", None, b"v")]);
    let r = send(server(), "POST", "/callbacks", MULTIPART, &body);
    assert_eq!(r.text(), "['a.txt'] b'file body' BytesIO");
}

#[test]
fn broken_multipart_bodies_get_400_and_a_log_line() {
    let mut big_header = b"--frontier\r\nX-Big: ".to_vec();
    big_header.extend(std::iter::repeat_n(b'h', 200 * 1024));
    big_header.extend_from_slice(b"\r\n\r\nx\r\n--frontier--\r\n");
    let cases: Vec<(&str, String, Vec<u8>)> = vec![
        (
            "missing final boundary",
            MULTIPART.into(),
            b"--frontier\r\n\r\nunfinished".to_vec(),
        ),
        ("200 KB part header", MULTIPART.into(), big_header),
        (
            "header line without colon",
            MULTIPART.into(),
            b"--frontier\r\nno colon here\r\n\r\nx\r\n--frontier--\r\n".to_vec(),
        ),
        (
            "no delimiter",
            MULTIPART.into(),
            b"just some bytes".to_vec(),
        ),
        (
            "no boundary parameter",
            "Content-Type: multipart/form-data\r\n".into(),
            b"--frontier--\r\n".to_vec(),
        ),
    ];
    for (what, headers, body) in cases {
        let r = send(server(), "POST", "/fields", &headers, &body);
        assert_eq!(r.status, 400, "{what}: {}", r.text());
    }
    let log = server().error_log();
    assert!(
        log.contains("FieldStorage: malformed multipart body"),
        "{log}"
    );
    assert!(log.contains("without a boundary"), "{log}");
    assert_still_serving(server());
}

#[test]
fn post_without_length_is_411_and_unknown_type_501() {
    let r = server()
        .request(b"POST /fields HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .expect("answer");
    assert_eq!(r.status, 411);
    let r = send(
        server(),
        "POST",
        "/fields",
        "Content-Type: text/csv\r\n",
        b"a,b",
    );
    assert_eq!(r.status, 501);
}

#[test]
fn redirect_sets_location_and_status() {
    let r = get("/redirect");
    assert_eq!(r.status, 302);
    assert_eq!(r.header("Location"), Some("/elsewhere"));
    assert!(r.text().contains("<a href=\"/elsewhere\">"));
    assert_eq!(get("/redirect?permanent").status, 301);
}

#[test]
fn publisher_resolves_pages_and_objects() {
    let cases = [
        ("/pub/page.py", "index page"),
        ("/pub/page", "index page"),
        ("/pub/page.py/", "index page"),
        ("/pub/page.py/hello", "hello world"),
        ("/pub/page.py/hello?name=you", "hello you"),
        ("/pub/page.py/numbers", "0123"),
        ("/pub/page.py/thing", "called thing"),
        ("/pub/page.py/thing/method", "thing method"),
        ("/pub/guarded.py/nothing_here", ""),
    ];
    for (path, expected) in &cases[..cases.len() - 1] {
        let r = get(path);
        assert_eq!((r.status, r.text()), (200, expected.to_string()), "{path}");
    }
    let r = get("/pub/page.py/raw");
    assert_eq!(r.body, b"\x00\xffraw bytes");
    assert_eq!(r.header("Content-Type"), Some("text/plain"));
    assert_eq!(
        get("/pub/page.py/html").header("Content-Type"),
        Some("text/html")
    );
    assert_eq!(get("/pub/page.py/missing").status, 404);
    assert_eq!(get("/pub/nowhere.py").status, 404);
}

#[test]
fn publisher_binds_form_fields_and_uploads() {
    let body = multipart(&[("f", Some("up.txt"), b"12345"), ("note", None, b"n")]);
    let r = send(server(), "POST", "/pub/page.py/upload", MULTIPART, &body);
    assert_eq!((r.status, r.text()), (200, "up.txt 5 b'n'".to_string()));
    let r = send(
        server(),
        "POST",
        "/pub/page.py/hello",
        "Content-Type: application/x-www-form-urlencoded\r\n",
        b"name=post",
    );
    assert_eq!(r.text(), "hello post");
}

#[test]
fn publisher_refuses_what_must_not_be_reached() {
    for path in [
        "/pub/page.py/_secret",
        "/pub/page.py/__class__",
        "/pub/page.py/__dict__",
        "/pub/page.py/os",
        "/pub/page.py/join",
        "/pub/page.py/imported_md5",
        "/pub/page.py/Thing",
        "/pub/page.py/hello/__code__",
        "/pub/page.py/hello/__globals__",
        "/pub/page.py/thing/method/__func__",
        "/pub/page.py/index/x",
    ] {
        let r = get(path);
        assert_eq!(r.status, 403, "{path}: {}", r.text());
    }
    for path in [
        "/pub/page.py/..%2f..%2fforms.py",
        "/pub/page.py/hello/%2e%2e/%2e%2e/forms",
        "/pub/page.py/hello..__globals__",
    ] {
        let r = get(path);
        assert!(
            matches!(r.status, 400 | 403 | 404),
            "{path}: {} {}",
            r.status,
            r.text()
        );
        assert!(!r.text().contains("FieldStorage"), "{path} leaked a file");
    }
    assert!(server().error_log().contains("imported into the page"));
    assert_still_serving(server());
}

#[test]
fn publisher_option_restores_imported_functions() {
    let r = get("/pub2/page.py/join?a=only");
    assert_eq!((r.status, r.text()), (200, "only".to_string()));
}

#[test]
fn publisher_access_control() {
    let basic = |creds: &str| {
        use std::fmt::Write;
        // base64 by hand: the test has no base64 crate.
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for chunk in creds.as_bytes().chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        let mut h = String::new();
        let _ = write!(h, "Authorization: Basic {out}\r\n");
        h
    };
    let r = get("/pub/page.py/protected");
    assert_eq!(r.status, 401);
    assert_eq!(
        r.header("WWW-Authenticate"),
        Some("Basic realm=\"Members\"")
    );
    let wrong = send(
        server(),
        "GET",
        "/pub/page.py/protected",
        &basic("spam:ham"),
        b"",
    );
    assert_eq!(wrong.status, 401);
    let right = send(
        server(),
        "GET",
        "/pub/page.py/protected",
        &basic("spam:eggs"),
        b"",
    );
    assert_eq!((right.status, right.text()), (200, "secret".to_string()));
    let denied = send(
        server(),
        "GET",
        "/pub/page.py/no_access",
        &basic("a:b"),
        b"",
    );
    assert_eq!(denied.status, 403);
    let digest = "Authorization: Digest username=\"x\", realm=\"r\", nonce=\"n\", uri=\"/\", response=\"0\"\r\n";
    assert_eq!(
        send(server(), "GET", "/pub/page.py/protected", digest, b"").status,
        401
    );
    let garbage = "Authorization: Basic !!!notbase64\r\n";
    assert_eq!(
        send(server(), "GET", "/pub/page.py/protected", garbage, b"").status,
        400
    );
    assert_eq!(get("/pub/guarded.py").status, 401);
    let ok = send(server(), "GET", "/pub/guarded.py", &basic("u:p"), b"");
    assert_eq!((ok.status, ok.text()), (200, "guarded index".to_string()));
}

#[test]
fn uploads_and_publisher_under_prefork_and_worker() {
    for mpm in [Mpm::Prefork, Mpm::Worker] {
        let apache = start(mpm);
        let content = awkward_content(300_000);
        let body = multipart(&[("up", Some("p.bin"), &content)]);
        let r = send(&apache, "POST", "/fields", MULTIPART, &body);
        assert_eq!(
            r.text(),
            format!(
                "up: file p.bin 300000 {:08x} application/octet-stream",
                crc32(&content)
            ),
            "{mpm:?}"
        );
        let r = send(
            &apache,
            "POST",
            "/fields",
            MULTIPART,
            b"--frontier\r\n\r\ncut",
        );
        assert_eq!(r.status, 400, "{mpm:?}");
        assert_eq!(
            send(&apache, "GET", "/pub/page.py/_secret", "", b"").status,
            403
        );
        assert_still_serving(&apache);
    }
}

#[test]
fn publisher_reloads_a_changed_page() {
    let page = server().root().join("htdocs/pub/reloaded.py");
    let write = |version: &str| {
        std::fs::write(&page, format!("def index(req):\n    return '{version}'\n"))
            .expect("write page");
    };
    write("first version");
    assert_eq!(get("/pub/reloaded.py").text(), "first version");
    // A later modification time, whatever the file system's timestamp resolution.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    write("second version");
    for _ in 0..4 {
        assert_eq!(get("/pub/reloaded.py").text(), "second version");
    }
}
