//! Shared helpers for the integration tests: start a real Apache with the module and files.
#![allow(dead_code)]

use test_httpd::{Apache, Mpm, ServerSpec};

/// Builds the module (`cargo build -p mod_python`, same profile) once per test binary, so
/// the tests never run against a stale `libmod_python.so`.
pub fn build_module() {
    static BUILD: std::sync::Once = std::sync::Once::new();
    BUILD.call_once(|| {
        if std::env::var_os("MOD_PYTHON_SO").is_some() {
            return;
        }
        let mut cmd = std::process::Command::new(env!("CARGO"));
        cmd.args(["build", "--quiet", "-p", "mod_python"]);
        if !cfg!(debug_assertions) {
            cmd.arg("--release");
        }
        let status = cmd.status().expect("run cargo build");
        assert!(status.success(), "cargo build -p mod_python failed");
    });
}

/// Starts Apache with `config` appended and `files` in the document root; panics with the
/// error log if it does not come up.
pub fn start(mpm: Mpm, config: &str, files: &[(&str, &str)]) -> Apache {
    build_module();
    let mut spec = ServerSpec::new(mpm, config);
    for (path, contents) in files {
        spec = spec.file(path, contents);
    }
    Apache::start(&spec).unwrap_or_else(|e| panic!("Apache did not start: {e}"))
}

/// Like [`start`], loading further Apache modules by name (e.g. `authz_user`).
pub fn start_with_modules(
    mpm: Mpm,
    config: &str,
    files: &[(&str, &str)],
    modules: &[&str],
) -> Apache {
    build_module();
    let mut spec = ServerSpec::new(mpm, config);
    for (path, contents) in files {
        spec = spec.file(path, contents);
    }
    for m in modules {
        spec = spec.module(m);
    }
    Apache::start(&spec).unwrap_or_else(|e| panic!("Apache did not start: {e}"))
}

/// `<Directory docroot>` with `SetHandler mod_python` and the given directives.
pub fn docroot_handler(directives: &str) -> String {
    format!("<Directory \"@DOCROOT@\">\n  SetHandler mod_python\n{directives}\n</Directory>\n")
}

/// GET `path`, panicking with the error log on a connection failure.
pub fn get(apache: &Apache, path: &str) -> test_httpd::Response {
    apache
        .get(path)
        .unwrap_or_else(|e| panic!("GET {path}: {e}\n{}", apache.error_log()))
}

/// Lines of an error log that show a child died or Python aborted.
pub fn crash_lines(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|l| {
            l.contains("Segmentation fault")
                || l.contains("exit signal")
                || l.contains("Fatal Python error")
                || l.contains("double free")
                || l.contains("corrupted")
        })
        .collect()
}

/// Sends `method path` with extra `headers` (each ending in CRLF) and `body` on a connection
/// of its own (with `Host: 127.0.0.1:PORT` unless `headers` name a host); a POST gets its
/// Content-Length unless the headers make it chunked. Panics with the error log when there
/// is no answer.
pub fn send(
    apache: &Apache,
    method: &str,
    path: &str,
    headers: &str,
    body: &[u8],
) -> test_httpd::Response {
    let port = apache.port();
    let own_host = headers
        .split("\r\n")
        .any(|h| h.to_ascii_lowercase().starts_with("host:"));
    let host = if own_host {
        String::new()
    } else {
        format!("Host: 127.0.0.1:{port}\r\n")
    };
    let mut raw = format!("{method} {path} HTTP/1.1\r\n{host}Connection: close\r\n{headers}");
    if method == "POST" && !headers.to_ascii_lowercase().contains("transfer-encoding") {
        raw.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    raw.push_str("\r\n");
    let mut bytes = raw.into_bytes();
    bytes.extend_from_slice(body);
    apache
        .request(&bytes)
        .unwrap_or_else(|e| panic!("{method} {path}: {e}\n{}", apache.error_log()))
}

/// A directory `name` under the server root that every child may write (a session store).
pub fn writable_dir(apache: &Apache, name: &str) -> std::path::PathBuf {
    let dir = apache.root().join(name);
    std::fs::create_dir_all(&dir).expect("directory");
    let _ = std::process::Command::new("chmod")
        .arg("777")
        .arg(&dir)
        .status();
    dir
}

/// Flask and Django for the system Python, installed once into target/pyapps by
/// `scripts/pyapps.sh` (which `examples/run.sh flask` uses too); the directory.
pub fn pyapps() -> std::path::PathBuf {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/pyapps.sh");
    let out = std::process::Command::new(&script)
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", script.display()));
    assert!(
        out.status.success(),
        "scripts/pyapps.sh failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::path::PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

/// Starts the example site `examples/NAME` under `mpm`, with `vars` for its `@NAME@`s.
pub fn start_example(mpm: Mpm, name: &str, vars: &[(&str, &str)]) -> Apache {
    build_module();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples")
        .join(name);
    let mut spec = ServerSpec::site(mpm, &dir).unwrap_or_else(|e| panic!("{name}: {e}"));
    for (k, v) in vars {
        spec = spec.var(k, v);
    }
    Apache::start(&spec).unwrap_or_else(|e| panic!("example {name} did not start: {e}"))
}

/// Generations the server has started ("resuming normal operations" in its log).
pub fn generations(apache: &Apache) -> usize {
    apache
        .error_log()
        .matches("resuming normal operations")
        .count()
}

/// Signals the Apache parent (`SIGUSR1`: graceful restart, `SIGHUP`: restart) and waits,
/// up to 30 s, for the next generation to start.
pub fn restart(apache: &Apache, signal: i32) {
    let before = generations(apache);
    let pid = apache.pid().expect("parent pid") as i32;
    // SAFETY: signalling the Apache parent this test started.
    unsafe { libc::kill(pid, signal) };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while generations(apache) <= before {
        assert!(
            std::time::Instant::now() < deadline,
            "no new generation\n{}",
            apache.error_log()
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}
