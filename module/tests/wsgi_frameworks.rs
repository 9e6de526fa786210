//! Real WSGI frameworks served unchanged through mod_python.wsgi: a Flask application and a
//! one-file Django project, installed from PyPI into target/pyapps on first use, answer
//! pages, form posts and file uploads under the event and prefork MPMs.

mod common;

use common::send;
use std::path::PathBuf;
use test_httpd::{Apache, Mpm, Response};

/// Flask and Django for the system Python, installed once (pip --target).
fn frameworks() -> PathBuf {
    common::pyapps()
}

fn config(pyapps: &std::path::Path) -> String {
    format!(
        "PythonPath \"['@DOCROOT@', '{}'] + sys.path\"\n\
         <Location /flask>\n  SetHandler mod_python\n  PythonHandler mod_python.wsgi\n  \
         PythonOption mod_python.wsgi.application flaskapp::app\n</Location>\n\
         <Location /django>\n  SetHandler mod_python\n  PythonHandler mod_python.wsgi\n  \
         PythonOption mod_python.wsgi.application djangoapp\n</Location>\n",
        pyapps.display()
    )
}

fn upload_body(content: &[u8]) -> Vec<u8> {
    let mut body =
        b"--XyZzy\r\nContent-Disposition: form-data; name=\"file\"; filename=\"data.bin\"\r\n\
                     Content-Type: application/octet-stream\r\n\r\n"
            .to_vec();
    body.extend_from_slice(content);
    body.extend_from_slice(b"\r\n--XyZzy--\r\n");
    body
}

fn check(apache: &Apache, app: &str) {
    let ok = |r: Response| {
        assert_eq!(r.status, 200, "{app}: {}\n{}", r.text(), apache.error_log());
        r.text()
    };
    let form = "Content-Type: application/x-www-form-urlencoded\r\n";
    let multipart = "Content-Type: multipart/form-data; boundary=XyZzy\r\n";
    let content: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 256) as u8).collect();
    let checksum = content.iter().map(|&b| u64::from(b)).sum::<u64>() % 65521;
    match app {
        "flask" => {
            assert_eq!(ok(send(apache, "GET", "/flask/", "", b"")), "flask index");
            assert_eq!(
                ok(send(apache, "GET", "/flask/hello/you", "", b"")),
                "hello you under /flask"
            );
        }
        _ => {
            assert_eq!(
                ok(send(apache, "GET", "/django/", "", b"")),
                "django index at /django/ (script /django)"
            );
        }
    }
    assert_eq!(
        ok(send(
            apache,
            "POST",
            &format!("/{app}/form"),
            form,
            b"name=caf%C3%A9&n=1&n=2"
        )),
        "name=café n=2"
    );
    assert_eq!(
        ok(send(
            apache,
            "POST",
            &format!("/{app}/upload"),
            multipart,
            &upload_body(&content)
        )),
        format!("data.bin 200000 {checksum}")
    );
}

#[test]
fn flask_and_django_serve_pages_forms_and_uploads() {
    let pyapps = frameworks();
    let files = [
        ("flaskapp.py", include_str!("htdocs/frameworks/flaskapp.py")),
        (
            "djangoapp.py",
            include_str!("htdocs/frameworks/djangoapp.py"),
        ),
    ];
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let apache = common::start(mpm, &config(&pyapps), &files);
        for _round in 0..2 {
            check(&apache, "flask");
            check(&apache, "django");
        }
        assert!(
            common::crash_lines(&apache.error_log()).is_empty(),
            "{}",
            apache.error_log()
        );
    }
}
