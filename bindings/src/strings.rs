//! Conversions between C strings owned by APR pools and Rust byte slices.
//!
//! HTTP is bytes: every getter returns `&[u8]` and callers decide how to decode.

use std::ffi::{c_char, CStr, CString};

/// Borrows a NUL-terminated C string as bytes; `None` for a NULL pointer.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string that lives at least as long as `'a`.
pub(crate) unsafe fn opt_bytes<'a>(p: *const c_char) -> Option<&'a [u8]> {
    if p.is_null() {
        None
    } else {
        // SAFETY: non-NULL and NUL-terminated for 'a, as the caller promises.
        Some(unsafe { CStr::from_ptr(p) }.to_bytes())
    }
}

/// Makes a C string from bytes, refusing an interior NUL byte.
pub(crate) fn c_string(bytes: &[u8]) -> Result<CString, crate::AprError> {
    CString::new(bytes).map_err(|_| crate::AprError::InteriorNul)
}

/// Runs `f` with `bytes` as a NUL-terminated C string: on the stack when short (table keys
/// and most values: no allocation on the request path), else in a `CString`.
///
/// # Errors
/// [`crate::AprError::InteriorNul`] when `bytes` has a NUL byte.
pub(crate) fn with_c_str<R>(
    bytes: &[u8],
    f: impl FnOnce(*const std::ffi::c_char) -> R,
) -> Result<R, crate::AprError> {
    const SHORT: usize = 256;
    if memchr::memchr(0, bytes).is_some() {
        return Err(crate::AprError::InteriorNul);
    }
    if bytes.len() < SHORT {
        let mut buf = [0u8; SHORT];
        buf[..bytes.len()].copy_from_slice(bytes);
        return Ok(f(buf.as_ptr() as *const std::ffi::c_char));
    }
    Ok(f(c_string(bytes)?.as_ptr()))
}

/// The C strings of an APR array (`apr_array_header_t` of `char *`); empty for NULL.
///
/// # Safety
/// `a` is NULL or a live APR array of NUL-terminated strings that all live for `'a`.
pub(crate) unsafe fn string_array<'a>(a: *const crate::sys::apr_array_header_t) -> Vec<&'a [u8]> {
    if a.is_null() {
        return Vec::new();
    }
    // SAFETY: per the contract: nelts strings at elts.
    unsafe {
        let n = usize::try_from((*a).nelts).unwrap_or(0);
        let elts = (*a).elts as *const *const std::ffi::c_char;
        (0..n).filter_map(|i| opt_bytes(*elts.add(i))).collect()
    }
}
