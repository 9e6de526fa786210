//! Records which Python the module is built against (the system one, `PYO3_PYTHON`), so that
//! the embedded interpreter finds that Python's standard library at run time whatever
//! `python3` comes first on Apache's `PATH`.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=PYO3_PYTHON");
    println!("cargo:rerun-if-changed=python");
    let python = std::env::var("PYO3_PYTHON").unwrap_or_else(|_| "/usr/bin/python3".into());
    let out = Command::new(&python)
        .args(["-c", "import sys; print(sys.base_prefix); print(sys.executable); print(sys.version.split()[0])"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {python} ({e}): install python3-dev"));
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    let home = lines.next().unwrap_or("/usr").to_string();
    let exe = lines.next().unwrap_or("/usr/bin/python3").to_string();
    let version = lines.next().unwrap_or("").to_string();
    println!("cargo:rustc-env=MP_PYTHON_HOME={home}");
    println!("cargo:rustc-env=MP_PYTHON_EXECUTABLE={exe}");
    println!("cargo:rustc-env=MP_PYTHON_VERSION={version}");
    embed_python_sources();
}

/// Writes `embedded_sources.rs`: one `(module name, source, is_package)` entry per `.py`
/// file under `python/`, so our `mod_python` package is compiled into the module.
pub fn embed_python_sources() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("python");
    let mut entries = Vec::new();
    collect(&root, &root, &mut entries);
    entries.sort();
    let mut out = String::from("&[\n");
    for (name, path, is_pkg) in entries {
        println!("cargo:rerun-if-changed={}", path.display());
        out.push_str(&format!(
            "    ({name:?}, include_str!({:?}), {is_pkg}),\n",
            path.display().to_string()
        ));
    }
    out.push(']');
    let dest = std::path::PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    std::fs::write(dest.join("embedded_sources.rs"), out).expect("write embedded_sources.rs");
}

fn collect(
    root: &std::path::Path,
    dir: &std::path::Path,
    out: &mut Vec<(String, std::path::PathBuf, bool)>,
) {
    let Ok(read) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in read.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(root, &path, out);
        } else if path.extension().is_some_and(|e| e == "py") {
            let rel = path
                .strip_prefix(root)
                .expect("under root")
                .with_extension("");
            let mut parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            let is_pkg = parts.last().is_some_and(|p| p == "__init__");
            if is_pkg {
                parts.pop();
            }
            out.push((parts.join("."), path, is_pkg));
        }
    }
}
