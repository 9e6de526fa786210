//! The runtime's promises, checked by the compiler: each program under `tests/ui` must fail
//! to build, with the error kept next to it.

#[test]
fn runtime_rejects_misuse() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
