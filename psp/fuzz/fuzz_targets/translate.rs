//! Fuzzes the PSP translator: any page (with includes that are pages too) gives code or an
//! error naming a line of the page, never a panic; a page without `<%` translates to text
//! writes only, with as many lines as the page.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut load = |name: &str| -> Result<String, String> {
        // Includes name pages made from the name itself, so they can nest and loop.
        if name.len() % 3 == 0 {
            Err("not found".into())
        } else {
            Ok(format!("{name}<%@ include file=\"{name}x\" %>"))
        }
    };
    match psp::translate(&text, "page.psp", &mut load) {
        Ok(code) => {
            if !text.contains("<%") {
                assert_eq!(code.matches('\n').count(), text.matches('\n').count() + 1);
            }
        }
        Err(e) => {
            if e.file == "page.psp" {
                assert!(e.line >= 1 && e.line <= text.matches('\n').count() + 1, "{e}");
            }
        }
    }
});
