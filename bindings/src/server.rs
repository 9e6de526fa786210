//! `server_rec`: the main server or one virtual host. See
//! <https://ci.apache.org/projects/httpd/trunk/doxygen/structserver__rec.html>.
//!
//! Server records live for one configuration generation (until a restart).

use crate::strings::opt_bytes;
use crate::sys;
use std::cell::UnsafeCell;

/// A view of a `server_rec`.
#[repr(transparent)]
pub struct Server(UnsafeCell<sys::server_rec>);

impl Server {
    /// Borrows a server record.
    ///
    /// # Safety
    /// `s` is a valid `server_rec` of the current configuration generation.
    pub unsafe fn from_raw<'a>(s: *mut sys::server_rec) -> &'a Server {
        // SAFETY: repr(transparent) over UnsafeCell<server_rec>; valid for 'a per the caller.
        unsafe { &*(s as *const Server) }
    }

    pub(crate) fn as_raw(&self) -> *mut sys::server_rec {
        self.0.get()
    }

    fn rec(&self) -> &sys::server_rec {
        // SAFETY: server_recs are not modified after configuration; read through a short borrow.
        unsafe { &*self.0.get() }
    }

    /// `ServerName` of this (virtual) server.
    pub fn server_hostname(&self) -> Option<&[u8]> {
        // SAFETY: a NUL-terminated string in the configuration pool.
        unsafe { opt_bytes(self.rec().server_hostname) }
    }

    /// The port from `ServerName`, or 0.
    pub fn port(&self) -> u16 {
        self.rec().port
    }

    /// True for a `<VirtualHost>`.
    pub fn is_virtual(&self) -> bool {
        self.rec().is_virtual != 0
    }

    /// The file where this server was defined.
    pub fn defn_name(&self) -> Option<&[u8]> {
        // SAFETY: a NUL-terminated string in the configuration pool.
        unsafe { opt_bytes(self.rec().defn_name) }
    }

    /// The line where this server was defined.
    pub fn defn_line_number(&self) -> u32 {
        self.rec().defn_line_number
    }

    /// `ServerAdmin`.
    pub fn server_admin(&self) -> Option<&[u8]> {
        // SAFETY: a NUL-terminated string in the configuration pool.
        unsafe { opt_bytes(self.rec().server_admin) }
    }

    /// The `ErrorLog` as written.
    pub fn error_fname(&self) -> Option<&[u8]> {
        // SAFETY: a NUL-terminated string in the configuration pool.
        unsafe { opt_bytes(self.rec().error_fname) }
    }

    /// The server's `LogLevel` (the level of its main log, `APLOG_*`).
    pub fn log_level(&self) -> i32 {
        self.rec().log.level
    }

    /// `Timeout` and `KeepAliveTimeout`, in microseconds.
    pub fn timeouts(&self) -> (i64, i64) {
        let r = self.rec();
        (r.timeout, r.keep_alive_timeout)
    }

    /// `MaxKeepAliveRequests` and `KeepAlive` (1 on).
    pub fn keep_alive(&self) -> (i32, i32) {
        let r = self.rec();
        (r.keep_alive_max, r.keep_alive)
    }

    /// `ServerPath` and its length.
    pub fn path(&self) -> (Option<&[u8]>, i32) {
        let r = self.rec();
        // SAFETY: a NUL-terminated string in the configuration pool.
        (unsafe { opt_bytes(r.path) }, r.pathlen)
    }

    /// `ServerAlias` names, without and with wildcards.
    pub fn names(&self) -> (Vec<&[u8]>, Vec<&[u8]>) {
        let r = self.rec();
        // SAFETY: arrays of strings in the configuration pool.
        unsafe {
            (
                crate::strings::string_array(r.names),
                crate::strings::string_array(r.wild_names),
            )
        }
    }

    /// `LimitRequestLine`, `LimitRequestFieldSize`, `LimitRequestFields`.
    pub fn request_limits(&self) -> (i32, i32, i32) {
        let r = self.rec();
        (r.limit_req_line, r.limit_req_fieldsize, r.limit_req_fields)
    }

    /// The next server in the list (main server first, then the virtual hosts).
    pub fn next(&self) -> Option<&Server> {
        let n = self.rec().next;
        // SAFETY: server_recs live for the configuration generation.
        (!n.is_null()).then(|| unsafe { Server::from_raw(n) })
    }

    /// The process pool (lives until the parent exits).
    pub fn process_pool(&self) -> &crate::Pool {
        // SAFETY: the process record and its pool live for the whole process.
        unsafe { crate::Pool::from_raw((*self.rec().process).pool) }
    }

    /// `ServerRoot`, read from httpd's own global: nothing is allocated (the process pool,
    /// which a child never clears, is not thread-safe).
    pub fn server_root(&self) -> String {
        // SAFETY: ap_server_root is set while the configuration is read and only read after.
        let p = unsafe { sys::ap_server_root };
        // SAFETY: NULL or a NUL-terminated string in the configuration pool.
        let root = unsafe { crate::strings::opt_bytes(p) };
        let root = root
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default();
        match root.strip_suffix('/') {
            Some(r) if !r.is_empty() => r.to_string(),
            _ => root,
        }
    }

    /// The address of the record, as an identity.
    pub fn id(&self) -> usize {
        self.0.get() as usize
    }

    pub(crate) fn module_config_raw(&self) -> *mut sys::ap_conf_vector_t {
        self.rec().module_config
    }
}
