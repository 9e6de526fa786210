//! `test-httpd serve --port 8080 --site DIR [--mpm event] [--module PATH|reference|none]
//! [--var NAME=VALUE]... [--write-only]`:
//! serves a site directory (its files become the document root, its `site.conf` is appended
//! to the configuration) on a real Apache in the foreground until Ctrl-C, with our module,
//! another build of it, Debian's mod_python 3.5 (`reference`) or none. `--write-only` writes
//! the configuration and prints its path instead of starting Apache.

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use test_httpd::{Mpm, ServerSpec, APACHE};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Err(e) = run(&args[1..]) {
        eprintln!("test-httpd: {e}");
        std::process::exit(2);
    }
}

fn value(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

fn run(args: &[String]) -> Result<(), String> {
    if args.first().map(String::as_str) != Some("serve") {
        return Err("usage: test-httpd serve --site DIR [--port 8080] [--mpm event|worker|prefork] [--module PATH|reference|none] [--root DIR] [--var NAME=VALUE]... [--write-only]".into());
    }
    let site = PathBuf::from(value(args, "--site").ok_or("--site DIR is required")?);
    let port: u16 = value(args, "--port")
        .unwrap_or_else(|| "8080".into())
        .parse()
        .map_err(|_| "bad --port")?;
    let mpm = match value(args, "--mpm").as_deref().unwrap_or("event") {
        "event" => Mpm::Event,
        "worker" => Mpm::Worker,
        "prefork" => Mpm::Prefork,
        other => return Err(format!("unknown MPM {other}")),
    };
    let root = value(args, "--root")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join(format!("mod_python-demo-{port}")));
    let root = std::path::absolute(&root).map_err(|e| e.to_string())?;
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).map_err(|e| e.to_string())?;
    let mut spec = ServerSpec::site(mpm, &site).map_err(|e| format!("{}: {e}", site.display()))?;
    match value(args, "--module").as_deref() {
        Some("none") => spec.module = None,
        Some("reference") => spec = spec.with_reference_module(),
        Some(m) => spec.module = Some(std::path::absolute(m).map_err(|e| e.to_string())?),
        None => {}
    }
    spec.port = Some(port);
    for (i, a) in args.iter().enumerate() {
        if a == "--var" {
            let pair = args.get(i + 1).ok_or("--var NAME=VALUE")?;
            let (name, v) = pair.split_once('=').ok_or("--var NAME=VALUE")?;
            spec = spec.var(name, v);
        }
    }
    let conf = spec.write(&root, port).map_err(|e| e.to_string())?;
    test_httpd_readable(&root);
    if args.iter().any(|a| a == "--write-only") {
        // For callers that start Apache themselves (under valgrind, say).
        println!("{}", conf.display());
        return Ok(());
    }
    println!(
        "Serving {} on http://127.0.0.1:{port}/ (Ctrl-C stops; error log: {}/error.log)",
        site.display(),
        root.display()
    );
    let err = std::process::Command::new(APACHE)
        .arg("-d")
        .arg(&root)
        .arg("-f")
        .arg(&conf)
        .arg("-DFOREGROUND")
        .exec();
    Err(format!("cannot run {APACHE}: {err}"))
}

/// Apache's children run as www-data when started by root: they must read the site.
fn test_httpd_readable(root: &std::path::Path) {
    let _ = std::process::Command::new("chmod")
        .arg("-R")
        .arg("a+rX")
        .arg(root)
        .status();
}
