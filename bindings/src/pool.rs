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
use std::ptr::NonNull;
use std::sync::Once;

/// A view of an `apr_pool_t`.
#[repr(transparent)]
pub struct Pool(sys::apr_pool_t);

type CleanupFn = Box<dyn FnOnce()>;

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

    /// Runs `f` when the pool is cleared or destroyed (before memory is released).
    /// Cleanups run in the reverse order of registration. A panic in `f` is caught and
    /// reported on stderr; it never unwinds into APR.
    pub fn cleanup_register<F: FnOnce() + 'static>(&self, f: F) {
        let data: Box<CleanupFn> = Box::new(Box::new(f));
        // SAFETY: run_cleanup takes back exactly this Box once; the child cleanup does nothing.
        unsafe {
            sys::apr_pool_cleanup_register(
                self.as_raw(),
                Box::into_raw(data) as *const c_void,
                Some(run_cleanup),
                Some(sys::apr_pool_cleanup_null),
            );
        }
    }

    /// Moves `value` into memory owned by this pool and drops it when the pool is cleared.
    #[allow(clippy::mut_from_ref)] // each call hands out a distinct new allocation
    pub fn alloc<T: 'static>(&self, value: T) -> &mut T {
        let raw = Box::into_raw(Box::new(value));
        let addr = raw as usize;
        self.cleanup_register(move || {
            // SAFETY: addr is the Box leaked above, dropped exactly once by this cleanup.
            drop(unsafe { Box::from_raw(addr as *mut T) });
        });
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

    /// The value stored under `key` with [`Pool::set_data`], if it has type `T`.
    pub fn data<T: 'static>(&self, key: &'static std::ffi::CStr) -> Option<&T> {
        let mut data: *mut c_void = std::ptr::null_mut();
        // SAFETY: key is NUL-terminated; data receives a pointer or NULL.
        unsafe { sys::apr_pool_userdata_get(&mut data, key.as_ptr(), self.as_raw()) };
        if data.is_null() {
            return None;
        }
        // Flags set by userdata_set_flag use keys that `data` is never asked for.
        // SAFETY: `set_data` values are Box<Box<dyn Any>>, alive until the pool's cleanup.
        let any = unsafe { &*(data as *const Box<dyn std::any::Any>) };
        any.downcast_ref::<T>()
    }

    /// Stores `value` under `key` for the pool's lifetime (dropped by a pool cleanup) and
    /// returns it; a previous value under the key is dropped with the pool as well.
    pub fn set_data<T: 'static>(&self, key: &'static std::ffi::CStr, value: T) -> &T {
        let boxed: &mut Box<dyn std::any::Any> = self.alloc(Box::new(value));
        let ptr = boxed as *mut Box<dyn std::any::Any> as *const c_void;
        // SAFETY: key is 'static (APR keeps the pointer); ptr lives until the pool cleanup.
        unsafe { sys::apr_pool_userdata_setn(ptr, key.as_ptr(), None, self.as_raw()) };
        // SAFETY: the box was just created with a T inside.
        unsafe { &*(ptr as *const Box<dyn std::any::Any>) }
            .downcast_ref::<T>()
            .expect("value stored with its own type")
    }

    /// Reads a value previously stored under `key` with [`Pool::userdata_set_flag`].
    pub fn userdata_flag(&self, key: &std::ffi::CStr) -> bool {
        let mut data: *mut c_void = std::ptr::null_mut();
        // SAFETY: key is NUL-terminated; data receives a pointer or NULL.
        unsafe { sys::apr_pool_userdata_get(&mut data, key.as_ptr(), self.as_raw()) };
        !data.is_null()
    }

    /// Marks the pool with a flag under `key` (lives as long as the pool).
    pub fn userdata_set_flag(&self, key: &'static std::ffi::CStr) {
        // SAFETY: the key is 'static, so APR may keep the pointer; the value is a non-NULL marker.
        unsafe {
            sys::apr_pool_userdata_set(
                std::ptr::dangling::<c_void>(),
                key.as_ptr(),
                None,
                self.as_raw(),
            )
        };
    }
}

unsafe extern "C" fn run_cleanup(data: *mut c_void) -> sys::apr_status_t {
    // SAFETY: data is the Box<CleanupFn> registered in cleanup_register, taken back once.
    let f = unsafe { Box::from_raw(data as *mut CleanupFn) };
    crate::trampoline::catch_unwind_or_report("pool cleanup", (), f);
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
    use std::cell::Cell;
    use std::rc::Rc;

    /// Runs `f` with a fresh root pool, destroyed afterwards.
    pub(crate) fn with_pool<R>(f: impl FnOnce(*mut sys::apr_pool_t) -> R) -> R {
        let pool = OwnedPool::new(None).expect("pool");
        f(pool.as_raw())
    }

    #[test]
    fn cleanups_run_in_reverse_order_when_pool_is_destroyed() {
        let order = Rc::new(std::cell::RefCell::new(Vec::new()));
        {
            let pool = OwnedPool::new(None).expect("pool");
            for i in 0..3 {
                let order = order.clone();
                pool.cleanup_register(move || order.borrow_mut().push(i));
            }
            assert!(order.borrow().is_empty());
        }
        assert_eq!(*order.borrow(), vec![2, 1, 0]);
    }

    #[test]
    fn values_allocated_in_pool_are_dropped_with_it() {
        struct Flag(Rc<Cell<bool>>);
        impl Drop for Flag {
            fn drop(&mut self) {
                self.0.set(true);
            }
        }
        let dropped = Rc::new(Cell::new(false));
        let pool = OwnedPool::new(None).expect("pool");
        let child = OwnedPool::new(Some(&pool)).expect("child");
        let v = child.alloc(vec![Flag(dropped.clone())]);
        assert_eq!(v.len(), 1);
        drop(child);
        assert!(dropped.get());
    }

    #[test]
    fn panicking_cleanup_does_not_unwind_into_apr() {
        let pool = OwnedPool::new(None).expect("pool");
        pool.cleanup_register(|| panic!("boom"));
        drop(pool);
    }

    #[test]
    fn typed_data_round_trips_and_checks_type() {
        let pool = OwnedPool::new(None).expect("pool");
        assert!(pool.data::<u32>(c"x").is_none());
        assert_eq!(*pool.set_data(c"x", 7u32), 7);
        assert_eq!(pool.data::<u32>(c"x"), Some(&7));
        assert!(pool.data::<String>(c"x").is_none());
    }

    #[test]
    fn userdata_flag_round_trips() {
        let pool = OwnedPool::new(None).expect("pool");
        assert!(!pool.userdata_flag(c"k"));
        pool.userdata_set_flag(c"k");
        assert!(pool.userdata_flag(c"k"));
    }
}
