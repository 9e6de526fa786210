//! `request_rec`: one HTTP request as Apache processes it. See
//! <https://ci.apache.org/projects/httpd/trunk/doxygen/structrequest__rec.html>.
//!
//! A `&Request` is valid while Apache processes the request, i.e. until its pool is
//! cleared. Strings are bytes; setters copy into the request pool.
//!
//! Here the view, its string fields, tables and relatives, writing, the end-of-request hook
//! and this module's per-request value; the other `request_rec` fields in `fields`, and
//! the httpd functions a handler calls on a request in `calls`, and what mod_mime maps to
//! handlers in `mime`.

mod calls;
mod fields;
mod mime;

pub use fields::{IntField, ParsedUri, RemoteHostType, StrField};

use crate::connection::Connection;
use crate::error::AprError;
use crate::pool::Pool;
use crate::server::Server;
use crate::strings::opt_bytes;
use crate::sys;
use crate::table::Table;
use std::cell::UnsafeCell;

/// A view of a `request_rec`.
#[repr(transparent)]
pub struct Request(UnsafeCell<sys::request_rec>);

/// The string fields of `request_rec` that handlers may replace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestField {
    /// `r->uri`
    Uri,
    /// `r->filename`
    Filename,
    /// `r->canonical_filename`
    CanonicalFilename,
    /// `r->path_info`
    PathInfo,
    /// `r->args`
    Args,
    /// `r->handler`
    Handler,
    /// `r->user`
    User,
    /// `r->ap_auth_type`
    ApAuthType,
    /// `r->status_line`
    StatusLine,
}

impl Request {
    /// Borrows a request Apache handed to a hook.
    ///
    /// # Safety
    /// `r` is a valid `request_rec` whose pool is not cleared during `'a`, used on this thread.
    pub unsafe fn from_raw<'a>(r: *mut sys::request_rec) -> &'a Request {
        // SAFETY: repr(transparent) over UnsafeCell<request_rec>; valid for 'a per the caller.
        unsafe { &*(r as *const Request) }
    }

    pub(crate) fn as_raw(&self) -> *mut sys::request_rec {
        self.0.get()
    }

    fn rec(&self) -> &sys::request_rec {
        // Fields are only read through this short borrow.
        // SAFETY: Apache leaves the request_rec alone while a hook runs on this thread.
        unsafe { &*self.0.get() }
    }

    fn bytes(&self, p: *const std::ffi::c_char) -> Option<&[u8]> {
        // SAFETY: NUL-terminated strings in the request (or connection) pool, which outlives &self.
        unsafe { opt_bytes(p) }
    }

    fn table(&self, t: *mut sys::apr_table_t) -> &Table {
        // SAFETY: request tables live in the request pool, which outlives &self.
        unsafe { Table::from_raw(t) }
    }

    fn related(&self, r: *mut sys::request_rec) -> Option<&Request> {
        // SAFETY: next/prev/main requests outlive this request's processing.
        (!r.is_null()).then(|| unsafe { Request::from_raw(r) })
    }

    /// The request pool.
    pub fn pool(&self) -> &Pool {
        // SAFETY: the request pool lives as long as the request.
        unsafe { Pool::from_raw(self.rec().pool) }
    }

    /// The connection this request came on.
    pub fn connection(&self) -> &Connection {
        // SAFETY: the connection outlives its requests.
        unsafe { Connection::from_raw(self.rec().connection) }
    }

    /// The (virtual) server handling this request.
    pub fn server(&self) -> &Server {
        // SAFETY: server_recs live for the whole configuration generation.
        unsafe { Server::from_raw(self.rec().server) }
    }

    /// The main request, when this is a subrequest.
    pub fn main(&self) -> Option<&Request> {
        self.related(self.rec().main)
    }

    /// The previous request in an internal redirect chain.
    pub fn prev(&self) -> Option<&Request> {
        self.related(self.rec().prev)
    }

    /// The next request in an internal redirect chain.
    pub fn next(&self) -> Option<&Request> {
        self.related(self.rec().next)
    }

    /// `r->the_request`, the request line.
    pub fn the_request(&self) -> Option<&[u8]> {
        self.bytes(self.rec().the_request)
    }
    /// `r->method`.
    pub fn method(&self) -> Option<&[u8]> {
        self.bytes(self.rec().method)
    }
    /// `r->protocol`.
    pub fn protocol(&self) -> Option<&[u8]> {
        self.bytes(self.rec().protocol)
    }
    /// `r->hostname`.
    pub fn hostname(&self) -> Option<&[u8]> {
        self.bytes(self.rec().hostname)
    }
    /// `r->unparsed_uri`.
    pub fn unparsed_uri(&self) -> Option<&[u8]> {
        self.bytes(self.rec().unparsed_uri)
    }
    /// `r->content_type`.
    pub fn content_type(&self) -> Option<&[u8]> {
        self.bytes(self.rec().content_type)
    }

