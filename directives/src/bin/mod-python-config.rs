//! `mod-python-config explain --conf httpd.conf --host example.com --url /app/x.py [--file F]
//! [--define NAME] [--server-root DIR]`: prints the mod_python configuration that applies to
//! a request — handlers per phase, filters, interpreter, settings and options — and the file
//! and line each came from.
//!
//! `mod-python-config reference DIR EXAMPLES`: writes the directive reference, one markdown
//! page per directive, into DIR (EXAMPLES: the path of `examples/directives` seen from DIR),
//! and prints the book's table-of-contents lines for them.

use directives::httpdconf::{build_site, explain, read_config, render, ReadOptions, RequestFacts};
use std::path::PathBuf;

const USAGE: &str = "usage: mod-python-config explain --conf FILE --host HOST --url PATH [--file PATH] [--define NAME[=VALUE]]... [--server-root DIR]\n       mod-python-config reference DIR EXAMPLES";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(text) => print!("{text}"),
        Err(e) => {
            eprintln!("mod-python-config: {e}");
            std::process::exit(2);
        }
    }
}

/// Writes the directive pages into `dir`; the table-of-contents lines.
fn reference(dir: &str, examples: &str) -> Result<String, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{dir}: {e}"))?;
    for (name, text) in directives::reference::pages(examples) {
        let path = std::path::Path::new(dir).join(&name);
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let base = std::path::Path::new(dir)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(directives::reference::summary(&base))
}

fn run(args: &[String]) -> Result<String, String> {
    if args.first().map(String::as_str) == Some("reference") {
        return match (args.get(1), args.get(2)) {
            (Some(dir), Some(examples)) => reference(dir, examples),
            _ => Err(USAGE.to_string()),
        };
    }
    if args.first().map(String::as_str) != Some("explain") {
        return Err(USAGE.to_string());
    }
    let mut conf = None;
    let mut host = None;
    let mut url = None;
    let mut file = None;
    let mut options = ReadOptions::default();
    let mut it = args[1..].iter();
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))
        };
        match flag.as_str() {
            "--conf" => conf = Some(PathBuf::from(value()?)),
            "--host" => host = Some(value()?),
            "--url" => url = Some(value()?),
            "--file" => file = Some(PathBuf::from(value()?)),
            "--server-root" => options.server_root = Some(PathBuf::from(value()?)),
            "--define" => {
                let v = value()?;
                let (k, val) = v.split_once('=').unwrap_or((&v, ""));
                options.defines.insert(k.to_string(), val.to_string());
            }
            other => return Err(format!("unknown option {other}\n{USAGE}")),
        }
    }
    let conf = conf.ok_or_else(|| format!("--conf is required\n{USAGE}"))?;
    let url = url.unwrap_or_else(|| "/".to_string());
    if !url.starts_with('/') {
        return Err("--url must start with /".to_string());
    }
    let nodes = read_config(&conf, &options).map_err(|e| e.to_string())?;
    let site = build_site(&nodes);
    let facts = RequestFacts {
        host: host.unwrap_or_else(|| site.main.name.clone().unwrap_or_else(|| "localhost".into())),
        url,
        file,
    };
    Ok(render(&facts, &explain(&site, &facts)))
}
