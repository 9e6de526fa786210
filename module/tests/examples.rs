//! Every site in `examples/` (what `examples/run.sh NAME` serves, and what the book's code
//! samples are taken from) started as it is and asked for its pages.

mod common;

use common::{get, send, start_example};
use std::io::{BufRead, BufReader, Write};
use test_httpd::Mpm;

fn multipart(name: &str, filename: &str, content: &[u8]) -> Vec<u8> {
    let mut body = format!(
        "--XyZzy\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(content);
    body.extend_from_slice(b"\r\n--XyZzy--\r\n");
    body
}

const MULTIPART: &str = "Content-Type: multipart/form-data; boundary=XyZzy\r\n";

/// The session cookie a response set (`name=value`).
fn cookie(r: &test_httpd::Response) -> String {
    let set = r.header("Set-Cookie").unwrap_or_default();
    set.split(';').next().unwrap_or_default().to_string()
}

#[test]
fn hello() {
    let apache = start_example(Mpm::Event, "hello", &[]);
    let r = get(&apache, "/hello.py");
    assert_eq!(r.status, 200, "{}", apache.error_log());
    assert_eq!(
        r.text(),
        "Hello from Python inside Apache!\nYou asked for /hello.py with GET.\n"
    );
}

#[test]
fn publisher() {
    for mpm in [Mpm::Event, Mpm::Prefork] {
        let apache = start_example(mpm, "publisher", &[]);
        let home = get(&apache, "/index.py");
        assert_eq!(home.status, 200, "{}", apache.error_log());
        assert!(home.text().contains("<h1>Publisher example</h1>"));
        assert_eq!(home.header("Content-Type"), Some("text/html"));
        let hi = get(&apache, "/index.py/greet?name=%3CAda%3E");
        assert!(
            hi.text().contains("Hello, <b>&lt;Ada&gt;</b>!"),
            "{}",
            hi.text()
        );
        let content = vec![7u8; 300_000];
        let body = multipart("file", "seven.bin", &content);
        let up = send(&apache, "POST", "/index.py/upload", MULTIPART, &body);
        assert_eq!(up.status, 200, "{}", up.text());
        let expected = format!("seven.bin: 300000 bytes, sha256 {}", sha256(&content));
        assert_eq!(up.text(), expected);
        assert_eq!(
            send(&apache, "POST", "/index.py/upload", "", b"").text(),
            "no file was sent"
        );
        let first = get(&apache, "/index.py/visits");
        assert_eq!(first.text(), "visit number 1", "{}", apache.error_log());
        let again = send(
            &apache,
            "GET",
            "/index.py/visits",
            &format!("Cookie: {}\r\n", cookie(&first)),
            b"",
        );
        assert_eq!(again.text(), "visit number 2");
        assert_eq!(get(&apache, "/index.py/_helper").status, 403);
    }
}

/// What the system Python's `code` writes to stdout with `input` on its stdin.
fn python(code: &str, input: &[u8]) -> Vec<u8> {
    std::process::Command::new("/usr/bin/python3")
        .args(["-c", code])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            child.stdin.take().expect("stdin").write_all(input)?;
            child.wait_with_output()
        })
        .expect("python3 runs")
        .stdout
}

fn sha256(data: &[u8]) -> String {
    let code = "import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())";
    String::from_utf8_lossy(&python(code, data))
        .trim()
        .to_string()
}

#[test]
fn psp() {
    let apache = start_example(Mpm::Event, "psp", &[]);
    let first = get(&apache, "/index.psp?name=%3Cb%3EAda");
    assert_eq!(
        first.status,
        200,
        "{}\n{}",
        first.text(),
        apache.error_log()
    );
    let text = first.text();
    assert!(text.contains("<h1>Hello, &lt;b&gt;Ada!</h1>"), "{text}");
    assert!(text.contains("seen this page 1 times"), "{text}");
    assert!(
        text.contains("<li>item 1</li>\n<li>item 2</li>\n<li>item 3</li>\n</ul>"),
        "{text}"
    );
    assert!(
        text.contains("<footer>served by mod_python.psp</footer>"),
        "{text}"
    );
    let again = send(
        &apache,
        "GET",
        "/index.psp",
        &format!("Cookie: {}\r\n", cookie(&first)),
        b"",
    );
    assert!(
        again.text().contains("Hello, stranger!"),
        "{}",
        again.text()
    );
    assert!(
        again.text().contains("seen this page 2 times"),
        "{}",
        again.text()
    );
}

