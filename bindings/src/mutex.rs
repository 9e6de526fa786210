//! APR global mutexes: locks shared by all of Apache's processes and threads
//! (`apr_global_mutex_t`), created in the parent and re-attached in each child. See
//! <https://apr.apache.org/docs/apr/1.7/group__apr__global__mutex.html>.

use crate::error::AprError;
use crate::pool::Pool;
use crate::sys;
use std::ptr::NonNull;

/// A cross-process mutex living in the configuration pool.
pub struct GlobalMutex {
    raw: NonNull<sys::apr_global_mutex_t>,
}

// SAFETY: APR global mutexes are made to be locked and unlocked from any thread and process;
// the structure itself is only changed by child_init, before other threads exist.
unsafe impl Send for GlobalMutex {}
// SAFETY: as above.
unsafe impl Sync for GlobalMutex {}

impl GlobalMutex {
    /// Creates a mutex in `pool` (the configuration pool), with the platform's default
    /// mechanism.
    ///
    /// # Errors
    /// The APR status when it cannot be created.
    pub fn create(pool: &Pool) -> Result<GlobalMutex, AprError> {
        let mut raw = std::ptr::null_mut();
        // SAFETY: raw receives a mutex allocated in the live pool; NULL lock file = default.
        let rc = unsafe {
            sys::apr_global_mutex_create(
                &mut raw,
                std::ptr::null(),
                sys::APR_LOCK_DEFAULT,
                pool.as_raw(),
            )
        };
        AprError::check(rc)?;
        let raw = NonNull::new(raw).ok_or(AprError::from_status(rc))?;
        // Children run as `User`: a lock file or semaphore made by root must be theirs too
        // (a no-op unless running as root and the mechanism has permissions).
        // SAFETY: a live global mutex just created.
        AprError::check(unsafe { sys::ap_unixd_set_global_mutex_perms(raw.as_ptr()) })?;
        Ok(GlobalMutex { raw })
    }

    /// Re-attaches the mutex in a new child process.
    ///
    /// # Errors
    /// The APR status when it cannot be re-attached.
    pub fn child_init(&mut self, pool: &Pool) -> Result<(), AprError> {
        let mut raw = self.raw.as_ptr();
        let (lock_file, p) = (std::ptr::null(), pool.as_raw());
        // SAFETY: the mutex was created in the parent; the call may replace the handle.
        let rc = unsafe { sys::apr_global_mutex_child_init(&mut raw, lock_file, p) };
        AprError::check(rc)?;
        if let Some(raw) = NonNull::new(raw) {
            self.raw = raw;
        }
        Ok(())
    }

    /// Waits for the lock.
    ///
    /// # Errors
    /// The APR status on failure.
    pub fn lock(&self) -> Result<(), AprError> {
        // SAFETY: a live global mutex.
        AprError::check(unsafe { sys::apr_global_mutex_lock(self.raw.as_ptr()) })
    }

    /// Takes the lock if it is free; `Ok(false)` when it is held elsewhere.
    ///
    /// # Errors
    /// The APR status on failure.
    pub fn try_lock(&self) -> Result<bool, AprError> {
        // SAFETY: a live global mutex.
        let rc = unsafe { sys::apr_global_mutex_trylock(self.raw.as_ptr()) };
        if rc == sys::APR_EBUSY as i32 {
            return Ok(false);
        }
        AprError::check(rc).map(|()| true)
    }

    /// Releases the lock.
    ///
    /// # Errors
    /// The APR status on failure.
    pub fn unlock(&self) -> Result<(), AprError> {
        // SAFETY: a live global mutex.
        AprError::check(unsafe { sys::apr_global_mutex_unlock(self.raw.as_ptr()) })
    }
}
