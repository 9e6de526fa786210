//! The `mp_server` type: the Python view of a (virtual) server, `req.server`.
//!
//! A server record lives as long as the configuration generation that made it, and in a
//! child process that is the child's whole life (a restart replaces the children), so the
//! object may hold it without a liveness check.

use crate::apache_module::state_of;
use crate::native::{native_attributes, native_methods, native_type};
use crate::py::{Obj, PyResult, Python};
use crate::table::new_owned_table;
use bindings::{LogLevel, Server};
use pyo3_ffi as ffi;
use std::ptr::NonNull;

#[repr(C)]
struct ServerObject {
    ob_base: ffi::PyObject,
    /// Attributes set from Python (`req.server.anything = ...`, as mod_python allows).
    dict: *mut ffi::PyObject,
    server: NonNull<Server>,
}

/// A new server object for `s`.
pub(crate) fn new_server_object<'py>(
    py: Python<'py>,
    ty: *mut ffi::PyObject,
    s: &Server,
) -> PyResult<'py, Obj<'py>> {
    // SAFETY: ty is our server heap type; the field is written before any Python code runs.
    unsafe {
        crate::native::alloc_object(py, ty, |raw: *mut ServerObject| {
            std::ptr::addr_of_mut!((*raw).server).write(NonNull::from(s));
        })
    }
}

/// The server behind `obj` if it is an `mp_server` of this interpreter.
pub(crate) fn server_of<'py>(py: Python<'py>, obj: &Obj<'py>) -> Option<&'static Server> {
    let interp = crate::interpreters::current(py)?;
    let module = interp.native_module(py);
    // SAFETY: the interpreter's _apache module; its state holds the server type.
    let ty = unsafe { crate::apache_module::module_state(module.as_ptr()).server_type };
    // SAFETY: a type check on a valid object, then reading our own object's field.
    unsafe {
        if ffi::PyObject_TypeCheck(obj.as_ptr(), ty as *mut ffi::PyTypeObject) == 0 {
            return None;
        }
        Some(server(obj.as_ptr()))
    }
}

/// # Safety
/// `slf` is an `mp_server` object.
unsafe fn server<'a>(slf: *mut ffi::PyObject) -> &'a Server {
    // SAFETY: see the module documentation: server records outlive the child's objects.
    unsafe { crate::native::layout::<ServerObject>(slf).server.as_ref() }
}

native_attributes! {
    GETSET, mod server_attributes, |py, slf| Ok::<_, crate::py::PyErr<'_>>(server(slf));

    server_hostname(s) "ServerName of this (virtual) server." {
        py.opt_str_from_wire(s.server_hostname())
    }
    port(s) "Port from ServerName, or 0." {
        py.int(i64::from(s.port()))
    }
    is_virtual(s) "1 for a <VirtualHost>." {
        py.int(i64::from(s.is_virtual()))
    }
    defn_name(s) "File where the server was defined." {
        py.opt_str_from_wire(s.defn_name())
    }
    defn_line_number(s) "Line where the server was defined." {
        py.int(i64::from(s.defn_line_number()))
    }
    server_admin(s) "ServerAdmin." {
        py.opt_str_from_wire(s.server_admin())
    }
    error_fname(s) "The ErrorLog as written." {
        py.opt_str_from_wire(s.error_fname())
    }
    loglevel(s) "LogLevel (an APLOG_* number)." {
        py.int(i64::from(s.log_level()))
    }
    timeout(s) "Timeout, in seconds." {
        py.float(s.timeouts().0 as f64 / 1_000_000.0)
    }
    keep_alive_timeout(s) "KeepAliveTimeout, in seconds." {
        py.float(s.timeouts().1 as f64 / 1_000_000.0)
    }
    keep_alive_max(s) "MaxKeepAliveRequests." {
        py.int(i64::from(s.keep_alive().0))
    }
    keep_alive(s) "KeepAlive (1 on)." {
        py.int(i64::from(s.keep_alive().1))
    }
    path(s) "ServerPath." {
        py.opt_str_from_wire(s.path().0)
    }
    pathlen(s) "The length of ServerPath." {
        py.int(i64::from(s.path().1))
    }
    names(s) "ServerAlias names without wildcards." {
        py.str_tuple(s.names().0)
    }
    wild_names(s) "ServerAlias names with wildcards." {
        py.str_tuple(s.names().1)
    }
    limit_req_line(s) "LimitRequestLine." {
        py.int(i64::from(s.request_limits().0))
    }
    limit_req_fieldsize(s) "LimitRequestFieldSize." {
        py.int(i64::from(s.request_limits().1))
    }
    limit_req_fields(s) "LimitRequestFields." {
        py.int(i64::from(s.request_limits().2))
    }
    next(s) "The next server of the configuration, or None." {
        match s.next() {
            // SAFETY: slf's type belongs to an _apache module.
            Some(n) => new_server_object(py, unsafe { crate::apache_module::state_of(slf) }.server_type, n),
            None => Ok(py.none()),
        }
    }
    my_generation(_s) "The configuration generation of this child." {
        py.int(i64::from(bindings::module::mpm_generation()))
    }
    restart_time(_s) "When the server was last (re)started, in seconds since the epoch." {
        match bindings::module::restart_time() {
            Some(t) => py.float(t as f64 / 1_000_000.0),
            None => Ok(py.none()),
        }
    }
    _server_rec(s) "The server_rec, as a capsule for C extensions." {
        py.capsule(bindings::CRecord::c_address(s))
    }
}

