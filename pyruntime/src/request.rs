//! The `mp_request` type: the Python view of one request, shared by every phase in one
//! interpreter (attributes set on `req` persist across phases, as in mod_python).
//!
//! The object does not own the `request_rec`. It holds a [`RequestHandle`] that the request
//! pool's cleanup clears (with the GIL held) before Apache frees the request; any use after
//! that raises instead of touching freed memory. Only the thread Apache gave the request to
//! releases the GIL inside a method, so the cleanup can never run while such a method still
//! uses the request.

use crate::apache_module::{log_lines, state_of};
use crate::interpreters::Interpreter;
use crate::native::{
    method, slot, trampoline, trampoline_int, Args, Static, METHODS_END, SLOTS_END,
};
use crate::py::{Obj, Py, PyErr, PyResult};
use crate::table::{new_owned_table, new_request_table, RequestTable};
use bindings::{LogLevel, Request, RequestField};
use directives::{HandlerEntry, HandlerPhase, HandlerRef};
use pyo3_ffi as ffi;
use std::cell::RefCell;
use std::ffi::{c_int, c_void, CStr};
use std::mem::{offset_of, ManuallyDrop};
use std::ptr::without_provenance_mut;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::Arc;
use std::thread::ThreadId;

/// Access to a request that may have ended.
pub(crate) struct RequestHandle {
    request: AtomicPtr<Request>,
    owner: ThreadId,
}

impl RequestHandle {
    /// The request, if it has not ended. The GIL (`_py`) is what keeps it from ending while
    /// the borrow is used: the pool cleanup that ends it takes the GIL first.
    pub(crate) fn get<'py>(&self, _py: Py<'py>) -> Option<&'py Request> {
        let p = self.request.load(Ordering::Acquire);
        // SAFETY: non-NULL until `invalidate`, which runs with the GIL held before the request
        // pool is freed; the caller holds the GIL for 'py.
        (!p.is_null()).then(|| unsafe { &*p })
    }

    /// True on the thread Apache runs the request on (the only one allowed to release the
    /// GIL while using the request).
    pub(crate) fn on_owner_thread(&self) -> bool {
        std::thread::current().id() == self.owner
    }

    fn invalidate(&self, _py: Py<'_>) {
        self.request.store(std::ptr::null_mut(), Ordering::Release);
    }
}

/// The request's Python objects, one per interpreter, kept in the request pool; dropping it
/// (the pool cleanup) ends the request for Python. Also the handlers `req.add_handler` added
/// for later phases.
pub(crate) struct RequestObjects {
    handle: Arc<RequestHandle>,
    objects: RefCell<Vec<(Arc<Interpreter>, usize)>>,
    dynamic: RefCell<Vec<(HandlerPhase, HandlerEntry)>>,
}

const OBJECTS_KEY: &CStr = c"mod_python.request_objects";

/// Handlers added with `req.add_handler` for `phase` of request `r`.
pub(crate) fn dynamic_handlers(r: &Request, phase: HandlerPhase) -> Vec<HandlerEntry> {
    r.pool()
        .data::<RequestObjects>(OBJECTS_KEY)
        .map(|o| {
            o.dynamic
                .borrow()
                .iter()
                .filter(|(p, _)| *p == phase)
                .map(|(_, e)| e.clone())
                .collect()
        })
        .unwrap_or_default()
}

impl Drop for RequestObjects {
    fn drop(&mut self) {
        let objects = std::mem::take(self.objects.get_mut());
        for (interp, addr) in objects {
            let handle = self.handle.clone();
            interp.enter(|py| {
                handle.invalidate(py);
                // SAFETY: addr is our strong reference to a request object of this interpreter.
                unsafe { ffi::Py_DECREF(addr as *mut ffi::PyObject) };
            });
        }
    }
}

