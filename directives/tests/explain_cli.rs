//! The `mod-python-config explain` command line: output for a small configuration, and a
//! clear error for a bad one.

use std::process::Command;

fn run(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mod-python-config"))
        .args(args)
        .output()
        .expect("run");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn explains_handlers_options_and_origins() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    std::fs::create_dir_all(root.join("www/app")).expect("mkdir");
    std::fs::write(root.join("extra.conf"), "PythonOption included yes\n").expect("write");
    let conf = root.join("httpd.conf");
    std::fs::write(
        &conf,
        format!(
            "ServerName main.test\nDocumentRoot {www}\nInclude extra.conf\n<Directory {www}/app>\n  PythonHandler app::handler\n  PythonOption k v\n</Directory>\n",
            www = root.join("www").display()
        ),
    )
    .expect("write");
    let conf_s = conf.to_string_lossy().into_owned();
    let (ok, text) = run(&[
        "explain",
        "--conf",
        &conf_s,
        "--host",
        "main.test",
        "--url",
        "/app/x.py",
    ]);
    assert!(ok, "{text}");
    assert!(
        text.contains("PythonHandler                 app::handler"),
        "{text}"
    );
    assert!(text.contains(&format!("({conf_s}:5)")), "{text}");
    assert!(text.contains("k = v"), "{text}");
    assert!(text.contains("included = yes"), "{text}");
    assert!(text.contains("extra.conf:1"), "{text}");
    assert!(text.contains("Interpreter  main.test"), "{text}");
}

#[test]
fn reports_errors_and_usage() {
    let (ok, text) = run(&["explain"]);
    assert!(!ok && text.contains("--conf is required"), "{text}");
    let (ok, text) = run(&[]);
    assert!(!ok && text.contains("usage"), "{text}");
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = dir.path().join("bad.conf");
    std::fs::write(&conf, "<Directory /x>\nPythonDebug maybe\n</Directory>\n").expect("write");
    let (ok, text) = run(&["explain", "--conf", &conf.to_string_lossy(), "--url", "/"]);
    assert!(ok, "{text}");
    assert!(text.contains("PythonDebug must be On or Off"), "{text}");
    std::fs::write(&conf, "<Directory /x>\n").expect("write");
    let (ok, text) = run(&["explain", "--conf", &conf.to_string_lossy()]);
    assert!(!ok && text.contains("was not closed"), "{text}");
}
