//! The `mp_conn` type: the Python view of a client connection, `req.connection`.
//!
//! A connection object made from a request reaches the `conn_rec` through that request's
//! lease, so it is usable while the request lives (the connection outlives its requests);
//! a connection handler's object through a lease of its own, while the handler runs. Either
//! way only on the thread serving it; anything else raises instead of touching freed memory
//! or racing that thread.

use crate::apache_module::{log_lines, state_of};
use crate::dispatch::{call_python, CallSite, LogTo};
use crate::native::{native_attributes, native_methods, native_type};
use crate::py::{Obj, PyErr, PyResult, Python};
use crate::request::{lease_error, RequestLease};
use crate::table::{new_request_table, RequestTable};
use bindings::{Brigade, Connection, Lease, LogLevel};
use pyo3_ffi as ffi;
use std::mem::ManuallyDrop;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// What a connection handler's `conn` object reaches while the handler runs: the
/// connection and the brigade its reads and writes go through.
pub(crate) struct DirectConn {
    conn: NonNull<Connection>,
    scratch: NonNull<Brigade>,
}

impl DirectConn {
    /// The connection the handler serves.
    pub(crate) fn connection(&self) -> &Connection {
        // While leased, the connection is alive, used on this thread only.
        // SAFETY: the connection outlives the lease.
        unsafe { self.conn.as_ref() }
    }
}

enum ConnSource {
    Request(Arc<RequestLease>),
    Direct(Arc<Lease<DirectConn>>),
}

#[repr(C)]
struct ConnObject {
    ob_base: ffi::PyObject,
    notes: *mut ffi::PyObject,
    /// `conn.hlist` of a connection handler (an `mp_hlist`), or NULL.
    hlist: *mut ffi::PyObject,
    handle: ManuallyDrop<ConnSource>,
}

/// A connection object for the connection of the request behind `handle`.
pub(crate) fn new_request_connection<'py>(
    py: Python<'py>,
    ty: *mut ffi::PyObject,
    lease: Arc<RequestLease>,
) -> PyResult<'py, Obj<'py>> {
    new_connection(py, ty, ConnSource::Request(lease))
}

fn new_connection<'py>(
    py: Python<'py>,
    ty: *mut ffi::PyObject,
    source: ConnSource,
) -> PyResult<'py, Obj<'py>> {
    // SAFETY: ty is our connection heap type; fields are written before Python sees it.
    unsafe {
        crate::native::alloc_object(py, ty, |raw: *mut ConnObject| {
            std::ptr::addr_of_mut!((*raw).handle).write(ManuallyDrop::new(source));
        })
    }
}

/// Runs the `PythonConnectionHandler` of the connection's server; `Declined` when none.
pub fn run_connection_handler(c: &Connection) -> bindings::HookResult {
    use bindings::HookResult;
    let s = c.base_server();
    let Some(config) = crate::server_config(s) else {
        return HookResult::Declined;
    };
    let Some(entry) = config.connection_handlers.first().cloned() else {
        return HookResult::Declined;
    };
    let server_name = s
        .server_hostname()
        .map(|h| String::from_utf8_lossy(h).into_owned())
        .unwrap_or_default();
    let interpreter =
        config
            .settings
            .interpreter_name(&server_name, None, entry.directory.as_deref());
    let call = DirectConn {
        conn: NonNull::from(c),
        scratch: NonNull::from(c.scratch_brigade()),
    };
    // `call` lives on this stack frame; the lease is revoked before it returns.
    // SAFETY: the target outlives the lease, ended on the owning thread.
    let lease = Arc::new(unsafe { Lease::new(&call) });
    let context =
        |w: &mut dyn std::fmt::Write| write!(w, "PythonConnectionHandler {}", entry.handler);
    let site = CallSite {
        context: &context,
        log: LogTo::Server(s),
        timeout: config.settings.request_timeout(),
        kind: status::Kind::Connection,
    };
    let rc = call_python(&interpreter, &site, |py, interp| {
        let module = interp.native_module(py);
        // SAFETY: the interpreter's _apache module; its state holds the connection type.
        let ty = unsafe { crate::apache_module::module_state(module.as_ptr()) }.conn_type;
        let conn = new_connection(py, ty, ConnSource::Direct(lease.clone()))?;
        let settings = &config.settings;
        interp
            .apache_package(py)
            .call_method(
                "_connection_dispatch",
                vec![
                    conn,
                    crate::dispatch::handler_tuple(py, &entry)?,
                    py.bool(settings.debug()),
                    py.bool(settings.auto_reload()),
                    py.opt_str(settings.python_path())?,
                ],
            )?
            .to_i64()
    });
    lease.revoke();
    // The handler's own errors are logged by the dispatcher, which then answers OK.
    rc.map_or(HookResult::SERVER_ERROR, |rc| {
        HookResult::from_raw(rc.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32)
    })
}

