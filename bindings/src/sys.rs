//! Raw bindgen output over `wrapper.h`, plus the few C macros bindgen cannot see, rewritten
//! as small functions (brigade ring operations, bucket type tests).
//!
//! # Safety
//! Every function here is a plain C function of httpd or APR, or a direct translation of one
//! of their macros: callers must pass valid pointers, call from a thread that may use them,
//! and keep the owning pool alive.
#![allow(
    non_upper_case_globals,
    non_camel_case_types,
    non_snake_case,
    dead_code
)]
#![allow(clippy::all, missing_docs, rust_2018_idioms, unsafe_op_in_unsafe_fn)]
#![allow(clippy::undocumented_unsafe_blocks)]

include!(concat!(env!("OUT_DIR"), "/bindings.rs"));

use std::mem::offset_of;

/// `APR_BRIGADE_SENTINEL(b)`: the fake bucket whose `link` is the brigade's list head.
#[inline]
pub unsafe fn brigade_sentinel(b: *mut apr_bucket_brigade) -> *mut apr_bucket {
    let head = std::ptr::addr_of_mut!((*b).list) as *mut u8;
    head.sub(offset_of!(apr_bucket, link)) as *mut apr_bucket
}

/// `APR_BRIGADE_FIRST(b)`.
#[inline]
pub unsafe fn brigade_first(b: *mut apr_bucket_brigade) -> *mut apr_bucket {
    (*b).list.next
}

/// `APR_BRIGADE_EMPTY(b)`.
#[inline]
pub unsafe fn brigade_empty(b: *mut apr_bucket_brigade) -> bool {
    brigade_first(b) == brigade_sentinel(b)
}

/// `APR_BUCKET_NEXT(e)`.
#[inline]
pub unsafe fn bucket_next(e: *mut apr_bucket) -> *mut apr_bucket {
    (*e).link.next
}

/// `APR_BUCKET_INSERT_BEFORE(lep, nep)`: links the lone bucket `nep` in front of `lep`.
#[inline]
pub unsafe fn bucket_insert_before(lep: *mut apr_bucket, nep: *mut apr_bucket) {
    (*nep).link.next = lep;
    (*nep).link.prev = (*lep).link.prev;
    (*(*lep).link.prev).link.next = nep;
    (*lep).link.prev = nep;
}

/// `APR_BRIGADE_INSERT_TAIL(b, e)`.
#[inline]
pub unsafe fn brigade_insert_tail(b: *mut apr_bucket_brigade, e: *mut apr_bucket) {
    bucket_insert_before(brigade_sentinel(b), e);
}

/// `APR_BUCKET_REMOVE(e)`: unlinks `e` from its ring.
#[inline]
pub unsafe fn bucket_remove(e: *mut apr_bucket) {
    (*(*e).link.prev).link.next = (*e).link.next;
    (*(*e).link.next).link.prev = (*e).link.prev;
}

/// `APR_BRIGADE_CONCAT(a, b)`: moves every bucket of `b` to the end of `a`.
#[inline]
pub unsafe fn brigade_concat(a: *mut apr_bucket_brigade, b: *mut apr_bucket_brigade) {
    if brigade_empty(b) {
        return;
    }
    let first = brigade_first(b);
    let last = (*b).list.prev;
    // unlink [first, last] from b
    let b_sentinel = brigade_sentinel(b);
    (*b_sentinel).link.next = b_sentinel;
    (*b_sentinel).link.prev = b_sentinel;
    // splice before a's sentinel
    let a_sentinel = brigade_sentinel(a);
    let a_last = (*a_sentinel).link.prev;
    (*last).link.next = a_sentinel;
    (*first).link.prev = a_last;
    (*a_last).link.next = first;
    (*a_sentinel).link.prev = last;
}

/// `apr_bucket_destroy(e)`: frees the bucket's data and the bucket itself.
#[inline]
pub unsafe fn bucket_destroy(e: *mut apr_bucket) {
    if let Some(destroy) = (*(*e).type_).destroy {
        destroy((*e).data);
    }
    if let Some(free) = (*e).free {
        free(e as *mut std::ffi::c_void);
    }
}

