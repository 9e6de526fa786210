//! APR pools: borrowed views of pools Apache owns, and owned pools we create.
//!
//! A `&Pool` is only ever made from a pool that outlives the borrow; Rust never destroys a
//! borrowed pool. [`OwnedPool`] is the one kind Rust destroys, on `Drop`.
//! Rust values can live in a pool ([`Pool::alloc`]): a cleanup registered on the pool drops
//! them when the pool is cleared. See <https://apr.apache.org/docs/apr/1.7/group__apr__pools.html>.

use crate::error::AprError;
use crate::strings::c_string;
use crate::sys;
use std::ffi::{c_char, c_void};
use std::marker::PhantomData;
use std::ptr::NonNull;
use std::sync::Once;

/// A view of an `apr_pool_t`. Neither `Send` nor `Sync`: APR pools are not thread-safe.
#[repr(transparent)]
pub struct Pool(sys::apr_pool_t, PhantomData<*mut ()>);

impl Pool {
    /// Borrows a pool that Apache handed over.
    ///
    /// # Safety
    /// `p` is a valid pool that is neither cleared nor destroyed during `'a`.
    pub unsafe fn from_raw<'a>(p: *mut sys::apr_pool_t) -> &'a Pool {
        // SAFETY: Pool is repr(transparent) over the opaque apr_pool_t; p is valid for 'a.
        unsafe { &*(p as *const Pool) }
    }

    pub(crate) fn as_raw(&self) -> *mut sys::apr_pool_t {
        self as *const Pool as *mut sys::apr_pool_t
    }

    /// Runs `f` when the pool is cleared or destroyed, after its child pools are destroyed
    /// and before memory is released. Cleanups run in the reverse order of registration, and
    /// may run on another thread than the one registering them (`Send`). A panic in `f` is
    /// caught and reported on stderr; it never unwinds into APR.
    pub fn cleanup_register<F: FnOnce() + Send + 'static>(&self, f: F) {
        // One allocation (none for a closure that captures nothing): the cleanup function
        // is made for F, so it knows what the pointer holds.
        let data = Box::into_raw(Box::new(f)) as *const c_void;
        // The child cleanup does nothing.
        // SAFETY: run_cleanup::<F> takes back exactly this Box<F> once.
        unsafe {
            sys::apr_pool_cleanup_register(
                self.as_raw(),
                data,
                Some(run_cleanup::<F>),
                Some(sys::apr_pool_cleanup_null),
            );
        }
    }

    /// Runs `f` when the pool is cleared or destroyed, before anything else is released:
    /// before its child pools are destroyed and before every ordinary cleanup
    /// ([`Pool::cleanup_register`], [`Pool::alloc`]), so everything the pool owns is still
    /// whole (what httpd does for its end-of-request bucket). Pre-cleanups run in the reverse
    /// order of registration; panics are caught as for [`Pool::cleanup_register`].
    pub fn pre_cleanup_register<F: FnOnce() + Send + 'static>(&self, f: F) {
        let data = Box::into_raw(Box::new(f)) as *const c_void;
        // SAFETY: run_cleanup::<F> takes back exactly this Box<F> once.
        unsafe {
            sys::apr_pool_pre_cleanup_register(self.as_raw(), data, Some(run_cleanup::<F>));
        }
    }

    /// Moves `value` into memory owned by this pool and drops it when the pool is cleared
    /// (an ordinary cleanup, so possibly on another thread: `Send`).
    #[allow(clippy::mut_from_ref)] // each call hands out a distinct new allocation
    pub fn alloc<T: Send + 'static>(&self, value: T) -> &mut T {
        let raw = Box::into_raw(Box::new(value));
        // Dropped when the pool is cleared; the child cleanup does nothing.
        // SAFETY: drop_boxed::<T> takes back exactly this Box<T> once.
        unsafe {
            sys::apr_pool_cleanup_register(
                self.as_raw(),
                raw as *const c_void,
                Some(drop_boxed::<T>),
                Some(sys::apr_pool_cleanup_null),
            );
        }
        // SAFETY: the allocation lives until the pool's cleanup runs, which outlives &self.
        unsafe { &mut *raw }
    }

    /// Copies `bytes` into the pool as a NUL-terminated C string.
    ///
    /// # Errors
    /// [`AprError::InteriorNul`] when `bytes` contains a NUL byte.
    pub(crate) fn strdup(&self, bytes: &[u8]) -> Result<*mut c_char, AprError> {
        let c = c_string(bytes)?;
        // SAFETY: apr_pstrdup copies the NUL-terminated string into the live pool.
        Ok(unsafe { sys::apr_pstrdup(self.as_raw(), c.as_ptr()) })
    }
}