/// What the methods and attributes of an `mp_conn` work on: the connection, and while a
/// connection handler runs, what its reads and writes go through.
struct ConnView<'py> {
    conn: &'py Connection,
    handler: Option<&'py DirectConn>,
}

impl<'py> ConnView<'py> {
    /// The connection handler's connection, for reading and writing.
    fn handler(&self, py: Python<'py>) -> PyResult<'py, (&'py Connection, &'py DirectConn)> {
        self.handler.map(|d| (self.conn, d)).ok_or_else(|| {
            PyErr::os_error(
                py,
                "read and write are for connection handlers (PythonConnectionHandler)",
            )
        })
    }
}

/// The connection behind `slf`, on the thread serving it, while its request or handler
/// runs.
///
/// # Safety
/// `slf` is an `mp_conn` object.
unsafe fn view<'py>(py: Python<'py>, slf: *mut ffi::PyObject) -> PyResult<'py, ConnView<'py>> {
    // SAFETY: slf is an mp_conn, so its source is initialised.
    let source: &'py ConnSource = unsafe { &crate::native::layout::<ConnObject>(slf).handle };
    match source {
        ConnSource::Request(lease) => match lease.get() {
            Ok(r) => Ok(ConnView {
                conn: r.connection(),
                handler: None,
            }),
            Err(e) => Err(lease_error(py, e, "connection")),
        },
        ConnSource::Direct(lease) => match lease.get() {
            Ok(d) => Ok(ConnView {
                // While leased, the connection is alive, used on this thread only.
                // SAFETY: the connection outlives the lease.
                conn: unsafe { d.conn.as_ref() },
                handler: Some(d),
            }),
            Err(bindings::LeaseError::Ended) => Err(PyErr::runtime_error(
                py,
                "the connection handler has returned; this object is no longer usable",
            )),
            Err(e) => Err(lease_error(py, e, "connection")),
        },
    }
}

/// The connection behind `slf` (see [`view`]).
///
/// # Safety
/// `slf` is an `mp_conn` object.
unsafe fn conn<'py>(py: Python<'py>, slf: *mut ffi::PyObject) -> PyResult<'py, &'py Connection> {
    // SAFETY: per this function's contract.
    unsafe { view(py, slf) }.map(|v| v.conn)
}

fn addr<'py>(py: Python<'py>, a: Option<(String, u16)>) -> PyResult<'py, Obj<'py>> {
    match a {
        Some((ip, port)) => py.tuple(vec![py.str(&ip)?, py.int(i64::from(port))?]),
        None => Ok(py.none()),
    }
}

static DEPRECATION_LOGGED: AtomicBool = AtomicBool::new(false);

fn deprecated(py: Python<'_>, old: &str, new: &str) {
    if !DEPRECATION_LOGGED.swap(true, Ordering::Relaxed) {
        log_lines(
            py,
            None,
            LogLevel::Warning,
            &format!(
                "mod_python: conn.{old} is deprecated, use conn.{new} (logged once per process)"
            ),
        );
    }
}