/// `apr_bucket_delete(e)`: unlink, then destroy.
#[inline]
pub unsafe fn bucket_delete(e: *mut apr_bucket) {
    bucket_remove(e);
    bucket_destroy(e);
}

/// `apr_bucket_setaside(e, p)`.
#[inline]
pub unsafe fn bucket_setaside(e: *mut apr_bucket, p: *mut apr_pool_t) -> apr_status_t {
    match (*(*e).type_).setaside {
        Some(setaside) => setaside(e, p),
        None => APR_ENOTIMPL as apr_status_t,
    }
}

/// `apr_bucket_read(e, str, len, block)`.
#[inline]
pub unsafe fn bucket_read(
    e: *mut apr_bucket,
    data: *mut *const std::ffi::c_char,
    len: *mut apr_size_t,
    block: apr_read_type_e,
) -> apr_status_t {
    match (*(*e).type_).read {
        Some(read) => read(e, data, len, block),
        None => APR_ENOTIMPL as apr_status_t,
    }
}

/// `apr_bucket_split(e, point)`.
#[inline]
pub unsafe fn bucket_split(e: *mut apr_bucket, point: apr_size_t) -> apr_status_t {
    match (*(*e).type_).split {
        Some(split) => split(e, point),
        None => APR_ENOTIMPL as apr_status_t,
    }
}

/// `APR_BUCKET_IS_METADATA(e)`.
#[inline]
pub unsafe fn bucket_is_metadata(e: *mut apr_bucket) -> bool {
    (*(*e).type_).is_metadata == APR_BUCKET_METADATA
}

/// `APR_BUCKET_IS_EOS(e)`.
#[inline]
pub unsafe fn bucket_is_eos(e: *mut apr_bucket) -> bool {
    (*e).type_ == std::ptr::addr_of!(apr_bucket_type_eos)
}

/// `APR_BUCKET_IS_FLUSH(e)`.
#[inline]
pub unsafe fn bucket_is_flush(e: *mut apr_bucket) -> bool {
    (*e).type_ == std::ptr::addr_of!(apr_bucket_type_flush)
}

/// `APR_BUCKET_IS_FILE(e)`.
#[inline]
pub unsafe fn bucket_is_file(e: *mut apr_bucket) -> bool {
    (*e).type_ == std::ptr::addr_of!(apr_bucket_type_file)
}

/// `ap_get_module_config(v, m)`: the module's slot in a configuration vector.
#[inline]
pub unsafe fn module_config(v: *mut ap_conf_vector_t, m: *const module) -> *mut std::ffi::c_void {
    *(v as *mut *mut std::ffi::c_void).add((*m).module_index as usize)
}

/// `ap_set_module_config(v, m, val)`.
#[inline]
pub unsafe fn set_module_config(
    v: *mut ap_conf_vector_t,
    m: *const module,
    val: *mut std::ffi::c_void,
) {
    *(v as *mut *mut std::ffi::c_void).add((*m).module_index as usize) = val;
}

// The ring translation above relies on `link` being a plain {next, prev} pair.
const _: () = assert!(offset_of!(apr_bucket, link) == 0);
const _: () = assert!(std::mem::size_of::<apr_bucket__bindgen_ty_1>() == 16);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentinel_of_empty_brigade_is_its_first_bucket() {
        crate::pool::tests::with_pool(|pool| {
            // SAFETY: the pool is alive for the whole closure; the brigade lives in it.
            unsafe {
                let alloc = apr_bucket_alloc_create(pool);
                let bb = apr_brigade_create(pool, alloc);
                assert!(brigade_empty(bb));
                let e = apr_bucket_eos_create(alloc);
                brigade_insert_tail(bb, e);
                assert!(!brigade_empty(bb));
                assert!(bucket_is_eos(brigade_first(bb)));
                assert!(bucket_is_metadata(brigade_first(bb)));
                assert_eq!(bucket_next(e), brigade_sentinel(bb));
                bucket_delete(e);
                assert!(brigade_empty(bb));
            }
        });
    }
}