native_methods! {
    METHODS, mod server_methods, |py, slf| Ok::<_, crate::py::PyErr<'_>>(server(slf));

    get_config(s, _a = [] / 0)
        "get_config(): the server-level mod_python directives."
    {
        let entries = crate::server_config(s)
            .map(|c| c.settings.config_table())
            .unwrap_or_default();
        // SAFETY: slf's type belongs to an _apache module.
        new_owned_table(py, unsafe { state_of(slf) }.table_type, entries)
    }

    get_options(s, _a = [] / 0)
        "get_options(): the server-level PythonOption table (the same table on every call)."
    {
        // SAFETY: slf's type belongs to an _apache module.
        let state = unsafe { state_of(slf) };
        // SAFETY: the module state holds this dict for the module's life.
        let cache = unsafe { Obj::from_borrowed(py, state.server_options) };
        let key = py.int(s as *const bindings::Server as usize as i64)?;
        let known = cache.call_method("get", vec![key.clone()])?;
        if !known.is_none() {
            return Ok(known);
        }
        let entries: Vec<(String, String)> = crate::server_config(s)
            .map(|c| {
                c.settings
                    .effective_options()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect()
            })
            .unwrap_or_default();
        let table = new_owned_table(py, state.table_type, entries)?;
        cache.set_item(&key, &table)?;
        Ok(table)
    }

    log_error(s, a = ["message", "level"] / 1)
        "log_error(message, level=APLOG_ERR): write to this server's error log."
    {
        let message = a.get(0).map(Obj::str_lossy).unwrap_or_default();
        let level = LogLevel::from_mod_python(a.int_or(1, 3)?);
        crate::interpreters::detach(py, s, |s| {
            for line in message.split('\n') {
                bindings::slog!(Some(s), level, "{line}");
            }
        });
        Ok(py.none())
    }
}
unsafe extern "C" fn dealloc(slf: *mut ffi::PyObject) {
    // In order: untrack, release the attribute dict, free, release the type.
    // SAFETY: the last reference is gone.
    unsafe {
        ffi::PyObject_GC_UnTrack(slf as *mut std::ffi::c_void);
        clear(slf);
        crate::native::free_object(slf);
    }
}

static MEMBERS: crate::native::Static<[ffi::PyMemberDef; 2]> = crate::native::Static::new(
    crate::native::dict_members(std::mem::offset_of!(ServerObject, dict)),
);

native_type! {
    "mp_server", ServerObject, "A (virtual) server of Apache.",
    instantiable: false,
    gc: |o| std::iter::once(&mut o.dict),
    slots: [
        Py_tp_dealloc => dealloc,
        Py_tp_methods => METHODS.get(),
        Py_tp_getset => GETSET.get(),
        Py_tp_members => MEMBERS.get(),
    ]
}
