//! What the running server reports: the start-up pass, `-D` defines, the MPM's state, loaded
//! modules, and the version string.

use super::*;

/// Asks Apache for the state of the server (`ap_state_query(AP_SQ_MAIN_STATE)`): true during
/// the first, configuration-checking pass at start-up, when modules should not start anything.
pub fn in_config_test_pass() -> bool {
    // SAFETY: ap_state_query only reads process-global state.
    unsafe {
        sys::ap_state_query(sys::AP_SQ_MAIN_STATE as c_int)
            == sys::AP_SQ_MS_CREATE_PRE_CONFIG as c_int
    }
}

/// True when Apache was started with `-D name` (`ap_exists_config_define`).
pub fn config_define_exists(name: &str) -> bool {
    let Ok(c) = std::ffi::CString::new(name) else {
        return false;
    };
    // SAFETY: ap_exists_config_define reads the process's define list.
    unsafe { sys::ap_exists_config_define(c.as_ptr()) != 0 }
}

/// When the server was last (re)started, in microseconds since the epoch, from the
/// scoreboard; `None` before the scoreboard exists.
pub fn restart_time() -> Option<i64> {
    // The parent writes restart_time before any child runs.
    // SAFETY: NULL or the scoreboard's global record, which lives as long as the process.
    unsafe {
        sys::ap_get_scoreboard_global()
            .as_ref()
            .map(|g| g.restart_time)
    }
}

/// `ap_mpm_query`: a number the MPM reports (`AP_MPMQ_*`).
pub fn mpm_query(code: i32) -> Option<i32> {
    let mut result: c_int = 0;
    // SAFETY: result receives the answer; an unknown code returns a non-success status.
    let status = unsafe { sys::ap_mpm_query(code, &mut result) };
    (status == sys::APR_SUCCESS as i32).then_some(result)
}

/// True once the MPM is stopping this process (`AP_MPMQ_MPM_STATE` is `AP_MPMQ_STOPPING`).
pub fn mpm_stopping() -> bool {
    mpm_query(sys::AP_MPMQ_MPM_STATE as i32) == Some(sys::AP_MPMQ_STOPPING as i32)
}

/// Adds `component` (e.g. `mod_python/3.5.0`) to the `Server:` header and the start-up line.
pub fn add_version_component(pconf: &Pool, component: &str) {
    if let Ok(c) = pconf.strdup(component.as_bytes()) {
        // SAFETY: the string lives in pconf, as ap_add_version_component requires.
        unsafe { sys::ap_add_version_component(pconf.as_raw(), c) };
    }
}

/// True when a module whose source file is `name` (e.g. `mod_wsgi.c`) is loaded.
pub fn module_loaded(name: &str) -> bool {
    let Ok(c) = std::ffi::CString::new(name) else {
        return false;
    };
    // SAFETY: ap_find_linked_module only reads the module list.
    unsafe { !sys::ap_find_linked_module(c.as_ptr()).is_null() }
}

/// The module magic number of the httpd headers this module was built with (major, minor):
/// the API version `LoadModule` checks.
pub fn module_magic_number() -> (u32, u32) {
    (
        sys::MODULE_MAGIC_NUMBER_MAJOR,
        sys::MODULE_MAGIC_NUMBER_MINOR,
    )
}

/// The configuration generation this process serves (`AP_MPMQ_GENERATION`), 0 if unknown.
pub fn mpm_generation() -> i32 {
    mpm_query(sys::AP_MPMQ_GENERATION as i32).unwrap_or(0)
}

/// `MaxConnectionsPerChild` as the MPM will apply it to children started from now on
/// (`ap_max_requests_per_child`; 0 is no limit).
pub fn max_connections_per_child() -> i32 {
    // SAFETY: a process-global int the MPM reads when a child starts.
    unsafe { sys::ap_max_requests_per_child }
}

/// Lowers `MaxConnectionsPerChild` to `n` for children started from now on, unless the
/// configuration already has a lower, non-zero one. Only for the parent, after the
/// configuration is read (post_config), before children start.
pub fn limit_connections_per_child(n: i32) {
    let current = max_connections_per_child();
    if n > 0 && (current == 0 || current > n) {
        // Nothing reads it concurrently at that point.
        // SAFETY: written once by the parent's post_config, before any child is forked.
        unsafe { sys::ap_max_requests_per_child = n };
    }
}

/// Asks the MPM to retire this child gracefully, the way Apache's parent does for a
/// graceful restart (`AP_SIG_GRACEFUL` to the process): prefork's child stops accepting,
/// finishes the connection it has, and exits; the parent starts another. Only prefork
/// children act on it; worker and event children ignore it (their graceful stop is not
/// open to modules). Returns whether the signal was sent.
pub fn retire_child_gracefully() -> bool {
    // Prefork's child handler for it only sets flags and closes its listeners.
    // SAFETY: sending a signal to our own process.
    unsafe { libc::kill(libc::getpid(), libc::SIGUSR1) == 0 }
}

/// The calling thread's identifier as Python knows it (`threading.get_ident()`).
pub fn current_thread_id() -> u64 {
    // SAFETY: pthread_self has no preconditions.
    unsafe { libc::pthread_self() as u64 }
}

/// Set by the SIGUSR2 handler [`install_dump_signal`] installs.
static DUMP_REQUESTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

extern "C" fn on_dump_signal(_: c_int) {
    // Async-signal-safe: one atomic store.
    DUMP_REQUESTED.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Makes SIGUSR2 to this process a request for a dump ([`dump_requested`]) instead of its
/// default, which ends the process. Apache does not use SIGUSR2.
pub fn install_dump_signal() {
    // SAFETY: a zeroed sigaction with our handler; the handler only stores an atomic.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_dump_signal as *const () as usize;
        action.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(libc::SIGUSR2, &action, std::ptr::null_mut());
    }
}

/// Lets SIGUSR2 reach the calling thread (worker and event children block every signal in
/// the threads they make; the thread that waits for dumps must accept it).
pub fn accept_dump_signal() {
    // SAFETY: changes only the calling thread's signal mask.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGUSR2);
        libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
    }
}

/// Whether SIGUSR2 arrived since the last call.
pub fn dump_requested() -> bool {
    DUMP_REQUESTED.swap(false, std::sync::atomic::Ordering::Relaxed)
}

/// The most children (`ServerLimit`) and threads per child (`ThreadLimit`) the MPM can
/// ever run at once (1 when it does not say).
pub fn mpm_hard_limits() -> (usize, usize) {
    let get =
        |code: u32| mpm_query(code as i32).map_or(1, |n| usize::try_from(n).unwrap_or(1).max(1));
    (
        get(sys::AP_MPMQ_HARD_LIMIT_DAEMONS),
        get(sys::AP_MPMQ_HARD_LIMIT_THREADS),
    )
}

/// The server's description (`Apache/2.4.62 (Debian) mod_python/3.5.0-rs ...`), as
/// `server-status` shows it.
pub fn server_description() -> String {
    // SAFETY: a NUL-terminated string httpd keeps for the configuration's lifetime.
    let p = unsafe { sys::ap_get_server_description() };
    if p.is_null() {
        return String::new();
    }
    // SAFETY: non-NULL and NUL-terminated (above).
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

/// True under a threaded MPM (worker, event).
pub fn mpm_is_threaded() -> bool {
    mpm_query(sys::AP_MPMQ_IS_THREADED as i32).unwrap_or(0) != 0
}