/// The request object for `r` in `interp` (attached now), created on first use.
pub(crate) fn request_object<'py>(
    py: Py<'py>,
    interp: &Arc<Interpreter>,
    r: &Request,
) -> PyResult<'py, Obj<'py>> {
    let pool = r.pool();
    let objects = match pool.data::<RequestObjects>(OBJECTS_KEY) {
        Some(o) => o,
        None => {
            let objects = pool.set_data(
                OBJECTS_KEY,
                RequestObjects {
                    handle: Arc::new(RequestHandle {
                        request: AtomicPtr::new(r as *const Request as *mut Request),
                        owner: std::thread::current().id(),
                    }),
                    objects: RefCell::new(Vec::new()),
                    dynamic: RefCell::new(Vec::new()),
                },
            );
            // Registered after the objects, so it runs before they are released:
            // PythonCleanupHandler runs at the end of every request Python took part in.
            r.on_cleanup(|r| {
                crate::dispatch::run_handlers(r, HandlerPhase::Cleanup);
            });
            objects
        }
    };
    if let Some((_, addr)) = objects
        .objects
        .borrow()
        .iter()
        .find(|(i, _)| Arc::ptr_eq(i, interp))
    {
        // SAFETY: a live request object of this interpreter, owned by `objects`.
        return Ok(unsafe { Obj::from_borrowed(py, *addr as *mut ffi::PyObject) });
    }
    let module = interp.apache_module(py);
    // SAFETY: the interpreter's _apache module; its state holds the request type.
    let ty = unsafe { crate::apache_module::module_state(module.as_ptr()).request_type };
    let obj = new_request_object(py, ty, objects.handle.clone())?;
    obj.setattr("interpreter", &py.str(interp.name())?)?;
    objects
        .objects
        .borrow_mut()
        .push((interp.clone(), obj.clone().into_ptr() as usize));
    Ok(obj)
}

#[repr(C)]
struct RequestObject {
    ob_base: ffi::PyObject,
    dict: *mut ffi::PyObject,
    /// Cached attribute objects: the five tables, then the server object.
    cached: [*mut ffi::PyObject; 6],
    handle: ManuallyDrop<Arc<RequestHandle>>,
}

fn new_request_object<'py>(
    py: Py<'py>,
    ty: *mut ffi::PyObject,
    handle: Arc<RequestHandle>,
) -> PyResult<'py, Obj<'py>> {
    // SAFETY: ty is our request heap type; GenericAlloc returns zeroed, GC-tracked memory of
    // basicsize, and we initialise the only non-pointer field before any Python code runs.
    unsafe {
        let obj = Obj::from_owned(
            py,
            ffi::PyType_GenericAlloc(ty as *mut ffi::PyTypeObject, 0),
        )?;
        let raw = obj.as_ptr() as *mut RequestObject;
        std::ptr::addr_of_mut!((*raw).handle).write(ManuallyDrop::new(handle));
        Ok(obj)
    }
}

/// The live request behind `slf`, or an error saying the request has ended.
///
/// # Safety
/// `slf` is an `mp_request` object.
unsafe fn live<'py>(py: Py<'py>, slf: *mut ffi::PyObject) -> PyResult<'py, (&'py Request, bool)> {
    // SAFETY: slf is an mp_request (caller's contract), so the handle is initialised.
    let handle = unsafe { &(*(slf as *mut RequestObject)).handle };
    match handle.get(py) {
        Some(r) => Ok((r, handle.on_owner_thread())),
        None => Err(PyErr::runtime_error(
            py,
            "the request has ended; this req object is no longer usable",
        )),
    }
}

/// Attributes backed by `request_rec` fields.
#[derive(Clone, Copy)]
#[repr(usize)]
enum Attr {
    TheRequest,
    Protocol,
    Hostname,
    Method,
    UnparsedUri,
    ContentType,
    Status,
    HeaderOnly,
    ProtoNum,
    SentBodyct,
    HeadersIn,
    HeadersOut,
    ErrHeadersOut,
    SubprocessEnv,
    Notes,
    Server,
    Field(RequestField),
}