#[test]
fn flask() {
    let pyapps = common::pyapps();
    let apache = start_example(
        Mpm::Event,
        "flask",
        &[("PYAPPS", &pyapps.display().to_string())],
    );
    let home = get(&apache, "/");
    assert_eq!(home.status, 200, "{}", apache.error_log());
    assert!(home.text().contains("<h1>Flask inside Apache</h1>"));
    let form = "Content-Type: application/x-www-form-urlencoded\r\n";
    let add = send(&apache, "POST", "/add", form, b"a=2&b=40");
    assert_eq!(add.text().replace([' ', '\n'], ""), "{\"sum\":42}");
    let up = send(
        &apache,
        "POST",
        "/upload",
        MULTIPART,
        &multipart("file", "x.bin", b"abc"),
    );
    assert!(up.text().contains("\"size\":3"), "{}", up.text());
    assert!(up.text().contains(&sha256(b"abc")), "{}", up.text());
}

#[test]
fn filters() {
    let apache = start_example(Mpm::Event, "filters", &[]);
    let r = get(&apache, "/hello.shout");
    assert_eq!(
        r.text(),
        "THIS FILE LEAVES APACHE IN CAPITALS.\n",
        "{}",
        apache.error_log()
    );
    let gz = get(&apache, "/hello.txt");
    assert_eq!(gz.header("Content-Encoding"), Some("gzip"));
    let plain = python(
        "import gzip,sys; sys.stdout.buffer.write(gzip.decompress(sys.stdin.buffer.read()))",
        &gz.body,
    );
    assert_eq!(
        String::from_utf8_lossy(&plain),
        "This file leaves Apache gzipped by a filter written in Python.\n"
    );
}

#[test]
fn protocols() {
    let kv = test_httpd::free_port().expect("port");
    let apache = start_example(Mpm::Event, "protocols", &[("KV_PORT", &kv.to_string())]);
    let mut s = std::net::TcpStream::connect(("127.0.0.1", kv)).expect("connect");
    s.set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .expect("timeout");
    let mut r = BufReader::new(s.try_clone().expect("clone"));
    s.write_all(b"SET greeting hello\r\nGET greeting\r\n")
        .expect("send");
    let mut lines = String::new();
    for _ in 0..3 {
        r.read_line(&mut lines).expect("a line");
    }
    assert_eq!(lines, "+OK\r\n$5\r\nhello\r\n", "{}", apache.error_log());
}

#[test]
fn vhosts_and_the_explainer_agree() {
    let apache = start_example(Mpm::Event, "vhosts", &[]);
    let ask =
        |host: &str| send(&apache, "GET", "/whoami", &format!("Host: {host}\r\n"), b"").text();
    let shop = ask("shop.localhost");
    assert!(shop.contains("interpreter: shop.localhost\n"), "{shop}");
    assert!(shop.contains("option site.owner = the shop\n"), "{shop}");
    assert!(shop.contains("debug: 0\n"), "{shop}");
    let blog = ask("blog.localhost");
    assert!(blog.contains("interpreter: blog\n"), "{blog}");
    assert!(blog.contains("option site.owner = the blog\n"), "{blog}");
    assert!(blog.contains("option blog.theme = dark\n"), "{blog}");
    assert!(blog.contains("debug: 1\n"), "{blog}");
    // The explainer reads the same httpd.conf and says where each value came from.
    let conf = apache.root().join("httpd.conf");
    let out = std::process::Command::new(env!("CARGO"))
        .args([
            "run",
            "-q",
            "-p",
            "directives",
            "--bin",
            "mod-python-config",
            "--",
            "explain",
            "--conf",
        ])
        .arg(&conf)
        .args(["--host", "blog.localhost", "--url", "/whoami"])
        .output()
        .expect("mod-python-config runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("blog"), "{text}");
    assert!(text.contains("site.owner"), "{text}");
    assert!(text.contains("the blog"), "{text}");
    assert!(text.contains("httpd.conf:"), "{text}");
}

/// `examples/directives/NAME.conf`: the example of each directive's reference page.
fn directive_examples() -> Vec<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/directives");
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .expect("examples/directives")
        .map(|e| {
            let path = e.expect("entry").path();
            let name = path
                .file_stem()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            (name, std::fs::read_to_string(&path).expect("read"))
        })
        .collect();
    out.sort();
    out
}