    /// Reads one of the replaceable string fields.
    pub fn field(&self, field: RequestField) -> Option<&[u8]> {
        let r = self.rec();
        self.bytes(match field {
            RequestField::Uri => r.uri,
            RequestField::Filename => r.filename,
            RequestField::CanonicalFilename => r.canonical_filename,
            RequestField::PathInfo => r.path_info,
            RequestField::Args => r.args,
            RequestField::Handler => r.handler,
            RequestField::User => r.user,
            RequestField::ApAuthType => r.ap_auth_type,
            RequestField::StatusLine => r.status_line,
        })
    }

    /// Replaces one of the string fields with a copy of `value` in the request pool
    /// (`None` sets NULL).
    ///
    /// # Errors
    /// [`AprError::InteriorNul`] when `value` holds a NUL byte.
    pub fn set_field(&self, field: RequestField, value: Option<&[u8]>) -> Result<(), AprError> {
        let p = match value {
            Some(v) => self.pool().strdup(v)?,
            None => std::ptr::null_mut(),
        };
        let r = self.as_raw();
        // SAFETY: we are Apache's thread for this request; p lives in the request pool.
        unsafe {
            match field {
                RequestField::Uri => (*r).uri = p,
                RequestField::Filename => (*r).filename = p,
                RequestField::CanonicalFilename => (*r).canonical_filename = p,
                RequestField::PathInfo => (*r).path_info = p,
                RequestField::Args => (*r).args = p,
                RequestField::Handler => (*r).handler = p,
                RequestField::User => (*r).user = p,
                RequestField::ApAuthType => (*r).ap_auth_type = p,
                RequestField::StatusLine => (*r).status_line = p,
            }
        }
        Ok(())
    }

    /// Sets the response content type (`ap_set_content_type`).
    ///
    /// # Errors
    /// [`AprError::InteriorNul`] when `ct` holds a NUL byte.
    pub fn set_content_type(&self, ct: &[u8]) -> Result<(), AprError> {
        let p = self.pool().strdup(ct)?;
        // SAFETY: p lives in the request pool, as ap_set_content_type requires.
        unsafe { sys::ap_set_content_type(self.as_raw(), p) };
        Ok(())
    }

    /// `r->status`.
    pub fn status(&self) -> i32 {
        self.rec().status
    }

    /// Sets `r->status`.
    pub fn set_status(&self, status: i32) {
        // SAFETY: a plain int field written on Apache's thread for this request.
        unsafe { (*self.as_raw()).status = status };
    }

    /// `r->header_only` (a HEAD request).
    pub fn header_only(&self) -> bool {
        self.rec().header_only != 0
    }

    /// `r->proto_num`, e.g. 1001 for HTTP/1.1.
    pub fn proto_num(&self) -> i32 {
        self.rec().proto_num
    }

    /// `r->sent_bodyct`: nonzero once the response body has started.
    pub fn sent_bodyct(&self) -> i64 {
        self.rec().sent_bodyct
    }

    /// Request headers.
    pub fn headers_in(&self) -> &Table {
        self.table(self.rec().headers_in)
    }
    /// Response headers.
    pub fn headers_out(&self) -> &Table {
        self.table(self.rec().headers_out)
    }
    /// Response headers sent even on errors.
    pub fn err_headers_out(&self) -> &Table {
        self.table(self.rec().err_headers_out)
    }
    /// The environment for subprocesses (CGI variables).
    pub fn subprocess_env(&self) -> &Table {
        self.table(self.rec().subprocess_env)
    }
    /// Notes passed between modules.
    pub fn notes(&self) -> &Table {
        self.table(self.rec().notes)
    }

    /// Writes response body bytes (`ap_rwrite`); may block on a slow client.
    ///
    /// # Errors
    /// When the client connection fails or was aborted.
    pub fn write(&self, data: &[u8]) -> Result<(), AprError> {
        for chunk in data.chunks(1 << 30) {
            // SAFETY: chunk is valid for its length; ap_rwrite copies or sends it before returning.
            let n = unsafe {
                sys::ap_rwrite(
                    chunk.as_ptr() as *const _,
                    chunk.len() as i32,
                    self.as_raw(),
                )
            };
            if n < 0 {
                return Err(AprError::from_status(sys::APR_ECONNABORTED as i32));
            }
        }
        Ok(())
    }

    /// Flushes what was written so far to the client (`ap_rflush`).
    ///
    /// # Errors
    /// When the client connection fails.
    pub fn flush(&self) -> Result<(), AprError> {
        // SAFETY: a live request on Apache's thread.
        if unsafe { sys::ap_rflush(self.as_raw()) } < 0 {
            return Err(AprError::from_status(sys::APR_ECONNABORTED as i32));
        }
        Ok(())
    }

