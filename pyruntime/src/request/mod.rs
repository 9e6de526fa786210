//! The `mp_request` type: the Python view of one request, shared by every phase in one
//! interpreter (attributes set on `req` persist across phases, as in mod_python).
//!
//! The object does not own the `request_rec`. It holds a [`RequestHandle`] that the request
//! pool's cleanup clears (with the GIL held) before Apache frees the request; any use after
//! that raises instead of touching freed memory. Only the thread Apache gave the request to
//! releases the GIL inside a method, so the cleanup can never run while such a method still
//! uses the request.

mod attrs;
mod body;
mod methods;

use crate::interpreters::Interpreter;
use crate::native::{slot, Static, SLOTS_END};
use crate::py::{Obj, Py, PyErr, PyResult};
use attrs::GETSET;
use bindings::Request;
use directives::{DirConfig, HandlerEntry, HandlerPhase};
use methods::METHODS;
use pyo3_ffi as ffi;
use std::cell::{Cell, RefCell};
use std::ffi::{c_int, c_void};
use std::mem::{offset_of, ManuallyDrop};
use std::rc::Rc;
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
        // `invalidate` runs with the GIL held before the request pool is freed.
        // SAFETY: non-NULL until `invalidate`; the caller holds the GIL for 'py.
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
    /// Filters registered with `req.register_input_filter`/`register_output_filter`:
    /// (name, is_input, handler).
    filters: RefCell<Vec<(String, bool, HandlerEntry)>>,
    body: RefCell<body::BodyState>,
    /// A copy of the configuration at the last phase Python ran in, and the address it was
    /// copied from (to copy again only when it changes).
    snapshot: RefCell<Option<(usize, Rc<DirConfig>)>>,
    /// True once the request pool's cleanup runs: from then on the copy is used.
    cleaning: Cell<bool>,
}

/// The handler of a filter `req.register_*_filter` registered under `name` for `r`.
pub(crate) fn dynamic_filter(r: &Request, name: &[u8], input: bool) -> Option<HandlerEntry> {
    let o = objects(r)?;
    let filters = o.filters.borrow();
    filters
        .iter()
        .rev()
        .find(|(n, i, _)| *i == input && n.as_bytes().eq_ignore_ascii_case(name))
        .map(|(_, _, e)| e.clone())
}

/// A configuration that is either borrowed live from Apache or a copy kept for cleanups.
pub(crate) enum ConfigRef<'a> {
    /// The live per-directory configuration.
    Live(&'a DirConfig),
    /// The copy taken at the last phase.
    Snapshot(Rc<DirConfig>),
}

impl std::ops::Deref for ConfigRef<'_> {
    type Target = DirConfig;
    fn deref(&self) -> &DirConfig {
        match self {
            ConfigRef::Live(c) => c,
            ConfigRef::Snapshot(c) => c,
        }
    }
}

/// Remembers `config` as the configuration of `r` for its cleanups.
pub(crate) fn remember_config(r: &Request, config: &DirConfig) {
    if let Some(o) = objects(r) {
        let addr = config as *const DirConfig as usize;
        let mut snap = o.snapshot.borrow_mut();
        if snap.as_ref().is_none_or(|(a, _)| *a != addr) {
            *snap = Some((addr, Rc::new(config.clone())));
        }
    }
}

/// Marks `r` as being cleaned up: its live configuration may be gone from now on.
pub(crate) fn start_cleaning(r: &Request) {
    if let Some(o) = objects(r) {
        o.cleaning.set(true);
    }
}

/// The configuration copy of `r`, while its pool is being cleaned up.
pub(crate) fn cleanup_snapshot(r: &Request) -> Option<Rc<DirConfig>> {
    let o = objects(r)?;
    if !o.cleaning.get() {
        return None;
    }
    o.snapshot.borrow().as_ref().map(|(_, c)| c.clone())
}

/// Handlers added with `req.add_handler` for `phase` of request `r`.
pub(crate) fn dynamic_handlers(r: &Request, phase: HandlerPhase) -> Vec<HandlerEntry> {
    r.data::<RequestObjects>()
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
    let objects = match r.data::<RequestObjects>() {
        Some(o) => o,
        None => {
            let objects = r.set_data(RequestObjects {
                handle: Arc::new(RequestHandle {
                    request: AtomicPtr::new(r as *const Request as *mut Request),
                    owner: std::thread::current().id(),
                }),
                objects: RefCell::new(Vec::new()),
                dynamic: RefCell::new(Vec::new()),
                filters: RefCell::new(Vec::new()),
                body: RefCell::new(body::BodyState::default()),
                snapshot: RefCell::new(None),
                cleaning: Cell::new(false),
            });
            // Registered after the objects, so it runs before they are released:
            // PythonCleanupHandler runs at the end of every request Python took part in.
            r.on_cleanup(|r| {
                start_cleaning(r);
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
    /// Cached attribute objects: the five tables, the server and the connection objects.
    cached: [*mut ffi::PyObject; 7],
    handle: ManuallyDrop<Arc<RequestHandle>>,
}

fn new_request_object<'py>(
    py: Py<'py>,
    ty: *mut ffi::PyObject,
    handle: Arc<RequestHandle>,
) -> PyResult<'py, Obj<'py>> {
    // GenericAlloc returns zeroed, GC-tracked memory; we initialise the only non-pointer field
    // before any Python code runs.
    // SAFETY: ty is our request heap type.
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
/// The request objects of `r` (if Python has seen the request).
pub(crate) fn objects(r: &Request) -> Option<&RequestObjects> {
    r.data::<RequestObjects>()
}

/// The request object of a related request (`next`, `prev`, `main`) in the current
/// interpreter, or `None`.
fn related_request<'py>(py: Py<'py>, r: Option<&Request>) -> PyResult<'py, Obj<'py>> {
    match (r, crate::interpreters::current(py)) {
        (Some(r), Some(interp)) => request_object(py, &interp, r),
        _ => Ok(py.none()),
    }
}

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
    // In order: untrack, release references, drop the Rust field, free, release the type.
    // SAFETY: the last reference is gone.
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

static SPEC: Static<ffi::PyType_Spec> = Static::new(crate::native::module_made_type_spec(
    c"_apache.mp_request",
    std::mem::size_of::<RequestObject>(),
    true,
    &SLOTS,
));

/// Creates the `mp_request` type for the `_apache` module `module`.
pub(crate) fn create_type<'py>(py: Py<'py>, module: &Obj<'py>) -> PyResult<'py, Obj<'py>> {
    crate::native::create_heap_type(py, module, &SPEC)
}
