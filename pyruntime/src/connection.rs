//! The `mp_conn` type: the Python view of a client connection, `req.connection`.
//!
//! A connection object made from a request reaches the `conn_rec` through that request's
//! handle, so it is usable while the request lives (the connection outlives its requests);
//! afterwards it raises instead of touching freed memory.

use crate::apache_module::{log_lines, state_of};
use crate::native::{
    method, slot, trampoline, trampoline_int, Args, Static, METHODS_END, SLOTS_END,
};
use crate::py::{Obj, Py, PyErr, PyResult};
use crate::request::RequestHandle;
use crate::table::{new_request_table, RequestTable};
use bindings::{Connection, LogLevel};
use pyo3_ffi as ffi;
use std::ffi::{c_int, c_void, CStr};
use std::mem::ManuallyDrop;
use std::ptr::without_provenance_mut;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

#[repr(C)]
struct ConnObject {
    ob_base: ffi::PyObject,
    notes: *mut ffi::PyObject,
    handle: ManuallyDrop<Arc<RequestHandle>>,
}

/// A connection object for the connection of the request behind `handle`.
pub(crate) fn new_request_connection<'py>(
    py: Py<'py>,
    ty: *mut ffi::PyObject,
    handle: Arc<RequestHandle>,
) -> PyResult<'py, Obj<'py>> {
    // SAFETY: ty is our connection heap type; fields are written before Python sees it.
    unsafe {
        let obj = Obj::from_owned(
            py,
            ffi::PyType_GenericAlloc(ty as *mut ffi::PyTypeObject, 0),
        )?;
        let raw = obj.as_ptr() as *mut ConnObject;
        std::ptr::addr_of_mut!((*raw).handle).write(ManuallyDrop::new(handle));
        Ok(obj)
    }
}

/// # Safety
/// `slf` is an `mp_conn` object.
unsafe fn conn<'py>(
    py: Py<'py>,
    slf: *mut ffi::PyObject,
) -> PyResult<'py, (&'py Connection, bool)> {
    // SAFETY: slf is an mp_conn, so its handle is initialised.
    let handle = unsafe { &(*(slf as *mut ConnObject)).handle };
    match handle.get(py) {
        Some(r) => Ok((r.connection(), handle.on_owner_thread())),
        None => Err(PyErr::runtime_error(
            py,
            "the request has ended; its connection object is no longer usable",
        )),
    }
}

fn addr<'py>(py: Py<'py>, a: Option<(String, u16)>) -> PyResult<'py, Obj<'py>> {
    match a {
        Some((ip, port)) => py.tuple(vec![py.str(&ip)?, py.int(i64::from(port))?]),
        None => Ok(py.none()),
    }
}

static DEPRECATION_LOGGED: AtomicBool = AtomicBool::new(false);

fn deprecated(py: Py<'_>, old: &str, new: &str) {
    if !DEPRECATION_LOGGED.swap(true, Ordering::Relaxed) {
        log_lines(
            py,
            None,
            LogLevel::Warning,
            &format!(
                "mod_python: conn.{old} is deprecated, use conn.{new} (logged once per process)"
            ),
            true,
        );
    }
}

const NAMES: [&CStr; 15] = [
    c"base_server",
    c"local_addr",
    c"client_addr",
    c"remote_addr",
    c"client_ip",
    c"remote_ip",
    c"remote_host",
    c"remote_logname",
    c"aborted",
    c"keepalive",
    c"double_reverse",
    c"keepalives",
    c"local_ip",
    c"local_host",
    c"id",
];

unsafe extern "C" fn get_attr(slf: *mut ffi::PyObject, closure: *mut c_void) -> *mut ffi::PyObject {
    trampoline(|py| {
        // SAFETY: CPython calls our getters with an mp_conn.
        let (c, _) = unsafe { conn(py, slf)? };
        match closure as usize {
            0 => {
                // SAFETY: slf's type belongs to an _apache module.
                let state = unsafe { state_of(slf) };
                crate::server::new_server_object(py, state.server_type, c.base_server())
            }
            1 => addr(py, c.local_addr()),
            2 => addr(py, c.client_addr()),
            3 => {
                deprecated(py, "remote_addr", "client_addr");
                addr(py, c.client_addr())
            }
            4 => py.opt_str_from_wire(c.client_ip()),
            5 => {
                deprecated(py, "remote_ip", "client_ip");
                py.opt_str_from_wire(c.client_ip())
            }
            6 => py.opt_str_from_wire(c.remote_host()),
            7 => py.opt_str_from_wire(c.remote_logname()),
            8 => py.int(i64::from(c.aborted())),
            9 => py.int(i64::from(c.keepalive())),
            10 => py.int(i64::from(c.double_reverse())),
            11 => py.int(i64::from(c.keepalives())),
            12 => py.opt_str_from_wire(c.local_ip()),
            13 => py.opt_str_from_wire(c.local_host()),
            14 => py.int(c.id()),
            _ => {
                // SAFETY: slf is an mp_conn; the notes cache holds a strong reference or NULL.
                let (cached, handle) = unsafe {
                    let o = &mut *(slf as *mut ConnObject);
                    (&mut o.notes, Arc::clone(&o.handle))
                };
                if cached.is_null() {
                    // SAFETY: slf's type belongs to an _apache module.
                    let state = unsafe { state_of(slf) };
                    *cached = new_request_table(
                        py,
                        state.table_type,
                        handle,
                        RequestTable::ConnectionNotes,
                    )?
                    .into_ptr();
                }
                // SAFETY: the cached table is alive while slf holds it.
                Ok(unsafe { Obj::from_borrowed(py, *cached) })
            }
        }
    })
}