    /// Passes `bb` to the first output filter of the request (`ap_pass_brigade`).
    ///
    /// # Errors
    /// The status a filter down the chain returned.
    pub fn pass_brigade(&self, bb: &mut crate::Brigade) -> Result<(), AprError> {
        // SAFETY: output_filters is the live filter chain of this request.
        let status = unsafe { sys::ap_pass_brigade(self.rec().output_filters, bb.as_raw()) };
        AprError::check(status)
    }

    /// A brigade in the request pool using the connection's bucket allocator.
    #[allow(clippy::mut_from_ref)] // each call makes a new brigade
    pub fn new_brigade(&self) -> &mut crate::Brigade {
        // SAFETY: the connection's allocator outlives the request.
        let alloc = unsafe { crate::BucketAlloc::from_raw(self.connection().bucket_alloc_raw()) };
        crate::Brigade::create(self.pool(), alloc)
    }

    /// Adds the `WWW-Authenticate` header for Basic authentication
    /// (`ap_note_basic_auth_failure`).
    pub fn note_basic_auth_failure(&self) {
        // SAFETY: a live request on Apache's thread.
        unsafe { sys::ap_note_basic_auth_failure(self.as_raw()) }
    }

    /// Runs `f` with this request at the end of the request, while it is still whole: a
    /// pre-cleanup of the request pool, which runs before the pool's child pools (where
    /// subrequests, and mod_dir's fast redirects, keep the filename and configuration) are
    /// destroyed and before any ordinary cleanup. Such cleanups run in reverse order of
    /// registration, on the thread that ends the request (under the event MPM, not always
    /// the one that ran its handler).
    pub fn on_end<F: FnOnce(&Request) + Send + 'static>(&self, f: F) {
        let addr = self.as_raw() as usize;
        self.pool().pre_cleanup_register(move || {
            // SAFETY: the request_rec is in the pool being cleaned, untouched so far.
            let r = unsafe { Request::from_raw(addr as *mut sys::request_rec) };
            f(r)
        });
    }

    fn data_slot(&self) -> Option<*mut *mut std::ffi::c_void> {
        let index = usize::try_from(crate::log::module_index()).ok()?;
        // SAFETY: request_config has one slot per loaded module; ours is at our index.
        Some(unsafe { (self.rec().request_config as *mut *mut std::ffi::c_void).add(index) })
    }

    /// This module's per-request value of type `T` (in `r->request_config`), if set. Each
    /// request of an internal-redirect chain has its own, although they share one pool.
    pub fn data<T: Send + 'static>(&self) -> Option<&T> {
        let slot = self.data_slot()?;
        // The slot is NULL or a live Box<dyn Any> stored by set_data: the cleanup that frees
        // the box empties the slot first.
        // SAFETY: our slot of request_config, read on the request's thread.
        unsafe {
            ((*slot) as *const Box<dyn std::any::Any + Send>)
                .as_ref()?
                .downcast_ref::<T>()
        }
    }

    /// Stores this module's per-request value and returns it. It is dropped by an ordinary
    /// cleanup of the request pool, which empties the slot first, so [`Request::data`] never
    /// reads a freed value.
    ///
    /// # Panics
    /// When called before Apache registered the module (no module index yet).
    pub fn set_data<T: Send + 'static>(&self, value: T) -> &T {
        let slot = self.data_slot().expect("module registered");
        let boxed: Box<Box<dyn std::any::Any + Send>> = Box::new(Box::new(value));
        let ptr = Box::into_raw(boxed);
        let (slot_addr, ptr_addr) = (slot as usize, ptr as usize);
        self.pool().cleanup_register(move || {
            let (slot, ptr) = (
                slot_addr as *mut *mut std::ffi::c_void,
                ptr_addr as *mut Box<dyn std::any::Any + Send>,
            );
            // The request_config vector lives in the same pool, not yet released.
            // SAFETY: empty the slot if it still points at our box, then drop the box once.
            unsafe {
                if *slot == ptr as *mut std::ffi::c_void {
                    *slot = std::ptr::null_mut();
                }
                drop(Box::from_raw(ptr));
            }
        });
        // SAFETY: our slot of request_config; the box lives until the cleanup above.
        unsafe {
            *slot = ptr as *mut std::ffi::c_void;
            (*ptr)
                .downcast_ref::<T>()
                .expect("value stored with its own type")
        }
    }

    pub(crate) fn per_dir_config_raw(&self) -> *mut sys::ap_conf_vector_t {
        self.rec().per_dir_config
    }
}
