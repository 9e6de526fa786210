//! Memory shared by Apache's parent and all its children: made once in the parent, before
//! the children fork, in the process pool, so every generation of children (a graceful
//! restart makes a new one) maps the same words. Handed out as `AtomicU64`s: every access
//! from any process is atomic. See <https://apr.apache.org/docs/apr/1.7/group__apr__shm.html>.

use crate::error::AprError;
use crate::sys;
use crate::Server;
use std::ffi::{c_void, CStr};
use std::sync::atomic::AtomicU64;

/// What the process pool keeps under the region's key.
#[repr(C)]
struct Region {
    base: *mut AtomicU64,
    words: usize,
}

/// The shared words named `key`: found in the process pool when an earlier configuration
/// pass made them (their number then is what it was), or made now, zeroed, with `words`
/// words. Call it in the parent, in `post_config`, so that children inherit the mapping.
///
/// # Errors
/// The APR error when the shared memory cannot be made (`apr_shm_create`).
pub fn process_shared_words(
    s: &Server,
    key: &'static CStr,
    words: usize,
) -> Result<&'static [AtomicU64], AprError> {
    let pool = s.process_pool();
    let mut found: *mut c_void = std::ptr::null_mut();
    // SAFETY: a lookup in the live process pool; `found` receives the stored pointer.
    AprError::check(unsafe {
        sys::apr_pool_userdata_get(&mut found, key.as_ptr(), pool.as_raw())
    })?;
    if !found.is_null() {
        // SAFETY: stored below as a Region allocated in the same pool, never freed before it.
        let region = unsafe { &*(found as *const Region) };
        // SAFETY: the mapping lives as long as the process pool, i.e. the process.
        return Ok(unsafe { std::slice::from_raw_parts(region.base, region.words) });
    }
    let bytes = words.max(1) * std::mem::size_of::<AtomicU64>();
    let mut shm: *mut sys::apr_shm_t = std::ptr::null_mut();
    // SAFETY: anonymous shared memory (no file name) allocated in the process pool.
    AprError::check(unsafe {
        sys::apr_shm_create(&mut shm, bytes, std::ptr::null(), pool.as_raw())
    })?;
    // SAFETY: shm was just created; its base address is page-aligned.
    let base = unsafe { sys::apr_shm_baseaddr_get(shm) } as *mut AtomicU64;
    // No child exists yet and nothing else knows the address: zero it plainly.
    // SAFETY: base points to `bytes` writable bytes.
    unsafe { std::ptr::write_bytes(base as *mut u8, 0, bytes) };
    // The record lives in the pool's memory with no cleanup of ours: Apache may unload
    // this module at a restart, and the pool outlives it.
    let size = std::mem::size_of::<Region>();
    // SAFETY: apr_palloc returns memory of the pool, aligned for any C type.
    let region = unsafe { sys::apr_palloc(pool.as_raw(), size) }.cast::<Region>();
    if region.is_null() {
        return Err(AprError::from_status(sys::APR_ENOMEM as sys::apr_status_t));
    }
    // SAFETY: freshly allocated, the right size and alignment for a Region.
    unsafe { region.write(Region { base, words }) };
    // apr_pool_userdata_set copies the key into the pool, for the same reason.
    // SAFETY: the key is NUL-terminated; the region lives as long as the pool.
    let status = unsafe {
        sys::apr_pool_userdata_set(region as *const c_void, key.as_ptr(), None, pool.as_raw())
    };
    AprError::check(status)?;
    // The process pool, and with it the mapping, lives until the process exits; APR
    // unmaps it only then.
    // SAFETY: `words` atomics at a page-aligned base, zeroed, alive for the process.
    Ok(unsafe { std::slice::from_raw_parts(base, words) })
}
