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
