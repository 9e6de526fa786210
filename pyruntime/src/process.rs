//! What the runtime keeps per process, outside Python: the main server record and the global
//! mutexes behind `apache._global_lock` (shared by all processes, as mod_python's are).
//! No Python object is stored here.

use bindings::{GlobalMutex, Pool, Server};
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::{Mutex, RwLock};

static MAIN_SERVER: AtomicPtr<Server> = AtomicPtr::new(std::ptr::null_mut());
static LOCKS: RwLock<Vec<GlobalMutex>> = RwLock::new(Vec::new());
static LOCK_ERROR: Mutex<Option<String>> = Mutex::new(None);

/// Remembers the main server of the current configuration generation.
pub fn set_main_server(s: &Server) {
    MAIN_SERVER.store(s as *const Server as *mut Server, Ordering::Release);
}

/// The main server, once configured.
pub(crate) fn main_server() -> Option<&'static Server> {
    let p = MAIN_SERVER.load(Ordering::Acquire);
    // A child keeps its generation's records for its whole life; the parent runs no Python.
    // SAFETY: set from the main server_rec in post_config.
    (!p.is_null()).then(|| unsafe { &*p })
}

/// Makes sure there are `count` global mutexes (in the parent, post_config). They live in
/// the process pool, not the configuration pool, and are made again only when the count
/// changes: children of an earlier generation, still finishing their requests after a
/// graceful restart, keep locking the same mutexes as the new ones (a mutex made per
/// generation is destroyed under them, and their `lock()` fails).
pub fn create_global_locks(process_pool: &Pool, count: usize) {
    let mut locks = LOCKS.write().unwrap_or_else(|p| p.into_inner());
    if locks.len() == count {
        return;
    }
    locks.clear();
    for _ in 0..count {
        match GlobalMutex::create(process_pool) {
            Ok(m) => locks.push(m),
            Err(e) => {
                *LOCK_ERROR.lock().unwrap_or_else(|p| p.into_inner()) = Some(e.to_string());
                break;
            }
        }
    }
}

/// Re-attaches the global mutexes in a new child.
pub fn child_init_locks(pchild: &Pool) {
    let mut locks = LOCKS.write().unwrap_or_else(|p| p.into_inner());
    for m in locks.iter_mut() {
        let _ = m.child_init(pchild);
    }
}

/// Number of global mutexes.
pub(crate) fn lock_count() -> usize {
    LOCKS.read().unwrap_or_else(|p| p.into_inner()).len()
}

/// Runs `f` with global mutex `index`.
pub(crate) fn with_lock<R>(index: usize, f: impl FnOnce(&GlobalMutex) -> R) -> Option<R> {
    let locks = LOCKS.read().unwrap_or_else(|p| p.into_inner());
    locks.get(index).map(f)
}
