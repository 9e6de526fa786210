//! Writing to Apache's error log with the request, connection or server context, and with
//! the Rust file and line so Apache's `[file:line]` prefix points at our code.
//!
//! The macros check the log level before formatting anything. See
//! <https://httpd.apache.org/docs/2.4/developer/modguide.html> and `http_log.h`.

use crate::connection::Connection;
use crate::request::Request;
use crate::server::Server;
use crate::sys;
use std::ffi::{c_char, CString};
use std::sync::atomic::{AtomicI32, Ordering};

/// Our module's index in Apache's module list; set when Apache registers our hooks.
/// `-1` (`APLOG_NO_MODULE`) until then.
static MODULE_INDEX: AtomicI32 = AtomicI32::new(-1);

pub(crate) fn set_module_index(index: i32) {
    MODULE_INDEX.store(index, Ordering::Relaxed);
}

pub(crate) fn module_index() -> i32 {
    MODULE_INDEX.load(Ordering::Relaxed)
}

/// Apache/syslog log levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(i32)]
pub enum LogLevel {
    /// `APLOG_EMERG`
    Emerg = 0,
    /// `APLOG_ALERT`
    Alert = 1,
    /// `APLOG_CRIT`
    Crit = 2,
    /// `APLOG_ERR`
    Err = 3,
    /// `APLOG_WARNING`
    Warning = 4,
    /// `APLOG_NOTICE`
    Notice = 5,
    /// `APLOG_INFO`
    Info = 6,
    /// `APLOG_DEBUG`
    Debug = 7,
}

impl LogLevel {
    /// The level for a syslog number (`APLOG_*`); out-of-range numbers clamp.
    pub fn from_raw(level: i32) -> LogLevel {
        use LogLevel::*;
        if level < 0 {
            return Emerg;
        }
        match level & sys::APLOG_LEVELMASK as i32 {
            0 => Emerg,
            1 => Alert,
            2 => Crit,
            3 => Err,
            4 => Warning,
            5 => Notice,
            6 => Info,
            _ => Debug,
        }
    }

    /// The level a mod_python `log_error(message, level)` call asks for: as
    /// [`LogLevel::from_raw`], except that 0 (`APLOG_EMERG`) means "not given" and logs at
    /// ERR, a quirk mod_python has and we keep.
    pub fn from_mod_python(level: i64) -> LogLevel {
        match level {
            0 => LogLevel::Err,
            l => LogLevel::from_raw(i32::try_from(l).unwrap_or(i32::MAX)),
        }
    }
}

fn c_message(msg: &str) -> CString {
    CString::new(msg.replace('\0', "\\0")).unwrap_or_default()
}

fn c_file(file: &str) -> CString {
    CString::new(file).unwrap_or_default()
}

/// True when a message at `level` for this request would be written.
pub fn request_enabled(r: &Request, level: LogLevel) -> bool {
    // SAFETY: a live request; the function only reads its log configuration.
    let configured = unsafe { sys::ap_get_request_module_loglevel(r.as_raw(), module_index()) };
    level <= LogLevel::Notice || configured >= level as i32
}

/// True when a message at `level` for this server (or the main server) would be written.
pub fn server_enabled(s: Option<&Server>, level: LogLevel) -> bool {
    match s {
        None => true,
        Some(s) => {
            let (server, index) = (s.as_raw(), module_index());
            // SAFETY: a live server_rec; the function only reads its log configuration.
            let configured = unsafe { sys::ap_get_server_module_loglevel(server, index) };
            level <= LogLevel::Notice || configured >= level as i32
        }
    }
}

/// Writes one line for a request. Prefer the [`rlog!`](crate::rlog) macro.
pub fn request_at(r: &Request, level: LogLevel, file: &str, line: u32, msg: &str) {
    let (f, m) = (c_file(file), c_message(msg));
    // SAFETY: a live request; "%s" with a NUL-terminated message.
    unsafe {
        sys::ap_log_rerror_(
            f.as_ptr(),
            line as i32,
            module_index(),
            level as i32,
            0,
            r.as_raw(),
            c"%s".as_ptr(),
            m.as_ptr() as *const c_char,
        )
    };
}

/// Writes one line for a server (`None`: the main server's log). Prefer [`slog!`](crate::slog).
pub fn server_at(s: Option<&Server>, level: LogLevel, file: &str, line: u32, msg: &str) {
    let (f, m) = (c_file(file), c_message(msg));
    let s = s.map_or(std::ptr::null_mut(), Server::as_raw);
    // SAFETY: s is NULL or a live server_rec; "%s" with a NUL-terminated message.
    unsafe {
        sys::ap_log_error_(
            f.as_ptr(),
            line as i32,
            module_index(),
            level as i32,
            0,
            s,
            c"%s".as_ptr(),
            m.as_ptr() as *const c_char,
        )
    };
}

/// Writes one line for a connection.
pub fn connection_at(c: &Connection, level: LogLevel, file: &str, line: u32, msg: &str) {
    server_at(Some(c.base_server()), level, file, line, msg);
}

/// Logs for a request: `rlog!(r, LogLevel::Err, "format {}", args)`.
#[macro_export]
macro_rules! rlog {
    ($r:expr, $level:expr, $($arg:tt)+) => {{
        let (r, level) = ($r, $level);
        if $crate::log::request_enabled(r, level) {
            $crate::log::request_at(r, level, file!(), line!(), &format!($($arg)+));
        }
    }};
}

/// Logs for a server (`Option<&Server>`): `slog!(Some(s), LogLevel::Info, "...")`.
#[macro_export]
macro_rules! slog {
    ($s:expr, $level:expr, $($arg:tt)+) => {{
        let (s, level) = ($s, $level);
        if $crate::log::server_enabled(s, level) {
            $crate::log::server_at(s, level, file!(), line!(), &format!($($arg)+));
        }
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_clamp_and_mask() {
        assert_eq!(LogLevel::from_raw(3), LogLevel::Err);
        assert_eq!(LogLevel::from_raw(-5), LogLevel::Emerg);
        assert_eq!(LogLevel::from_raw(7 | 0x100), LogLevel::Debug);
        assert_eq!(LogLevel::from_raw(12), LogLevel::Debug);
    }
}