#[test]
fn every_directive_example_is_accepted_by_apache() {
    common::build_module();
    let examples = directive_examples();
    let names: Vec<&str> = examples.iter().map(|(n, _)| n.as_str()).collect();
    for d in directives::DIRECTIVES {
        assert!(
            names.contains(&d.name),
            "no examples/directives/{}.conf",
            d.name
        );
    }
    assert_eq!(names.len(), directives::DIRECTIVES.len(), "{names:?}");
    let kv = test_httpd::free_port().expect("port").to_string();
    for (name, conf) in &examples {
        assert!(
            conf.contains(name.as_str()),
            "{name}.conf does not use {name}"
        );
        let spec = test_httpd::ServerSpec::new(Mpm::Event, conf)
            .var("KV_PORT", &kv)
            .module("authn_core")
            .module("auth_basic")
            .module("authz_user");
        let (ok, output) = test_httpd::config_test(&spec).expect("apache2 -t");
        assert!(ok, "{name}.conf refused:\n{output}");
    }
    // The check can fail: a misspelt value is refused.
    let spec = test_httpd::ServerSpec::new(Mpm::Event, "PythonDebug Maybe\n");
    let (ok, _) = test_httpd::config_test(&spec).expect("apache2 -t");
    assert!(!ok);
}

#[test]
fn snippets() {
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let examples = examples.canonicalize().expect("examples/");
    let apache = start_example(
        Mpm::Event,
        "snippets",
        &[("EXAMPLES", &examples.display().to_string())],
    );
    let log = || apache.error_log();
    // util.FieldStorage with an upload.
    let mut body =
        b"--XyZzy\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nAda\r\n".to_vec();
    body.extend_from_slice(&multipart("picture", "p.png", &[1u8; 1000]));
    let r = send(&apache, "POST", "/form", MULTIPART, &body);
    assert_eq!(r.text(), "Ada sent 1000 bytes\n", "{}", log());
    // Publisher with __auth__.
    assert_eq!(get(&apache, "/members/members.py/members").status, 401);
    let alice = "Authorization: Basic YWxpY2U6c2VjcmV0\r\n";
    let r = send(&apache, "GET", "/members/members.py/members", alice, b"");
    assert_eq!((r.status, r.text().as_str()), (200, "welcome"), "{}", log());
    // A cookie counter, a session counter.
    let first = get(&apache, "/visits");
    assert_eq!(first.text(), "visit 1\n");
    let again = send(
        &apache,
        "GET",
        "/visits",
        &format!("Cookie: {}\r\n", cookie(&first)),
        b"",
    );
    assert_eq!(again.text(), "visit 2\n");
    let first = get(&apache, "/hits");
    assert_eq!(first.text(), "hits: 1", "{}", log());
    let again = send(
        &apache,
        "GET",
        "/hits",
        &format!("Cookie: {}\r\n", cookie(&first)),
        b"",
    );
    assert_eq!(again.text(), "hits: 2");
    // Filters chosen by type, through mod_filter, and added from Python.
    assert_eq!(
        get(&apache, "/typed/data.csv").text(),
        "NAME,CITY\nADA,LONDON\n"
    );
    assert_eq!(
        get(&apache, "/typed/page.shout").text(),
        "THIS PAGE IS SHOUTED BY MOD_FILTER\n"
    );
    assert_eq!(get(&apache, "/loud").text(), "SAID QUIETLY\n", "{}", log());
    // A gzipped request body, unpacked by the input filter.
    let gz = python(
        "import gzip,sys; sys.stdout.buffer.write(gzip.compress(b'hello body'))",
        b"",
    );
    let r = send(&apache, "POST", "/upload", "", &gz);
    assert_eq!(r.text(), "10 bytes: hello body", "{}", log());
}

#[test]
fn status() {
    let apache = start_example(Mpm::Event, "status", &[]);
    for _ in 0..5 {
        assert_eq!(
            get(&apache, "/app").text(),
            "counted\n",
            "{}",
            apache.error_log()
        );
    }
    let page = get(&apache, "/python-status");
    assert_eq!(page.status, 200);
    assert!(page.text().contains("<h1>mod_python status</h1>"));
    let text = get(&apache, "/python-status?format=prometheus").text();
    assert!(
        text.contains("mod_python_requests_total{interpreter=\"127.0.0.1\"} 5\n"),
        "{text}"
    );
}

#[test]
fn every_example_folder_is_tested_here() {
    let tested = [
        "directives",
        "filters",
        "flask",
        "hello",
        "protocols",
        "psp",
        "publisher",
        "snippets",
        "status",
        "vhosts",
    ];
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let mut found: Vec<String> = std::fs::read_dir(dir)
        .expect("examples/")
        .filter_map(|e| {
            let e = e.ok()?;
            e.path()
                .is_dir()
                .then(|| e.file_name().to_string_lossy().into_owned())
        })
        .collect();
    found.sort();
    assert_eq!(found, tested, "a folder of examples/ without a test here");
}
