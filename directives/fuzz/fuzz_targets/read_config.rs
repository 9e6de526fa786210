//! Fuzzes the httpd.conf reader and the explainer over arbitrary configuration text.
#![no_main]

use directives::httpdconf::{build_site, explain, read_text, ReadOptions, RequestFacts};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let options = ReadOptions { server_root: Some("/nonexistent".into()), ..ReadOptions::default() };
    if let Ok(nodes) = read_text(&text, "fuzz.conf", &options) {
        let site = build_site(&nodes);
        let facts = RequestFacts { host: "a.test".into(), url: "/a/b.py".into(), file: None };
        let _ = explain(&site, &facts);
    }
});
