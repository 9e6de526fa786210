//! Fuzzes the query-string parser: any bytes give fields, never a panic; fields escaped
//! again and joined parse back to the same fields.
#![no_main]

use forms::querystring::parse;
use libfuzzer_sys::fuzz_target;

fn escape(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("%{b:02X}")).collect()
}

fuzz_target!(|data: &[u8]| {
    let Ok(fields) = parse(data, true, false) else { return };
    let again: Vec<String> = fields
        .iter()
        .map(|f| format!("{}={}", escape(&f.name), escape(&f.value)))
        .collect();
    let reparsed = parse(again.join("&").as_bytes(), true, true).expect("every field has =");
    assert_eq!(reparsed.len(), fields.len());
    for (a, b) in reparsed.iter().zip(&fields) {
        assert_eq!((&a.name, &a.value), (&b.name, &b.value));
    }
});
