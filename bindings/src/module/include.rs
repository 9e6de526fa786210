//! Server-side include tags: a module's handler for `<!--#tag param="value" ... -->` in
//! documents that mod_include parses (`Options +Includes`, the `INCLUDES` filter), and the
//! view the handler gets of one such directive. Everything goes through the optional
//! functions mod_include exports; without mod_include nothing is registered.

use super::*;
use crate::brigade::Brigade;
use crate::filter::Filter;
use crate::strings::opt_bytes;
use crate::trampoline::catch_unwind_or_report;
use std::ffi::c_char;
use std::sync::RwLock;

/// `ap_ssi_get_tag_and_value(ctx, &tag, &value, dodecode)`.
type GetTagAndValue =
    unsafe extern "C" fn(*mut sys::include_ctx_t, *mut *mut c_char, *mut *mut c_char, c_int);
/// A tag handler, `include_handler_fn_t *` in mod_include.h.
type TagHandler = unsafe extern "C" fn(
    *mut sys::include_ctx_t,
    *mut sys::ap_filter_t,
    *mut sys::apr_bucket_brigade,
) -> sys::apr_status_t;
/// `ap_register_include_handler(tag, handler)`.
type RegisterHandler = unsafe extern "C" fn(*mut c_char, Option<TagHandler>);

/// mod_include's `ap_ssi_get_tag_and_value`, found when the handler was registered (again at
/// each restart: Apache may load mod_include at another address).
static GET_TAG_AND_VALUE: RwLock<Option<GetTagAndValue>> = RwLock::new(None);

/// One `<!--#tag ... -->` directive being processed, as mod_include hands it to the tag's
/// handler: output goes into [`IncludeDirective::brigade`], in document order.
pub struct IncludeDirective<'a> {
    ctx: *mut sys::include_ctx_t,
    filter: &'a Filter,
    bb: &'a mut Brigade,
}

impl<'a> IncludeDirective<'a> {
    fn flags(&self) -> c_int {
        // SAFETY: ctx is mod_include's live context for this directive.
        unsafe { (*self.ctx).flags }
    }

    /// False inside a conditional branch that is not output (`<!--#if -->` false).
    pub fn printing(&self) -> bool {
        self.flags() & sys::SSI_FLAG_PRINTING as c_int != 0
    }

    /// False where `Options IncludesNoExec` forbids executing code.
    pub fn exec_allowed(&self) -> bool {
        self.flags() & sys::SSI_FLAG_NO_EXEC as c_int == 0
    }

    /// The next `param="value"` of the directive, entity-decoded; `None` after the last.
    pub fn next_param(&mut self) -> Option<(Vec<u8>, Vec<u8>)> {
        let get = (*GET_TAG_AND_VALUE.read().unwrap_or_else(|p| p.into_inner()))?;
        let (mut tag, mut value): (*mut c_char, *mut c_char) =
            (std::ptr::null_mut(), std::ptr::null_mut());
        // mod_include sets both to NULL or to strings in the context's pools.
        // SAFETY: mod_include's own function over its live context; the strings outlive us.
        unsafe {
            get(self.ctx, &mut tag, &mut value, 1);
            Some((opt_bytes(tag)?.to_vec(), opt_bytes(value)?.to_vec()))
        }
    }

    /// Puts mod_include's error marker (`SSIErrorMsg`, "[an error occurred while
    /// processing this directive]" by default) into the output.
    pub fn insert_error(&mut self) {
        // SAFETY: ctx is live; error_str is NULL or a string in its pool.
        let message = unsafe { opt_bytes((*self.ctx).error_str) }.unwrap_or_default();
        self.bb.append_copy(message);
    }

    /// The `INCLUDES` filter running the directive (its request is the document's).
    pub fn filter(&self) -> &'a Filter {
        self.filter
    }

    /// Where the directive's output goes, in document order.
    pub fn brigade(&mut self) -> &mut Brigade {
        self.bb
    }
}

unsafe extern "C" fn include_handler<M: ModuleHooks>(
    ctx: *mut sys::include_ctx_t,
    f: *mut sys::ap_filter_t,
    bb: *mut sys::apr_bucket_brigade,
) -> sys::apr_status_t {
    catch_unwind_or_report("include handler", crate::AprStatus::GENERAL_ERROR, || {
        // mod_include lends the context, its filter and output brigade for this call.
        // SAFETY: live for the call, on this thread.
        let (filter, bb) = unsafe { (Filter::from_raw(f), Brigade::from_raw_mut(bb)) };
        M::include_directive(&mut IncludeDirective { ctx, filter, bb })
    })
    .to_raw()
}

/// Registers [`ModuleHooks::include_directive`] as the handler of `<!--#tag ... -->`. Call in
/// `post_config` (mod_include makes its table of handlers in its own, which runs first);
/// false when mod_include is not loaded.
pub fn register_include_handler<M: ModuleHooks>(tag: &'static CStr) -> bool {
    // Optional functions looked up by the names mod_include registers them under.
    // SAFETY: each has the signature its name stands for in mod_include.h.
    unsafe {
        let (Some(register), Some(get)) = (
            sys::apr_dynamic_fn_retrieve(c"ap_register_include_handler".as_ptr()),
            sys::apr_dynamic_fn_retrieve(c"ap_ssi_get_tag_and_value".as_ptr()),
        ) else {
            return false;
        };
        let register = std::mem::transmute::<unsafe extern "C" fn(), RegisterHandler>(register);
        let get = std::mem::transmute::<unsafe extern "C" fn(), GetTagAndValue>(get);
        *GET_TAG_AND_VALUE.write().unwrap_or_else(|p| p.into_inner()) = Some(get);
        // mod_include keeps the tag pointer (a 'static string) and copies nothing.
        register(tag.as_ptr() as *mut c_char, Some(include_handler::<M>));
    }
    true
}
