//! Child recycling: `PythonMaxRequestsPerChild N` and `PythonMemoryLimit MiB` retire a child
//! gracefully once it has served N requests or its resident memory (checked at most once a
//! second, between requests) passes the limit, so a leaking application cannot grow a
//! child without bound.
//!
//! Under prefork the child is asked to stop the way Apache's own graceful restart asks it
//! (it finishes its connection, exits, and the parent starts another). Worker and event
//! children have no such door for modules: there the request limit is handed to the MPM as
//! `MaxConnectionsPerChild` (lowered to N when it is higher or unset), whose own graceful
//! recycling counts connections; once a child has served N requests, its connections are
//! closed after each response, so it reaches that count soon after. A threaded child over
//! the memory limit is reported once (MPY0041) and keeps serving.

use bindings::{slog, LogLevel, Request, Server};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// This child's limits (0: none), from the main server's configuration.
#[derive(Debug, Clone, Copy)]
struct Limits {
    max_requests: u64,
    memory_bytes: u64,
    /// prefork: this child can be retired on its own.
    can_retire: bool,
}

static LIMITS: OnceLock<Limits> = OnceLock::new();
static SERVED: AtomicU64 = AtomicU64::new(0);
static RETIRING: AtomicBool = AtomicBool::new(false);
static MEMORY_REPORTED: AtomicBool = AtomicBool::new(false);
static LAST_MEMORY_CHECK: OnceLock<std::sync::Mutex<Instant>> = OnceLock::new();

fn limits_of(s: &Server) -> (u64, u64) {
    bindings::module::server_config::<crate::PythonModule>(s).map_or((0, 0), |c| {
        (
            c.max_requests_per_child.as_ref().map_or(0, |v| v.value),
            c.memory_limit_mib.as_ref().map_or(0, |v| v.value),
        )
    })
}

/// post_config, in the parent: under a threaded MPM, hands the request limit to the MPM.
pub fn configure(s: &Server) {
    let (max_requests, _) = limits_of(s);
    if max_requests > 0 && bindings::module::mpm_is_threaded() {
        let n = i32::try_from(max_requests).unwrap_or(i32::MAX);
        bindings::module::limit_connections_per_child(n);
        slog!(
            Some(s),
            LogLevel::Info,
            "mod_python: PythonMaxRequestsPerChild {max_requests}: children retire after \
             MaxConnectionsPerChild {} connections under this MPM",
            bindings::module::max_connections_per_child()
        );
    }
}

/// child_init: this child's limits.
pub fn child_init(s: &Server) {
    let (max_requests, memory_mib) = limits_of(s);
    let _ = LIMITS.set(Limits {
        max_requests,
        memory_bytes: memory_mib.saturating_mul(1024 * 1024),
        can_retire: !bindings::module::mpm_is_threaded(),
    });
}

/// After each request (log_transaction): counts it, and retires the child past a limit.
pub fn after_request(r: &Request) {
    let Some(limits) = LIMITS.get().copied() else {
        return;
    };
    if limits.max_requests == 0 && limits.memory_bytes == 0 {
        return;
    }
    if r.main().is_none() {
        let served = SERVED.fetch_add(1, Ordering::Relaxed) + 1;
        if limits.max_requests > 0 && served >= limits.max_requests {
            retire(
                r,
                &limits,
                &format!("served {served} requests (PythonMaxRequestsPerChild)"),
            );
            return;
        }
    }
    if limits.memory_bytes > 0 && memory_check_due() {
        if let Some(rss) = resident_bytes() {
            if rss > limits.memory_bytes {
                let why = format!(
                    "resident memory {} MiB is over PythonMemoryLimit {} MiB",
                    rss / (1024 * 1024),
                    limits.memory_bytes / (1024 * 1024)
                );
                if limits.can_retire {
                    retire(r, &limits, &why);
                } else if !MEMORY_REPORTED.swap(true, Ordering::Relaxed) {
                    slog!(
                        Some(r.server()),
                        LogLevel::Warning,
                        "MPY0041: child {}: {why}; worker and event children cannot be retired \
                         one by one: set MaxConnectionsPerChild to recycle them",
                        std::process::id()
                    );
                }
            }
        }
    }
}

fn retire(r: &Request, limits: &Limits, why: &str) {
    // This response is the connection's last, so the child's loop comes round soon.
    r.connection().close_after_response();
    if RETIRING.swap(true, Ordering::Relaxed) {
        return;
    }
    let how = if limits.can_retire && bindings::module::retire_child_gracefully() {
        "retiring gracefully"
    } else {
        "closing its connections after each response until the MPM retires it"
    };
    slog!(
        Some(r.server()),
        LogLevel::Notice,
        "MPY0040: child {} {why}: {how}",
        std::process::id()
    );
}

/// True at most once a second.
fn memory_check_due() -> bool {
    let last = LAST_MEMORY_CHECK.get_or_init(|| std::sync::Mutex::new(Instant::now()));
    let Ok(mut at) = last.try_lock() else {
        return false;
    };
    if at.elapsed() < Duration::from_secs(1) {
        return false;
    }
    *at = Instant::now();
    true
}

/// This process's resident memory, from /proc/self/statm.
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}