native_attributes! {
    GETSET, mod conn_attributes, |py, slf| conn(py, slf);

    base_server(c) "The virtual server the connection came in on." {
        // SAFETY: slf's type belongs to an _apache module.
        let state = unsafe { state_of(slf) };
        crate::server::new_server_object(py, state.server_type, c.base_server())
    }
    local_addr(c) "(ip, port) of the server's end." {
        addr(py, c.local_addr())
    }
    client_addr(c) "(ip, port) of the client." {
        addr(py, c.client_addr())
    }
    remote_addr(c) "Deprecated: client_addr." {
        deprecated(py, "remote_addr", "client_addr");
        addr(py, c.client_addr())
    }
    client_ip(c) "The client's IP address." {
        py.opt_str_from_wire(c.client_ip())
    }
    remote_ip(c) "Deprecated: client_ip." {
        deprecated(py, "remote_ip", "client_ip");
        py.opt_str_from_wire(c.client_ip())
    }
    remote_host(c) "The client's DNS name, if looked up." {
        py.opt_str_from_wire(c.remote_host())
    }
    remote_logname(c) "The client's identd name, if looked up." {
        py.opt_str_from_wire(c.remote_logname())
    }
    aborted(c) "1 once the client went away." {
        py.int(i64::from(c.aborted()))
    }
    keepalive(c) "Keep-alive state (writable)." {
        py.int(i64::from(c.keepalive()))
    }
    => |value| {
        let value = value.ok_or_else(|| PyErr::type_error(py, "keepalive cannot be deleted"))?;
        c.set_keepalive(value.to_i64()? as i32);
        Ok(())
    }
    double_reverse(c) "Double reverse DNS check result." {
        py.int(i64::from(c.double_reverse()))
    }
    keepalives(c) "Requests served on this connection." {
        py.int(i64::from(c.keepalives()))
    }
    local_ip(c) "The server's IP address." {
        py.opt_str_from_wire(c.local_ip())
    }
    local_host(c) "The server's DNS name." {
        py.opt_str_from_wire(c.local_host())
    }
    _conn_rec(c) "The conn_rec, as a capsule for C extensions." {
        py.capsule(bindings::CRecord::c_address(c))
    }
    id(c) "Apache's connection id." {
        py.int(c.id())
    }
    notes(_c) "Notes of the connection (a table)." {
        // SAFETY: slf is an mp_conn; the notes cache holds a strong reference or NULL.
        let (cached, source) = unsafe {
            let o = crate::native::layout_mut::<ConnObject>(slf);
            (&mut o.notes, &*o.handle)
        };
        if cached.is_null() {
            // SAFETY: slf's type belongs to an _apache module.
            let state = unsafe { state_of(slf) };
            let table = match source {
                ConnSource::Request(h) => new_request_table(
                    py,
                    state.table_type,
                    h.clone(),
                    RequestTable::ConnectionNotes,
                )?,
                ConnSource::Direct(lease) => {
                    crate::table::new_handler_connection_notes(py, state.table_type, lease.clone())?
                }
            };
            *cached = table.into_ptr();
        }
        // SAFETY: the cached table is alive while slf holds it.
        Ok(unsafe { Obj::from_borrowed(py, *cached) })
    }
    hlist(_c) "The handler list of a connection handler (mp_hlist), else None." {
        // SAFETY: slf is an mp_conn; hlist holds a strong reference or NULL.
        Ok(match unsafe { crate::native::layout::<ConnObject>(slf) }.hlist {
            p if p.is_null() => py.none(),
            // SAFETY: a live object held by the connection object.
            p => unsafe { Obj::from_borrowed(py, p) },
        })
    }
    => |value| {
        let new = value.map_or(std::ptr::null_mut(), |v| v.into_ptr());
        // SAFETY: slf is an mp_conn; `value`'s reference replaces the one held, released once.
        unsafe {
            let o = crate::native::layout_mut::<ConnObject>(slf);
            ffi::Py_XDECREF(std::mem::replace(&mut o.hlist, new));
        }
        Ok(())
    }
}

/// Runs `f` with the connection and the handler's scratch brigade, the GIL released: no
/// Python code runs on this thread meanwhile, and no other thread may use the object, so
/// nothing else borrows the brigade.
fn with_scratch<R>(
    py: Python<'_>,
    c: &Connection,
    d: &DirectConn,
    f: impl FnOnce(&Connection, &mut Brigade) -> R + Send,
) -> R {
    let mut scratch = d.scratch;
    // SAFETY: the brigade lives in the connection pool while leased, borrowed once (here).
    let bb = unsafe { scratch.as_mut() };
    crate::interpreters::detach(py, (c, bb), |(c, bb)| f(c, bb))
}