unsafe extern "C" fn set_keepalive(
    slf: *mut ffi::PyObject,
    value: *mut ffi::PyObject,
    _c: *mut c_void,
) -> c_int {
    trampoline_int(|py| {
        // SAFETY: CPython calls our setters with an mp_conn.
        let (c, _) = unsafe { conn(py, slf)? };
        if value.is_null() {
            return Err(PyErr::type_error(py, "keepalive cannot be deleted"));
        }
        // SAFETY: a valid object passed by CPython.
        let v = unsafe { Obj::from_borrowed(py, value) }.to_i64()?;
        c.set_keepalive(v as i32);
        Ok(0)
    })
}

const fn getsets() -> [ffi::PyGetSetDef; 17] {
    let mut out = [ffi::PyGetSetDef {
        name: std::ptr::null(),
        get: None,
        set: None,
        doc: std::ptr::null(),
        closure: std::ptr::null_mut(),
    }; 17];
    let mut i = 0;
    while i < NAMES.len() {
        out[i] = ffi::PyGetSetDef {
            name: NAMES[i].as_ptr(),
            get: Some(get_attr),
            set: if i == 9 { Some(set_keepalive) } else { None },
            doc: std::ptr::null(),
            closure: without_provenance_mut(i),
        };
        i += 1;
    }
    out[NAMES.len()] = ffi::PyGetSetDef {
        name: c"notes".as_ptr(),
        get: Some(get_attr),
        set: None,
        doc: std::ptr::null(),
        closure: without_provenance_mut(NAMES.len()),
    };
    out
}

static GETSET: Static<[ffi::PyGetSetDef; 17]> = Static::new(getsets());

unsafe extern "C" fn conn_log_error(
    slf: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
    kw: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    trampoline(|py| {
        // SAFETY: CPython calls methods of mp_conn with an mp_conn and fastcall args.
        let (c, owner) = unsafe { conn(py, slf)? };
        // SAFETY: as above.
        let a = unsafe { Args::parse(py, "log_error", ["message", "level"], 1, args, nargs, kw)? };
        let message = a.get(0).map(Obj::str_lossy).unwrap_or_default();
        let level = match a.int_or(1, 3)? {
            0 => LogLevel::Err,
            l => LogLevel::from_raw(l as i32),
        };
        let write = || {
            for line in message.split('\n') {
                bindings::log::connection_at(c, level, file!(), line!(), line);
            }
        };
        if owner {
            crate::interpreters::detach(py, write);
        } else {
            write();
        }
        Ok(py.none())
    })
}

static METHODS: Static<[ffi::PyMethodDef; 2]> = Static::new([
    method(
        c"log_error",
        conn_log_error,
        c"log_error(message, level=APLOG_ERR)",
    ),
    METHODS_END,
]);

unsafe extern "C" fn dealloc(slf: *mut ffi::PyObject) {
    // SAFETY: the last reference is gone: release the notes, drop the handle, free, release
    // the heap type.
    unsafe {
        let ty = ffi::Py_TYPE(slf);
        let o = &mut *(slf as *mut ConnObject);
        ffi::Py_XDECREF(std::mem::replace(&mut o.notes, std::ptr::null_mut()));
        ManuallyDrop::drop(&mut o.handle);
        if let Some(free) = (*ty).tp_free {
            free(slf as *mut c_void);
        }
        ffi::Py_DECREF(ty as *mut ffi::PyObject);
    }
}

static SLOTS: Static<[ffi::PyType_Slot; 5]> = Static::new([
    slot(ffi::Py_tp_dealloc, dealloc as *mut c_void),
    slot(ffi::Py_tp_methods, METHODS.get() as *mut c_void),
    slot(ffi::Py_tp_getset, GETSET.get() as *mut c_void),
    slot(
        ffi::Py_tp_doc,
        c"A client connection.".as_ptr() as *mut c_void,
    ),
    SLOTS_END,
]);

static SPEC: Static<ffi::PyType_Spec> = Static::new(ffi::PyType_Spec {
    name: c"_apache.mp_conn".as_ptr(),
    basicsize: std::mem::size_of::<ConnObject>() as c_int,
    itemsize: 0,
    flags: (ffi::Py_TPFLAGS_DEFAULT | ffi::Py_TPFLAGS_DISALLOW_INSTANTIATION) as _,
    slots: SLOTS.get() as *mut ffi::PyType_Slot,
});

/// Creates the `mp_conn` type for the `_apache` module `module`.
pub(crate) fn create_type<'py>(py: Py<'py>, module: &Obj<'py>) -> PyResult<'py, Obj<'py>> {
    crate::native::create_heap_type(py, module, &SPEC)
}