const FIELDS: [RequestField; 9] = [
    RequestField::Uri,
    RequestField::Filename,
    RequestField::CanonicalFilename,
    RequestField::PathInfo,
    RequestField::Args,
    RequestField::Handler,
    RequestField::User,
    RequestField::ApAuthType,
    RequestField::StatusLine,
];

const SIMPLE: [Attr; 16] = [
    Attr::TheRequest,
    Attr::Protocol,
    Attr::Hostname,
    Attr::Method,
    Attr::UnparsedUri,
    Attr::ContentType,
    Attr::Status,
    Attr::HeaderOnly,
    Attr::ProtoNum,
    Attr::SentBodyct,
    Attr::HeadersIn,
    Attr::HeadersOut,
    Attr::ErrHeadersOut,
    Attr::SubprocessEnv,
    Attr::Notes,
    Attr::Server,
];

fn attr_from_closure(closure: *mut c_void) -> Attr {
    let n = closure as usize;
    if n >= 100 {
        Attr::Field(FIELDS[(n - 100) % FIELDS.len()])
    } else {
        SIMPLE[n % SIMPLE.len()]
    }
}

const fn simple(n: usize) -> *mut c_void {
    without_provenance_mut(n)
}

const fn field(n: usize) -> *mut c_void {
    without_provenance_mut(100 + n)
}

const fn getset(
    name: &'static CStr,
    closure: *mut c_void,
    writable: bool,
    doc: &'static CStr,
) -> ffi::PyGetSetDef {
    ffi::PyGetSetDef {
        name: name.as_ptr(),
        get: Some(get_attr),
        set: if writable { Some(set_attr) } else { None },
        doc: doc.as_ptr(),
        closure,
    }
}

static GETSET: Static<[ffi::PyGetSetDef; 26]> = Static::new([
    getset(c"the_request", simple(0), false, c"The request line."),
    getset(c"protocol", simple(1), false, c"Protocol, e.g. HTTP/1.1."),
    getset(
        c"hostname",
        simple(2),
        false,
        c"Host, as set by the URI or Host: header.",
    ),
    getset(c"method", simple(3), false, c"Request method, e.g. GET."),
    getset(
        c"unparsed_uri",
        simple(4),
        false,
        c"The URI without any parsing.",
    ),
    getset(c"content_type", simple(5), true, c"Response content type."),
    getset(c"status", simple(6), true, c"Response status."),
    getset(
        c"header_only",
        simple(7),
        false,
        c"True for a HEAD request.",
    ),
    getset(
        c"proto_num",
        simple(8),
        false,
        c"Protocol version, e.g. 1001 for HTTP/1.1.",
    ),
    getset(
        c"sent_bodyct",
        simple(9),
        false,
        c"Nonzero once the body has started.",
    ),
    getset(
        c"headers_in",
        simple(10),
        false,
        c"Request headers (mp_table).",
    ),
    getset(
        c"headers_out",
        simple(11),
        false,
        c"Response headers (mp_table).",
    ),
    getset(
        c"err_headers_out",
        simple(12),
        false,
        c"Headers sent also on errors (mp_table).",
    ),
    getset(
        c"subprocess_env",
        simple(13),
        false,
        c"CGI environment (mp_table).",
    ),
    getset(
        c"notes",
        simple(14),
        false,
        c"Notes between modules (mp_table).",
    ),
    getset(
        c"server",
        simple(15),
        false,
        c"The (virtual) server (mp_server).",
    ),
    getset(c"uri", field(0), true, c"The path portion of the URI."),
    getset(
        c"filename",
        field(1),
        true,
        c"File name the request maps to.",
    ),
    getset(
        c"canonical_filename",
        field(2),
        true,
        c"Canonical file name.",
    ),
    getset(c"path_info", field(3), true, c"PATH_INFO."),
    getset(c"args", field(4), true, c"QUERY_STRING."),
    getset(
        c"handler",
        field(5),
        true,
        c"The handler name, e.g. mod_python.",
    ),
    getset(c"user", field(6), true, c"Authenticated user."),
    getset(c"ap_auth_type", field(7), true, c"Authentication type."),
    getset(c"status_line", field(8), true, c"Status line, e.g. 200 OK."),
    ffi::PyGetSetDef {
        name: std::ptr::null(),
        get: None,
        set: None,
        doc: std::ptr::null(),
        closure: std::ptr::null_mut(),
    },
]);

