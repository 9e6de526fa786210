//! Error and status types of the binding layer: APR status codes and hook results.

use crate::sys;
use std::ffi::CStr;

/// An error reported by APR or by a conversion at the boundary.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AprError {
    /// A non-success `apr_status_t`, with the text `apr_strerror` gives for it.
    #[error("{message} (APR status {status})")]
    Status {
        /// The raw `apr_status_t`.
        status: i32,
        /// The text of `apr_strerror`.
        message: String,
    },
    /// A string handed to C contained a NUL byte.
    #[error("string contains a NUL byte")]
    InteriorNul,
    /// End of input, where that is an error (`APR_EOF`).
    #[error("end of file")]
    Eof,
}

/// An APR status as a filter answers it to the filter that called it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AprStatus(sys::apr_status_t);

impl AprStatus {
    /// `APR_SUCCESS`.
    pub const SUCCESS: AprStatus = AprStatus(sys::APR_SUCCESS as sys::apr_status_t);
    /// `APR_EGENERAL`: a failure with no better code.
    pub const GENERAL_ERROR: AprStatus = AprStatus(sys::APR_EGENERAL as sys::apr_status_t);

    /// The status for the outcome of a call: the failing status, `APR_EOF` for the end of
    /// input, `APR_EGENERAL` for an error APR did not report.
    pub fn of(result: Result<(), AprError>) -> AprStatus {
        match result {
            Ok(()) => AprStatus::SUCCESS,
            Err(AprError::Status { status, .. }) => AprStatus(status),
            Err(AprError::Eof) => AprStatus(sys::APR_EOF as sys::apr_status_t),
            Err(AprError::InteriorNul) => AprStatus::GENERAL_ERROR,
        }
    }

    /// True for `APR_SUCCESS`.
    pub fn is_success(self) -> bool {
        self == AprStatus::SUCCESS
    }

    pub(crate) fn to_raw(self) -> sys::apr_status_t {
        self.0
    }
}

impl AprError {
    /// Turns an `apr_status_t` into `Ok(())` or the error with its text.
    pub fn check(status: sys::apr_status_t) -> Result<(), AprError> {
        if status == sys::APR_SUCCESS as sys::apr_status_t {
            return Ok(());
        }
        if status == sys::APR_EOF as sys::apr_status_t {
            return Err(AprError::Eof);
        }
        Err(AprError::from_status(status))
    }

    /// Builds the error for a non-success status.
    pub fn from_status(status: sys::apr_status_t) -> AprError {
        let mut buf = [0 as std::ffi::c_char; 256];
        // SAFETY: apr_strerror writes at most buf.len() bytes, NUL-terminated, into buf.
        let message = unsafe {
            sys::apr_strerror(status, buf.as_mut_ptr(), buf.len());
            CStr::from_ptr(buf.as_ptr()).to_string_lossy().into_owned()
        };
        AprError::Status { status, message }
    }
}

/// What a request hook answers Apache: carry on, not mine, finished, or an HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookResult {
    /// `OK`: this phase is handled.
    Ok,
    /// `DECLINED`: let other modules handle this phase.
    Declined,
    /// `DONE`: the request is finished; skip the remaining phases.
    Done,
    /// An HTTP status (e.g. 500) that ends the request with that error.
    Status(i32),
}

impl HookResult {
    /// The C integer Apache expects.
    pub fn to_raw(self) -> i32 {
        match self {
            HookResult::Ok => sys::OK as i32,
            HookResult::Declined => sys::DECLINED,
            HookResult::Done => sys::DONE,
            HookResult::Status(code) => code,
        }
    }

    /// Reads the integer a handler returned (`0`, `-1`, `-2` or a status).
    pub fn from_raw(raw: i32) -> HookResult {
        match raw {
            0 => HookResult::Ok,
            -1 => HookResult::Declined,
            -2 => HookResult::Done,
            code => HookResult::Status(code),
        }
    }

    /// `500 Internal Server Error`.
    pub const SERVER_ERROR: HookResult = HookResult::Status(500);
}
