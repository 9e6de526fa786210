//! Apache filters (`ap_filter_t`): the view a filter callback gets, passing brigades on to
//! the next filter, and per-filter state. See
//! <https://httpd.apache.org/docs/2.4/developer/output-filters.html>.

use crate::brigade::{Brigade, BucketAlloc};
use crate::connection::Connection;
use crate::error::AprError;
use crate::request::Request;
use crate::strings::opt_bytes;
use crate::sys;
use std::cell::UnsafeCell;

/// What the reader of an input filter asks for (`ap_input_mode_t`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputMode(sys::ap_input_mode_t);

impl InputMode {
    /// Up to a number of bytes (`AP_MODE_READBYTES`).
    pub const READ_BYTES: InputMode = InputMode(sys::AP_MODE_READBYTES);
    /// One line (`AP_MODE_GETLINE`).
    pub const GET_LINE: InputMode = InputMode(sys::AP_MODE_GETLINE);

    /// True for the modes that hand data to the reader (bytes or a line); the others
    /// (speculative reads, eating blank lines, connection set-up) pass through filters.
    pub fn reads_data(self) -> bool {
        self == InputMode::READ_BYTES || self == InputMode::GET_LINE
    }

    pub(crate) fn from_raw(mode: sys::ap_input_mode_t) -> InputMode {
        InputMode(mode)
    }
}

/// A view of one filter instance in a chain.
#[repr(transparent)]
pub struct Filter(UnsafeCell<sys::ap_filter_t>);

impl Filter {
    /// Borrows a filter Apache handed to a filter callback.
    ///
    /// # Safety
    /// `f` is the live filter of the current callback, used on this thread during it.
    pub unsafe fn from_raw<'a>(f: *mut sys::ap_filter_t) -> &'a Filter {
        // SAFETY: repr(transparent) over UnsafeCell<ap_filter_t>; valid for 'a per the caller.
        unsafe { &*(f as *const Filter) }
    }

    fn rec(&self) -> &sys::ap_filter_t {
        // SAFETY: read through a short borrow on the callback's thread.
        unsafe { &*self.0.get() }
    }

    /// The request, for a request-level filter.
    pub fn request(&self) -> Option<&Request> {
        let r = self.rec().r;
        // SAFETY: f->r is NULL or the live request the filter runs for.
        (!r.is_null()).then(|| unsafe { Request::from_raw(r) })
    }

    /// The connection.
    pub fn connection(&self) -> &Connection {
        // SAFETY: f->c is the live connection of the filter.
        unsafe { Connection::from_raw(self.rec().c) }
    }

    /// The filter's registered name (lower-cased by Apache).
    pub fn name(&self) -> &[u8] {
        let frec = self.rec().frec;
        if frec.is_null() {
            return b"";
        }
        // SAFETY: filter records and their names live for the whole configuration.
        unsafe { opt_bytes((*frec).name) }.unwrap_or(b"")
    }

    /// A new empty brigade in the request (or connection) pool.
    #[allow(clippy::mut_from_ref)] // each call makes a new brigade
    pub fn new_brigade(&self) -> &mut Brigade {
        let c = self.connection();
        let pool = match self.request() {
            Some(r) => r.pool(),
            None => c.pool(),
        };
        // SAFETY: the connection's allocator outlives the request.
        let alloc = unsafe { BucketAlloc::from_raw(c.bucket_alloc_raw()) };
        Brigade::create(pool, alloc)
    }

    /// Passes `bb` to the next output filter (`ap_pass_brigade`).
    ///
    /// # Errors
    /// The status a filter down the chain returned (e.g. the client went away).
    pub fn pass_brigade(&self, bb: &mut Brigade) -> Result<(), AprError> {
        // SAFETY: f->next is the rest of the live chain.
        AprError::check(unsafe { sys::ap_pass_brigade(self.rec().next, bb.as_raw()) })
    }

    /// Reads from the previous input filter into `bb` (`ap_get_brigade`).
    ///
    /// # Errors
    /// The status of the read.
    pub fn get_brigade(
        &self,
        bb: &mut Brigade,
        mode: InputMode,
        block: bool,
        readbytes: i64,
    ) -> Result<(), AprError> {
        let block = if block {
            sys::APR_BLOCK_READ
        } else {
            sys::APR_NONBLOCK_READ
        };
        // SAFETY: f->next is the rest of the live input chain.
        AprError::check(unsafe {
            sys::ap_get_brigade(self.rec().next, bb.as_raw(), mode.0, block, readbytes)
        })
    }

    /// Removes this output filter from its chain.
    pub fn remove_output(&self) {
        // SAFETY: a live filter of the current chain.
        unsafe { sys::ap_remove_output_filter(self.0.get()) }
    }

    /// This filter instance's state of type `T`, if set.
    pub fn ctx<T: Send + 'static>(&self) -> Option<&T> {
        let p = self.rec().ctx as *const Box<dyn std::any::Any + Send>;
        // SAFETY: ctx is NULL or the Box<dyn Any> stored by set_ctx, alive with its pool.
        unsafe { p.as_ref() }.and_then(|b| b.downcast_ref::<T>())
    }

    /// Stores this filter instance's state (dropped with the request or connection pool).
    pub fn set_ctx<T: Send + 'static>(&self, value: T) -> &T {
        let pool = match self.request() {
            Some(r) => r.pool(),
            None => self.connection().pool(),
        };
        let boxed: &mut Box<dyn std::any::Any + Send> = pool.alloc(Box::new(value));
        let ptr = boxed as *mut Box<dyn std::any::Any + Send>;
        // The box lives in the pool of the filter's request or connection.
        // SAFETY: writing the ctx field of the live filter, on its thread.
        unsafe {
            (*self.0.get()).ctx = ptr as *mut std::ffi::c_void;
            (*ptr)
                .downcast_ref::<T>()
                .expect("value stored with its own type")
        }
    }
}