fn table_kind(attr: Attr) -> Option<(usize, RequestTable)> {
    Some(match attr {
        Attr::HeadersIn => (0, RequestTable::HeadersIn),
        Attr::HeadersOut => (1, RequestTable::HeadersOut),
        Attr::ErrHeadersOut => (2, RequestTable::ErrHeadersOut),
        Attr::SubprocessEnv => (3, RequestTable::SubprocessEnv),
        Attr::Notes => (4, RequestTable::Notes),
        _ => return None,
    })
}

unsafe extern "C" fn get_attr(slf: *mut ffi::PyObject, closure: *mut c_void) -> *mut ffi::PyObject {
    trampoline(|py| {
        // SAFETY: CPython calls our getters with an mp_request.
        let (r, _) = unsafe { live(py, slf)? };
        let attr = attr_from_closure(closure);
        if let Some((i, kind)) = table_kind(attr) {
            // SAFETY: slf is an mp_request; the table cache holds strong references or NULL.
            let cached = unsafe { &mut (*(slf as *mut RequestObject)).cached[i] };
            if cached.is_null() {
                // SAFETY: slf is an mp_request, so its handle is initialised.
                let handle = Arc::clone(unsafe { &(*(slf as *mut RequestObject)).handle });
                // SAFETY: slf's type belongs to an _apache module.
                let state = unsafe { state_of(slf) };
                *cached = new_request_table(py, state.table_type, handle, kind)?.into_ptr();
            }
            // SAFETY: the cached table object is alive while slf holds it.
            return Ok(unsafe { Obj::from_borrowed(py, *cached) });
        }
        if let Attr::Server = attr {
            // SAFETY: slf is an mp_request; the cache holds strong references or NULL.
            let cached = unsafe { &mut (*(slf as *mut RequestObject)).cached[5] };
            if cached.is_null() {
                // SAFETY: slf's type belongs to an _apache module.
                let state = unsafe { state_of(slf) };
                *cached =
                    crate::server::new_server_object(py, state.server_type, r.server())?.into_ptr();
            }
            // SAFETY: the cached object is alive while slf holds it.
            return Ok(unsafe { Obj::from_borrowed(py, *cached) });
        }
        match attr {
            Attr::TheRequest => py.opt_str_from_wire(r.the_request()),
            Attr::Protocol => py.opt_str_from_wire(r.protocol()),
            Attr::Hostname => py.opt_str_from_wire(r.hostname()),
            Attr::Method => py.opt_str_from_wire(r.method()),
            Attr::UnparsedUri => py.opt_str_from_wire(r.unparsed_uri()),
            Attr::ContentType => py.opt_str_from_wire(r.content_type()),
            Attr::Status => py.int(i64::from(r.status())),
            Attr::HeaderOnly => py.int(i64::from(r.header_only())),
            Attr::ProtoNum => py.int(i64::from(r.proto_num())),
            Attr::SentBodyct => py.int(r.sent_bodyct()),
            Attr::Field(f) => py.opt_str_from_wire(r.field(f)),
            _ => Ok(py.none()),
        }
    })
}

