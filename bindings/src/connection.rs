//! `conn_rec`: one client connection. See
//! <https://ci.apache.org/projects/httpd/trunk/doxygen/structconn__rec.html>.

use crate::pool::Pool;
use crate::server::Server;
use crate::strings::opt_bytes;
use crate::sys;
use crate::table::Table;
use std::cell::UnsafeCell;

/// A view of a `conn_rec`.
#[repr(transparent)]
pub struct Connection(UnsafeCell<sys::conn_rec>);

impl Connection {
    /// Borrows a connection.
    ///
    /// # Safety
    /// `c` is a valid `conn_rec` whose pool lives for `'a`, used on this thread.
    pub unsafe fn from_raw<'a>(c: *mut sys::conn_rec) -> &'a Connection {
        // SAFETY: repr(transparent) over UnsafeCell<conn_rec>; valid for 'a per the caller.
        unsafe { &*(c as *const Connection) }
    }

    fn rec(&self) -> &sys::conn_rec {
        // SAFETY: fields are read on the connection's own thread through a short borrow.
        unsafe { &*self.0.get() }
    }

    /// The connection pool.
    pub fn pool(&self) -> &Pool {
        // SAFETY: the connection pool lives as long as the connection.
        unsafe { Pool::from_raw(self.rec().pool) }
    }

    /// The server the connection arrived on (before virtual host selection).
    pub fn base_server(&self) -> &Server {
        // SAFETY: server_recs live for the configuration generation.
        unsafe { Server::from_raw(self.rec().base_server) }
    }

    /// The client's IP address as text.
    pub fn client_ip(&self) -> Option<&[u8]> {
        // SAFETY: a NUL-terminated string in the connection pool.
        unsafe { opt_bytes(self.rec().client_ip) }
    }

    /// The local IP address as text.
    pub fn local_ip(&self) -> Option<&[u8]> {
        // SAFETY: a NUL-terminated string in the connection pool.
        unsafe { opt_bytes(self.rec().local_ip) }
    }

    /// The connection's id, unique among live connections.
    pub fn id(&self) -> i64 {
        self.rec().id
    }

    /// Notes attached to the connection.
    pub fn notes(&self) -> &Table {
        // SAFETY: the notes table lives in the connection pool.
        unsafe { Table::from_raw(self.rec().notes) }
    }

    pub(crate) fn bucket_alloc_raw(&self) -> *mut sys::apr_bucket_alloc_t {
        self.rec().bucket_alloc
    }
}

impl Connection {
    fn addr(a: *mut sys::apr_sockaddr_t) -> Option<(String, u16)> {
        if a.is_null() {
            return None;
        }
        let mut ip: *mut std::ffi::c_char = std::ptr::null_mut();
        // SAFETY: a is a live sockaddr; ip receives a string in the sockaddr's pool.
        unsafe {
            if sys::apr_sockaddr_ip_get(&mut ip, a) != sys::APR_SUCCESS as i32 || ip.is_null() {
                return None;
            }
            let text = std::ffi::CStr::from_ptr(ip).to_string_lossy().into_owned();
            Some((text, (*a).port))
        }
    }

    /// The local address and port.
    pub fn local_addr(&self) -> Option<(String, u16)> {
        Connection::addr(self.rec().local_addr)
    }

    /// The client's address and port.
    pub fn client_addr(&self) -> Option<(String, u16)> {
        Connection::addr(self.rec().client_addr)
    }

    /// `c->remote_host` (set by a reverse lookup, if any).
    pub fn remote_host(&self) -> Option<&[u8]> {
        // SAFETY: a NUL-terminated string in the connection pool, or NULL.
        unsafe { opt_bytes(self.rec().remote_host) }
    }

    /// `c->remote_logname` (from identd, if any).
    pub fn remote_logname(&self) -> Option<&[u8]> {
        // SAFETY: as above.
        unsafe { opt_bytes(self.rec().remote_logname) }
    }

    /// `c->local_host`.
    pub fn local_host(&self) -> Option<&[u8]> {
        // SAFETY: as above.
        unsafe { opt_bytes(self.rec().local_host) }
    }

    /// True when the connection was aborted.
    pub fn aborted(&self) -> bool {
        self.rec().aborted != 0
    }

    /// `c->keepalive` (`AP_CONN_*`).
    pub fn keepalive(&self) -> i32 {
        self.rec().keepalive as i32
    }

    /// Sets `c->keepalive`.
    pub fn set_keepalive(&self, v: i32) {
        // SAFETY: a plain field written on the connection's own thread.
        unsafe { (*self.0.get()).keepalive = v as sys::ap_conn_keepalive_e };
    }

    /// No keep-alive after the response being served: the connection closes once it is
    /// sent (`AP_CONN_CLOSE`).
    pub fn close_after_response(&self) {
        self.set_keepalive(sys::AP_CONN_CLOSE as i32);
    }

