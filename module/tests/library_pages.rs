//! The page-making parts of the library on a real Apache: PSP pages (code, expressions,
//! includes, comments, error pages, errors naming file and line, the source view), WSGI
//! applications through mod_python.wsgi, CGI scripts through mod_python.cgihandler, the
//! test page, and the `mod_python create` tool making a server that Apache runs.

mod common;

use std::sync::OnceLock;
use test_httpd::{Apache, Mpm, Response};

const FILES: &[(&str, &str)] = &[
    ("psp/page.psp", include_str!("htdocs/pages/page.psp")),
    ("psp/footer.psp", include_str!("htdocs/pages/footer.psp")),
    ("psp/broken.psp", include_str!("htdocs/pages/broken.psp")),
    (
        "psp/unclosed.psp",
        include_str!("htdocs/pages/unclosed.psp"),
    ),
    ("psp/raises.psp", include_str!("htdocs/pages/raises.psp")),
    ("psp/oops.psp", include_str!("htdocs/pages/oops.psp")),
    ("wsgiapp.py", include_str!("htdocs/pages/wsgiapp.py")),
    ("cgi/script.py", include_str!("htdocs/pages/script.py")),
];

const CONFIG: &str = "PythonPath \"['@DOCROOT@'] + sys.path\"\n\
    <Directory \"@DOCROOT@/psp\">\n  SetHandler mod_python\n  PythonHandler mod_python.psp\n  PythonDebug On\n</Directory>\n\
    <Location /app>\n  SetHandler mod_python\n  PythonHandler mod_python.wsgi\n  \
    PythonOption mod_python.wsgi.application wsgiapp\n</Location>\n\
    <Location /based>\n  SetHandler mod_python\n  PythonHandler mod_python.wsgi\n  \
    PythonOption mod_python.wsgi.application wsgiapp::application\n  \
    PythonOption mod_python.wsgi.base_uri /based/deeper\n</Location>\n\
    <Directory \"@DOCROOT@/cgi\">\n  SetHandler mod_python\n  PythonHandler mod_python.cgihandler\n</Directory>\n\
    <Location /testpage>\n  SetHandler mod_python\n  PythonHandler mod_python.testhandler\n</Location>\n";

fn server() -> &'static Apache {
    static SERVER: OnceLock<Apache> = OnceLock::new();
    SERVER.get_or_init(|| common::start(Mpm::Event, CONFIG, FILES))
}

fn send(method: &str, path: &str, headers: &str, body: &[u8]) -> Response {
    common::send(server(), method, path, headers, body)
}

fn get(path: &str) -> Response {
    send("GET", path, "", b"")
}

#[test]
fn psp_page_with_loop_include_and_form() {
    let r = get("/psp/page.psp?x=42");
    assert_eq!(r.status, 200, "{}", server().error_log());
    assert_eq!(r.header("Content-Type"), Some("text/html"));
    assert_eq!(
        r.text(),
        "<html>\n<li>a</li>\n<li>b</li>\n<footer>2</footer>\n\nform=42\n</html>\n"
    );
}

#[test]
fn psp_errors_name_the_page_and_line() {
    let r = get("/psp/broken.psp");
    assert_eq!(r.status, 500);
    assert!(r.text().contains("broken.psp"), "{}", r.text());
    assert!(r.text().contains("line 3"), "{}", r.text());
    let r = get("/psp/unclosed.psp");
    assert_eq!(r.status, 500);
    assert!(
        r.text().contains("unclosed.psp&quot;, line 2"),
        "{}",
        r.text()
    );
    assert!(
        r.text().contains("ends inside a code block"),
        "{}",
        r.text()
    );
    assert!(common::crash_lines(&server().error_log()).is_empty());
}

#[test]
fn psp_error_page_gets_the_exception() {
    let r = get("/psp/raises.psp");
    assert_eq!(
        (r.status, r.text()),
        (200, "error page: boom\n".to_string())
    );
}

#[test]
fn psp_source_view_under_debug() {
    let r = get("/psp/page.psp_");
    assert_eq!(r.status, 200);
    assert!(
        r.text().contains("req.write(str(&nbsp;item&nbsp;),0)"),
        "{}",
        r.text()
    );
    assert!(r.text().contains("&lt;html&gt;"), "{}", r.text());
}

