//! docs/api-reference.md lists what a live server has: `scripts/api_reference.py`, served as
//! a handler, writes the page, and it must be the committed one (`UPDATE_DOCS=1` rewrites
//! it after an API change).

mod common;

use test_httpd::Mpm;

const GENERATOR: &str = include_str!("../../scripts/api_reference.py");

#[test]
fn api_reference_page_is_current() {
    let config = "PythonPath \"['@DOCROOT@'] + sys.path\"\n\
                  <Location /api>\n  SetHandler mod_python\n  PythonHandler api_reference\n</Location>\n";
    let apache = common::start(Mpm::Event, config, &[("api_reference.py", GENERATOR)]);
    let r = common::get(&apache, "/api");
    assert_eq!(r.status, 200, "{}", apache.error_log());
    let page = r.text();
    assert!(page.starts_with("# Python API reference\n"), "{page}");
    for expected in [
        "| `read([len])` | method |",
        "## `mod_python.util`",
        "| `readline(",
        "## The filter object",
    ] {
        assert!(page.contains(expected), "no {expected}\n{page}");
    }
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/api-reference.md");
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &page).expect("write docs/api-reference.md");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == page,
        "docs/api-reference.md is not what the server has: run \
         UPDATE_DOCS=1 cargo test -p mod_python --test api_reference"
    );
}