    /// `c->keepalives`: requests served on this connection.
    pub fn keepalives(&self) -> i32 {
        self.rec().keepalives
    }

    /// `c->double_reverse`.
    pub fn double_reverse(&self) -> i32 {
        self.rec().double_reverse()
    }
}

impl Connection {
    #[allow(clippy::mut_from_ref)] // each call makes a new brigade
    fn new_brigade(&self) -> &mut crate::Brigade {
        // SAFETY: the connection's allocator lives as long as the connection.
        let alloc = unsafe { crate::BucketAlloc::from_raw(self.rec().bucket_alloc) };
        crate::Brigade::create(self.pool(), alloc)
    }

    /// Reads from the client through the connection's input filters: up to `max` bytes (a
    /// line with `line`), blocking until at least one byte (or the end) arrives; empty at
    /// the end of the stream.
    ///
    /// # Errors
    /// A read error or timeout (Apache's `Timeout`).
    pub fn read(
        &self,
        scratch: &mut crate::Brigade,
        max: usize,
        line: bool,
    ) -> Result<Vec<u8>, crate::AprError> {
        let mode = if line {
            sys::AP_MODE_GETLINE
        } else {
            sys::AP_MODE_READBYTES
        };
        let n = i64::try_from(max.max(1)).unwrap_or(i64::MAX);
        let rc = self.get_brigade_waiting(scratch, mode, n);
        if rc == sys::APR_EOF as i32 {
            scratch.cleanup();
            return Ok(Vec::new());
        }
        crate::AprError::check(rc)?;
        let data = scratch.flatten();
        scratch.cleanup();
        data
    }

    /// A blocking `ap_get_brigade` on the connection's input filters that waits at most the
    /// server's `Timeout`, in slices of a second when the socket is plain TCP, so that a
    /// stopping server is noticed (the event MPM closes a waiting connection's socket, which
    /// does not wake a thread already in `poll`). TLS connections wait in one piece: a
    /// timeout in the middle of mod_ssl's reads is not safe to retry.
    fn get_brigade_waiting(
        &self,
        bb: &mut crate::Brigade,
        mode: sys::ap_input_mode_t,
        n: i64,
    ) -> i32 {
        let get = || {
            // SAFETY: the connection's live input filter chain; bb is the caller's.
            unsafe {
                sys::ap_get_brigade(
                    self.rec().input_filters,
                    bb.as_raw(),
                    mode,
                    sys::APR_BLOCK_READ,
                    n,
                )
            }
        };
        // SAFETY: the connection's own socket, NULL for secondary connections (checked).
        let sock = unsafe { sys::ap_get_conn_socket(self.0.get()) };
        // SAFETY: base_server is a live server_rec.
        let total = unsafe { (*self.rec().base_server).timeout };
        const SLICE: i64 = 1_000_000;
        if sock.is_null() || total <= SLICE || self.is_https() {
            return get();
        }
        // SAFETY: sock is the connection's live socket, used only by this thread.
        unsafe { sys::apr_socket_timeout_set(sock, SLICE) };
        let mut waited = 0;
        let rc = loop {
            let rc = get();
            waited += SLICE;
            // Partial data (a line not yet complete) stays in bb; the next read appends.
            if rc == sys::APR_TIMEUP as i32 && waited < total && !crate::module::mpm_stopping() {
                continue;
            }
            break rc;
        };
        // SAFETY: as above; restores what the core set for the connection.
        unsafe { sys::apr_socket_timeout_set(sock, total) };
        rc
    }

    /// True when the connection uses TLS (mod_ssl's `ssl_is_https`, if loaded).
    pub fn is_https(&self) -> bool {
        type IsHttps = unsafe extern "C" fn(*mut sys::conn_rec) -> std::ffi::c_int;
        // SAFETY: mod_ssl registers "ssl_is_https" with exactly this signature.
        unsafe {
            match sys::apr_dynamic_fn_retrieve(c"ssl_is_https".as_ptr()) {
                Some(f) => {
                    let f: IsHttps = std::mem::transmute::<unsafe extern "C" fn(), IsHttps>(f);
                    f(self.0.get()) != 0
                }
                None => false,
            }
        }
    }

    /// A brigade for [`Connection::read`] to reuse (in the connection pool).
    pub fn scratch_brigade(&self) -> &mut crate::Brigade {
        self.new_brigade()
    }

    /// Writes `data` to the client and flushes it, through the connection's output filters.
    ///
    /// # Errors
    /// When the client went away.
    pub fn write(&self, scratch: &mut crate::Brigade, data: &[u8]) -> Result<(), crate::AprError> {
        scratch.append_copy(data);
        scratch.append_flush();
        // SAFETY: the connection's live output filter chain.
        let rc = unsafe { sys::ap_pass_brigade(self.rec().output_filters, scratch.as_raw()) };
        scratch.cleanup();
        crate::AprError::check(rc)
    }
}