/// A read's outcome as Python sees it: a failure is `OSError`, except while the server is
/// stopping, when the MPM closes the sockets of connections still open to wake their
/// threads: then it is the end of the stream, so a handler waiting on an idle client ends
/// without a traceback.
fn read_result<'py>(
    py: Python<'py>,
    r: Result<Vec<u8>, bindings::AprError>,
) -> PyResult<'py, Vec<u8>> {
    r.or_else(|e| {
        if bindings::module::mpm_stopping() {
            return Ok(Vec::new());
        }
        Err(PyErr::os_error(py, &format!("Connection read error: {e}")))
    })
}

native_methods! {
    METHODS, mod conn_methods, |py, slf| view(py, slf);

    log_error(v, a = ["message", "level"] / 1)
        "log_error(message, level=APLOG_ERR): write to the error log, with the client's address."
    {
        let c = v.conn;
        let message = a.get(0).map(Obj::str_lossy).unwrap_or_default();
        let level = LogLevel::from_mod_python(a.int_or(1, 3)?);
        crate::interpreters::detach(py, c, |c| {
            for line in message.split('\n') {
                bindings::log::connection_at(c, level, file!(), line!(), line);
            }
        });
        Ok(py.none())
    }

    read(v, a = ["len"] / 0)
        "read([len]): bytes from the client (-1: until it closes); b'' at the end."
    {
        let (c, d) = v.handler(py)?;
        let len = a.int_or(0, 8192)?;
        let mut out = Vec::new();
        if len < 0 {
            // -1: until the client closes.
            loop {
                let chunk = read_result(py, with_scratch(py, c, d, |c, bb| c.read(bb, 65536, false)))?;
                if chunk.is_empty() {
                    break;
                }
                out.extend_from_slice(&chunk);
            }
        } else {
            let want = usize::try_from(len).unwrap_or(8192);
            out = read_result(py, with_scratch(py, c, d, |c, bb| c.read(bb, want, false)))?;
        }
        py.bytes(&out)
    }

    readline(v, a = ["len"] / 0)
        "readline([len]): a line from the client."
    {
        let (c, d) = v.handler(py)?;
        let len = usize::try_from(a.int_or(0, 65536)?).unwrap_or(65536);
        let line = read_result(py, with_scratch(py, c, d, |c, bb| c.read(bb, len, true)))?;
        py.bytes(&line)
    }

    write(v, a = ["data"] / 0)
        "write(data): send data to the client, flushed."
    {
        let (c, d) = v.handler(py)?;
        let data = a.get(0).map(Obj::wire_slice).transpose()?;
        let data: &[u8] = data.as_deref().unwrap_or_default();
        with_scratch(py, c, d, |c, bb| c.write(bb, data))
            .map_err(|e| PyErr::os_error(py, &format!("Connection write error: {e}")))?;
        Ok(py.none())
    }
}
unsafe extern "C" fn dealloc(slf: *mut ffi::PyObject) {
    // In order: untrack, release the notes and hlist, drop the handle, free, release the type.
    // SAFETY: the last reference is gone.
    unsafe {
        ffi::PyObject_GC_UnTrack(slf as *mut std::ffi::c_void);
        clear(slf);
        ManuallyDrop::drop(&mut crate::native::layout_mut::<ConnObject>(slf).handle);
        crate::native::free_object(slf);
    }
}

native_type! {
    "mp_conn", ConnObject, "A client connection.",
    // `conn.hlist` holds any object given to it, so the type takes part in garbage
    // collection.
    instantiable: false,
    gc: |o| [&mut o.notes, &mut o.hlist].into_iter(),
    slots: [
        Py_tp_dealloc => dealloc,
        Py_tp_methods => METHODS.get(),
        Py_tp_getset => GETSET.get(),
    ]
}
