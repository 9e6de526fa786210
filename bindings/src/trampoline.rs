//! The one place where Rust code called from C catches panics.
//!
//! Every `extern "C"` entry point runs its body through [`catch_unwind_or_report`]: a panic
//! becomes the given fallback value plus one line on stderr (which Apache sends to the main
//! error log). A panic while reporting a panic aborts the process instead of unwinding into C.

use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Runs `f`; on panic, reports `what` and the panic message and returns `fallback`.
pub(crate) fn catch_unwind_or_report<R>(what: &str, fallback: R, f: impl FnOnce() -> R) -> R {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => {
            let reported = catch_unwind(AssertUnwindSafe(|| {
                let msg = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown panic".to_string());
                // A closed or broken stderr must not panic here (eprintln! would).
                let _ = writeln!(
                    std::io::stderr(),
                    "[mod_python] MPY0001: Rust panic in {what}: {msg}"
                );
            }));
            if reported.is_err() {
                std::process::abort();
            }
            fallback
        }
    }
}