unsafe extern "C" fn set_attr(
    slf: *mut ffi::PyObject,
    value: *mut ffi::PyObject,
    closure: *mut c_void,
) -> c_int {
    trampoline_int(|py| {
        // SAFETY: CPython calls our setters with an mp_request.
        let (r, _) = unsafe { live(py, slf)? };
        let attr = attr_from_closure(closure);
        if value.is_null() {
            return Err(PyErr::type_error(
                py,
                "request attributes cannot be deleted",
            ));
        }
        // SAFETY: value is a valid object passed by CPython.
        let value = unsafe { Obj::from_borrowed(py, value) };
        let nul = |_| PyErr::value_error(py, "value contains a NUL byte");
        match attr {
            Attr::Status => r.set_status(value.to_i64()? as i32),
            Attr::ContentType => {
                let bytes = value.to_wire_bytes()?;
                r.set_content_type(&bytes).map_err(nul)?;
                // mod_python notes that the handler chose the type (publisher looks at it).
                // SAFETY: slf is a valid object; set through the generic attribute path.
                let slf = unsafe { Obj::from_borrowed(py, slf) };
                slf.setattr("_content_type_set", &py.int(1)?)?;
            }
            Attr::Field(f) => {
                let bytes = if value.is_none() {
                    None
                } else {
                    Some(value.to_wire_bytes()?)
                };
                r.set_field(f, bytes.as_deref()).map_err(nul)?;
            }
            _ => return Err(PyErr::type_error(py, "attribute is read-only")),
        }
        Ok(0)
    })
}

/// Parameters of a method of `mp_request`: self, fastcall arguments.
macro_rules! request_method {
    ($name:ident, |$py:ident, $r:ident, $owner:ident, $slf:ident, $args:ident, $nargs:ident, $kw:ident| $body:block) => {
        unsafe extern "C" fn $name(
            $slf: *mut ffi::PyObject,
            $args: *const *mut ffi::PyObject,
            $nargs: ffi::Py_ssize_t,
            $kw: *mut ffi::PyObject,
        ) -> *mut ffi::PyObject {
            trampoline(|$py| {
                // SAFETY: CPython calls methods of mp_request with an mp_request.
                let ($r, $owner) = unsafe { live($py, $slf)? };
                $body
            })
        }
    };
}

request_method!(req_write, |py, r, owner, _slf, args, nargs, kw| {
    // SAFETY: CPython's fastcall arguments.
    let a = unsafe { Args::parse(py, "write", ["data", "flush"], 1, args, nargs, kw)? };
    let data = a
        .get(0)
        .map(Obj::to_wire_bytes)
        .transpose()?
        .unwrap_or_default();
    let flush = a.int_or(1, 1)? != 0;
    let send = || {
        r.write(&data)?;
        if flush {
            r.flush()?;
        }
        Ok::<(), bindings::AprError>(())
    };
    let result = if owner {
        crate::interpreters::detach(py, send)
    } else {
        send()
    };
    result.map_err(|_| PyErr::os_error(py, "Write failed, client closed connection."))?;
    Ok(py.none())
});

request_method!(req_flush, |py, r, owner, _slf, args, nargs, kw| {
    // SAFETY: CPython's fastcall arguments.
    unsafe { Args::<0>::parse(py, "flush", [], 0, args, nargs, kw)? };
    let result = if owner {
        crate::interpreters::detach(py, || r.flush())
    } else {
        r.flush()
    };
    result.map_err(|_| PyErr::os_error(py, "Flush failed, client closed connection."))?;
    Ok(py.none())
});

request_method!(req_log_error, |py, r, owner, _slf, args, nargs, kw| {
    // SAFETY: CPython's fastcall arguments.
    let a = unsafe { Args::parse(py, "log_error", ["message", "level"], 1, args, nargs, kw)? };
    let message = a.get(0).map(Obj::str_lossy).unwrap_or_default();
    let level = match a.int_or(1, 3)? {
        0 => LogLevel::Err,
        l => LogLevel::from_raw(l as i32),
    };
    log_lines(py, Some(r), level, &message, owner);
    Ok(py.none())
});