#[test]
fn wsgi_environment_status_headers_and_close() {
    let r = get("/app/some/path?q=1");
    assert_eq!(r.status, 201, "{}", server().error_log());
    assert_eq!(r.header("X-App"), Some("yes"));
    assert_eq!(r.header("Content-Type"), Some("text/plain; charset=utf-8"));
    let text = r.text();
    for line in [
        "REQUEST_METHOD='GET'",
        "SCRIPT_NAME='/app'",
        "PATH_INFO='/some/path'",
        "QUERY_STRING='q=1'",
        "wsgi.url_scheme='http'",
        "wsgi.version=(1, 0)",
        "wsgi.multithread=True",
        "wsgi.run_once=False",
    ] {
        assert!(text.contains(line), "{line} not in {text}");
    }
    assert!(text.ends_with("\nend"));
    let closed: u32 = get("/app/closed").text().parse().expect("a count");
    assert!(closed >= 1);
    let r = get("/based/deeper/x");
    assert!(
        r.text().contains("SCRIPT_NAME='/based/deeper'"),
        "{}",
        r.text()
    );
    assert!(r.text().contains("PATH_INFO='/x'"), "{}", r.text());
    assert_eq!(
        get("/based/other").status,
        404,
        "outside base_uri: declined"
    );
}

#[test]
fn wsgi_input_streams_the_body() {
    let body: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let r = send("POST", "/app/echo", "", &body);
    assert_eq!(r.body, body);
    let r = send("POST", "/app/lines", "", b"one\ntwo\nthree");
    assert_eq!(r.text(), "3 lines, last b'three'");
}

#[test]
fn wsgi_exc_info_replaces_the_status_before_the_body() {
    let r = get("/app/error");
    assert_eq!((r.status, r.text()), (500, "replaced".to_string()));
}

#[test]
fn cgi_script_runs_as_main_with_the_request() {
    let r = send("POST", "/cgi/script.py?a=b", "", b"posted");
    assert_eq!(r.status, 200, "{}", server().error_log());
    assert_eq!(r.header("X-Script"), Some("yes"));
    assert_eq!(r.text(), "method=POST query=a=b\nbody=b'posted'\n");
    assert_eq!(get("/cgi/missing.py").status, 404);
}

#[test]
fn test_page_describes_the_server() {
    let r = get("/testpage");
    assert_eq!(r.status, 200, "{}", server().error_log());
    let text = r.text();
    assert!(text.contains("mod_python test page"));
    assert!(text.contains("Python interpreter name"));
    assert!(
        text.contains("mod_python.publisher available</code></td><td><code>Yes"),
        "{text}"
    );
}

#[test]
fn create_tool_makes_a_server_apache_runs() {
    common::build_module();
    let dir = tempfile::tempdir().expect("temporary directory");
    let site = dir.path().join("site");
    let port = test_httpd::free_port().expect("a free port");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let made = std::process::Command::new(root.join("scripts/mod_python"))
        .args([
            "create",
            &site.display().to_string(),
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .env("MOD_PYTHON_SO", test_httpd::module_path())
        .output()
        .expect("scripts/mod_python runs");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let conf = site.join("conf/httpd.conf");
    let mut apache = std::process::Command::new("/usr/sbin/apache2")
        .args(["-f", &conf.display().to_string(), "-D", "FOREGROUND"])
        .env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/bin")
        .spawn()
        .expect("apache2 starts");
    let mut answer = None;
    for _ in 0..100 {
        if let Ok(r) = test_httpd::http_get(port, "/index.py/hello?name=tool") {
            answer = Some(r);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let home = test_httpd::http_get(port, "/");
    // Stop our own child, by its PID.
    let _ = std::process::Command::new("kill")
        .arg(apache.id().to_string())
        .status();
    let _ = apache.wait();
    let log = std::fs::read_to_string(site.join("logs/error_log")).unwrap_or_default();
    let answer = answer.unwrap_or_else(|| panic!("no answer from the created server\n{log}"));
    assert_eq!(
        (answer.status, answer.text()),
        (200, "Hello, tool!\n".to_string()),
        "{log}"
    );
    assert_eq!(
        home.map(|r| r.text()).unwrap_or_default(),
        "Hello from mod_python!\n"
    );
}
