//! The extensions mod_mime's `AddHandler` maps to a handler for a request's directory
//! (`req.get_addhandler_exts()` of mod_python). mod_mime keeps them in its per-directory
//! configuration, which it does not export: the leading fields of its two structures
//! (`mime_dir_config`, `extension_info` in httpd 2.4's modules/http/mod_mime.c, unchanged
//! since 2.2) are mirrored here, as mod_python 3.5 reads them.

use super::Request;
use crate::strings::opt_bytes;
use crate::sys;
use std::ffi::{c_char, c_void};

/// The leading field of mod_mime's `mime_dir_config`.
#[repr(C)]
struct MimeDirConfig {
    extension_mappings: *mut sys::apr_hash_t,
}

/// The leading fields of mod_mime's `extension_info`, up to the handler.
#[repr(C)]
struct ExtensionInfo {
    forced_type: *mut c_char,
    encoding_type: *mut c_char,
    language_type: *mut c_char,
    handler: *mut c_char,
}

impl Request {
    /// The extensions (without the dot) that `AddHandler` maps to one of `handlers` in this
    /// request's directory configuration, in mod_mime's (hash) order; empty without mod_mime.
    pub fn handler_extensions(&self, handlers: &[&[u8]]) -> Vec<Vec<u8>> {
        let mut found = Vec::new();
        // The iterator is made in the request pool, so concurrent requests share none.
        // SAFETY: mod_mime's per-directory config of this request, complete and read-only.
        unsafe {
            let mime = sys::ap_find_linked_module(c"mod_mime.c".as_ptr());
            if mime.is_null() {
                return found;
            }
            let conf = sys::module_config(self.per_dir_config_raw(), mime) as *const MimeDirConfig;
            let Some(conf) = conf.as_ref() else {
                return found;
            };
            if conf.extension_mappings.is_null() {
                return found;
            }
            let mut hi = sys::apr_hash_first(self.pool().as_raw(), conf.extension_mappings);
            while !hi.is_null() {
                let (mut key, mut len, mut value): (*const c_void, sys::apr_ssize_t, *mut c_void) =
                    (std::ptr::null(), 0, std::ptr::null_mut());
                sys::apr_hash_this(hi, &mut key, &mut len, &mut value);
                let info = value as *const ExtensionInfo;
                let handler = info.as_ref().and_then(|i| opt_bytes(i.handler));
                if handler.is_some_and(|h| handlers.contains(&h)) && !key.is_null() && len >= 0 {
                    found.push(std::slice::from_raw_parts(key as *const u8, len as usize).to_vec());
                }
                hi = sys::apr_hash_next(hi);
            }
        }
        found
    }
}