request_method!(req_get_config, |py, r, _owner, slf, args, nargs, kw| {
    // SAFETY: CPython's fastcall arguments.
    unsafe { Args::<0>::parse(py, "get_config", [], 0, args, nargs, kw)? };
    let entries = crate::dir_config(r)
        .map(|c| {
            c.config_table()
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect()
        })
        .unwrap_or_default();
    // SAFETY: slf's type belongs to an _apache module.
    new_owned_table(py, unsafe { state_of(slf) }.table_type, entries)
});

request_method!(req_get_options, |py, r, _owner, slf, args, nargs, kw| {
    // SAFETY: CPython's fastcall arguments.
    unsafe { Args::<0>::parse(py, "get_options", [], 0, args, nargs, kw)? };
    let entries = crate::dir_config(r)
        .map(|c| {
            c.effective_options()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        })
        .unwrap_or_default();
    // SAFETY: slf's type belongs to an _apache module.
    new_owned_table(py, unsafe { state_of(slf) }.table_type, entries)
});

request_method!(req_add_handler, |py, r, _owner, slf, args, nargs, kw| {
    // SAFETY: CPython's fastcall arguments.
    let a = unsafe {
        Args::parse(
            py,
            "add_handler",
            ["phase", "handler", "dir"],
            2,
            args,
            nargs,
            kw,
        )?
    };
    let phase_name = a.get(0).map(Obj::str_lossy).unwrap_or_default();
    let phase = HandlerPhase::from_directive(&phase_name)
        .filter(|p| *p != HandlerPhase::Cleanup)
        .ok_or_else(|| PyErr::index_error(py, &format!("Invalid phase: {phase_name}")))?;
    let handler_text = a.get(1).map(Obj::str_lossy).unwrap_or_default();
    let handler = HandlerRef::parse(handler_text.trim())
        .map_err(|e| PyErr::value_error(py, &format!("add_handler: {e}")))?;
    let directory = a.get(2).map(|d| {
        let d = d.str_lossy();
        if d.ends_with('/') {
            d
        } else {
            d + "/"
        }
    });
    let entry = HandlerEntry {
        handler,
        directory,
        directory_kind: Default::default(),
        is_location: false,
        silent: false,
        origin: directives::Origin {
            file: "req.add_handler".into(),
            line: 0,
        },
    };
    // SAFETY: slf is a valid object (the request).
    let req = unsafe { Obj::from_borrowed(py, slf) };
    let current = req.getattr("phase").ok().map(|p| p.str_lossy());
    if current.as_deref() == Some(phase.directive()) {
        // The phase running now: append to the list the dispatcher is walking.
        let list = req.getattr("_mp_handlers")?;
        list.call_method("append", vec![crate::dispatch::handler_tuple(py, &entry)?])?;
    } else if let Some(objects) = r.pool().data::<RequestObjects>(OBJECTS_KEY) {
        objects.dynamic.borrow_mut().push((phase, entry));
    }
    Ok(py.none())
});

static METHODS: Static<[ffi::PyMethodDef; 7]> = Static::new([
    method(
        c"add_handler",
        req_add_handler,
        c"add_handler(phase, handler, dir=None): add a handler for this request.",
    ),
    method(
        c"write",
        req_write,
        c"write(data, flush=1): send body data (str or bytes).",
    ),
    method(
        c"flush",
        req_flush,
        c"flush(): send buffered output to the client.",
    ),
    method(
        c"log_error",
        req_log_error,
        c"log_error(message, level=APLOG_ERR)",
    ),
    method(
        c"get_config",
        req_get_config,
        c"get_config(): the mod_python directives in effect.",
    ),
    method(
        c"get_options",
        req_get_options,
        c"get_options(): the PythonOption table.",
    ),
    METHODS_END,
]);

