//! Leases: how an object that outlives what it points at (a Python `req`, `filter` or `conn`
//! object kept by user code) reaches something Apache owns for a limited time (a request, a
//! filter call, a connection handler's connection).
//!
//! A [`Lease`] holds a pointer to the target and the thread that owns it. [`Lease::get`]
//! hands the target out only on that thread and only until the owner [revokes](Lease::revoke)
//! it, so a use from another thread, or after the target's end, is an error instead of a data
//! race or a use after free. The owner can pass the lease to the thread that ends the target
//! ([`Lease::rebind`]): under the event MPM a request's pool may be destroyed by another
//! worker than the one that ran its handler.

use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};

/// Why a lease cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaseError {
    /// The target has ended (the lease was revoked).
    Ended,
    /// The calling thread is not the one that owns the target.
    OtherThread,
}

/// A revocable, thread-bound pointer to `T`.
pub struct Lease<T> {
    target: AtomicPtr<T>,
    owner: AtomicU64,
}

/// A number for the calling thread, unique for the life of the process (never reused,
/// unlike OS thread ids).
pub fn thread_number() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    thread_local! {
        static NUMBER: u64 = NEXT.fetch_add(1, Ordering::Relaxed);
    }
    NUMBER.with(|n| *n)
}

impl<T> Lease<T> {
    /// A lease on `target`, owned by the calling thread.
    ///
    /// # Safety
    /// `target` stays valid until [`Lease::revoke`] is called, and the target is only ended
    /// on the owning thread, after every borrow [`Lease::get`] handed out there has ended.
    pub unsafe fn new(target: &T) -> Lease<T> {
        Lease {
            target: AtomicPtr::new(target as *const T as *mut T),
            owner: AtomicU64::new(thread_number()),
        }
    }

    /// The target, when called on the owning thread before the lease was revoked.
    ///
    /// # Errors
    /// [`LeaseError::OtherThread`] on any other thread, [`LeaseError::Ended`] after
    /// [`Lease::revoke`].
    pub fn get(&self) -> Result<&T, LeaseError> {
        if self.owner.load(Ordering::Acquire) != thread_number() {
            return Err(LeaseError::OtherThread);
        }
        let p = self.target.load(Ordering::Acquire);
        // Valid until `revoke`, which only the owner calls (`new`'s contract), and not while
        // this borrow lives: it is the owner that is borrowing.
        // SAFETY: non-NULL means not revoked yet, and we are the owning thread.
        unsafe { p.as_ref() }.ok_or(LeaseError::Ended)
    }

    /// True once the lease was revoked.
    pub fn is_revoked(&self) -> bool {
        self.target.load(Ordering::Acquire).is_null()
    }

    /// Makes the calling thread the owner: for the thread that ends the target when it is not
    /// the one that used it (the old owner no longer touches it).
    pub fn rebind(&self) {
        self.owner.store(thread_number(), Ordering::Release);
    }

    /// Ends the lease: every later [`Lease::get`] fails with [`LeaseError::Ended`].
    pub fn revoke(&self) {
        self.target.store(std::ptr::null_mut(), Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn usable_on_its_thread_until_revoked() {
        let value = 7u32;
        // SAFETY: `value` outlives the lease, which is revoked below.
        let lease = unsafe { Lease::new(&value) };
        assert_eq!(lease.get(), Ok(&7));
        lease.revoke();
        assert_eq!(lease.get(), Err(LeaseError::Ended));
        assert!(lease.is_revoked());
    }

    #[test]
    fn refused_on_another_thread_until_rebound() {
        static VALUE: u32 = 9;
        // SAFETY: a static target is never ended.
        let lease = Arc::new(unsafe { Lease::new(&VALUE) });
        let other = lease.clone();
        let seen = std::thread::spawn(move || {
            let before = other.get().copied();
            other.rebind();
            (before, other.get().copied())
        })
        .join()
        .expect("thread");
        assert_eq!(seen, (Err(LeaseError::OtherThread), Ok(9)));
        assert_eq!(lease.get(), Err(LeaseError::OtherThread));
    }

    #[test]
    fn thread_numbers_differ_between_threads() {
        let here = thread_number();
        assert_eq!(here, thread_number());
        let there = std::thread::spawn(thread_number).join().expect("thread");
        assert_ne!(here, there);
    }
}