unsafe extern "C" fn run_cleanup<F: FnOnce() + Send + 'static>(
    data: *mut c_void,
) -> sys::apr_status_t {
    // SAFETY: data is the Box<F> registered with this instantiation, taken back once.
    let f = unsafe { Box::from_raw(data as *mut F) };
    crate::trampoline::catch_unwind_or_report("pool cleanup", (), *f);
    sys::APR_SUCCESS as sys::apr_status_t
}

unsafe extern "C" fn drop_boxed<T: Send + 'static>(data: *mut c_void) -> sys::apr_status_t {
    // SAFETY: data is the Box<T> Pool::alloc registered for this T, taken back once.
    let value = unsafe { Box::from_raw(data as *mut T) };
    crate::trampoline::catch_unwind_or_report("pool cleanup", (), move || drop(value));
    sys::APR_SUCCESS as sys::apr_status_t
}

/// Calls `apr_initialize` once per process. Apache has done it before loading us; tests and
/// tools that use APR directly call this first.
pub fn initialize_apr() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        // SAFETY: apr_initialize may be called from any thread before other APR use.
        unsafe { sys::apr_initialize() };
    });
}

/// A pool created and destroyed by Rust.
pub struct OwnedPool(NonNull<sys::apr_pool_t>);

impl OwnedPool {
    /// Creates a new pool, a child of `parent` or a root pool.
    ///
    /// # Errors
    /// The APR status when the pool cannot be created.
    pub fn new(parent: Option<&Pool>) -> Result<OwnedPool, AprError> {
        initialize_apr();
        let mut raw = std::ptr::null_mut();
        let parent = parent.map_or(std::ptr::null_mut(), Pool::as_raw);
        let allocator = std::ptr::null_mut();
        // SAFETY: raw receives a new pool; parent is NULL or a live pool.
        let status = unsafe { sys::apr_pool_create_ex(&mut raw, parent, None, allocator) };
        AprError::check(status)?;
        NonNull::new(raw)
            .map(OwnedPool)
            .ok_or(AprError::from_status(status))
    }
}

impl std::ops::Deref for OwnedPool {
    type Target = Pool;
    fn deref(&self) -> &Pool {
        // SAFETY: the pool lives until Drop, which needs &mut self, so not during this borrow.
        unsafe { Pool::from_raw(self.0.as_ptr()) }
    }
}

impl Drop for OwnedPool {
    fn drop(&mut self) {
        // SAFETY: we created this pool and destroy it exactly once.
        unsafe { sys::apr_pool_destroy(self.0.as_ptr()) };
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};

    /// Runs `f` with a fresh root pool, destroyed afterwards.
    pub(crate) fn with_pool<R>(f: impl FnOnce(*mut sys::apr_pool_t) -> R) -> R {
        let pool = OwnedPool::new(None).expect("pool");
        f(pool.as_raw())
    }

    #[test]
    fn cleanups_run_in_reverse_order_when_pool_is_destroyed() {
        let order = Arc::new(Mutex::new(Vec::new()));
        {
            let pool = OwnedPool::new(None).expect("pool");
            for i in 0..3 {
                let order = order.clone();
                pool.cleanup_register(move || order.lock().expect("order").push(i));
            }
            assert!(order.lock().expect("order").is_empty());
        }
        assert_eq!(*order.lock().expect("order"), vec![2, 1, 0]);
    }

    #[test]
    fn values_allocated_in_pool_are_dropped_with_it() {
        struct Flag(Arc<AtomicBool>);
        impl Drop for Flag {
            fn drop(&mut self) {
                self.0.store(true, Ordering::SeqCst);
            }
        }
        let dropped = Arc::new(AtomicBool::new(false));
        let pool = OwnedPool::new(None).expect("pool");
        let child = OwnedPool::new(Some(&pool)).expect("child");
        let v = child.alloc(vec![Flag(dropped.clone())]);
        assert_eq!(v.len(), 1);
        drop(child);
        assert!(dropped.load(Ordering::SeqCst));
    }

    #[test]
    fn panicking_cleanup_does_not_unwind_into_apr() {
        let pool = OwnedPool::new(None).expect("pool");
        pool.cleanup_register(|| panic!("boom"));
        drop(pool);
    }

    #[test]
    fn pre_cleanups_run_before_child_pools_and_ordinary_cleanups() {
        let order = Arc::new(Mutex::new(Vec::new()));
        let pool = OwnedPool::new(None).expect("pool");
        let child = OwnedPool::new(Some(&pool)).expect("child");
        let note = |what: &'static str| {
            let order = order.clone();
            move || order.lock().expect("order").push(what)
        };
        child.cleanup_register(note("child"));
        std::mem::forget(child); // destroyed with its parent
        pool.cleanup_register(note("ordinary"));
        pool.pre_cleanup_register(note("pre 1"));
        pool.pre_cleanup_register(note("pre 2"));
        drop(pool);
        let order = order.lock().expect("order").clone();
        assert_eq!(order, vec!["pre 2", "pre 1", "child", "ordinary"]);
    }
}
