//! Fuzzes the directive parser: any directive name (from the list or not) with any bytes as
//! arguments must give a value or an error, never a panic; a value must print and parse back.
#![no_main]

use directives::{parse_directive, DIRECTIVES};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let args = String::from_utf8_lossy(rest);
    let name = DIRECTIVES.get(selector as usize).map_or("PythonUnknown", |d| d.name);
    if let Ok(d) = parse_directive(name, &args) {
        let again = parse_directive(d.name(), &d.args()).expect("printed directive parses");
        assert_eq!(again, d);
    }
    let _ = directives::words::split_words(&args);
});