static MEMBERS: Static<[ffi::PyMemberDef; 2]> = Static::new([
    ffi::PyMemberDef {
        name: c"__dictoffset__".as_ptr(),
        type_code: ffi::Py_T_PYSSIZET,
        offset: offset_of!(RequestObject, dict) as ffi::Py_ssize_t,
        flags: ffi::Py_READONLY,
        doc: std::ptr::null(),
    },
    ffi::PyMemberDef {
        name: std::ptr::null(),
        type_code: 0,
        offset: 0,
        flags: 0,
        doc: std::ptr::null(),
    },
]);

unsafe extern "C" fn traverse(
    slf: *mut ffi::PyObject,
    visit: ffi::visitproc,
    arg: *mut c_void,
) -> c_int {
    // SAFETY: called by the GC on an mp_request; we visit the references it owns.
    unsafe {
        let o = &*(slf as *mut RequestObject);
        for p in std::iter::once(o.dict).chain(o.cached) {
            if !p.is_null() {
                let rc = visit(p, arg);
                if rc != 0 {
                    return rc;
                }
            }
        }
        // Heap types must visit their type.
        visit(ffi::Py_TYPE(slf) as *mut ffi::PyObject, arg)
    }
}

unsafe extern "C" fn clear(slf: *mut ffi::PyObject) -> c_int {
    // SAFETY: called with the GIL held on an mp_request; each reference is released once.
    unsafe {
        let o = &mut *(slf as *mut RequestObject);
        for p in std::iter::once(&mut o.dict).chain(o.cached.iter_mut()) {
            let old = std::mem::replace(p, std::ptr::null_mut());
            ffi::Py_XDECREF(old);
        }
    }
    0
}

unsafe extern "C" fn dealloc(slf: *mut ffi::PyObject) {
    // SAFETY: the last reference is gone; untrack, release references, drop the Rust field,
    // free the memory, and release the heap type, in that order.
    unsafe {
        let ty = ffi::Py_TYPE(slf);
        ffi::PyObject_GC_UnTrack(slf as *mut c_void);
        clear(slf);
        ManuallyDrop::drop(&mut (*(slf as *mut RequestObject)).handle);
        ffi::PyObject_GC_Del(slf as *mut c_void);
        ffi::Py_DECREF(ty as *mut ffi::PyObject);
    }
}

static SLOTS: Static<[ffi::PyType_Slot; 8]> = Static::new([
    slot(ffi::Py_tp_dealloc, dealloc as *mut c_void),
    slot(ffi::Py_tp_traverse, traverse as *mut c_void),
    slot(ffi::Py_tp_clear, clear as *mut c_void),
    slot(ffi::Py_tp_methods, METHODS.get() as *mut c_void),
    slot(ffi::Py_tp_getset, GETSET.get() as *mut c_void),
    slot(ffi::Py_tp_members, MEMBERS.get() as *mut c_void),
    slot(
        ffi::Py_tp_doc,
        c"The request object of mod_python.".as_ptr() as *mut c_void,
    ),
    SLOTS_END,
]);

static SPEC: Static<ffi::PyType_Spec> = Static::new(ffi::PyType_Spec {
    name: c"_apache.mp_request".as_ptr(),
    basicsize: std::mem::size_of::<RequestObject>() as c_int,
    itemsize: 0,
    flags: (ffi::Py_TPFLAGS_DEFAULT
        | ffi::Py_TPFLAGS_HAVE_GC
        | ffi::Py_TPFLAGS_DISALLOW_INSTANTIATION) as _,
    slots: SLOTS.get() as *mut ffi::PyType_Slot,
});

/// Creates the `mp_request` type for the `_apache` module `module`.
pub(crate) fn create_type<'py>(py: Py<'py>, module: &Obj<'py>) -> PyResult<'py, Obj<'py>> {
    crate::native::create_heap_type(py, module, &SPEC)
}
