//! The `mp_request` type: the Python view of one request, shared by every phase in one
//! interpreter (attributes set on `req` persist across phases, as in mod_python).
//!
//! The object does not own the `request_rec`: it holds a [`RequestLease`], usable only on the
//! thread serving the request and only until the request ends, so any other use raises
//! instead of racing Apache or touching freed memory.
//!
//! The end of a request, for Python: pre-cleanups of the request pool, which run while the
//! request is whole (before its child pools, where subrequests and mod_dir's fast redirect
//! keep the filename and configuration, and before any ordinary cleanup). In order: the
//! `req.register_cleanup` callables (last registered first), `PythonCleanupHandler`, then,
//! for every request sharing the pool (an internal redirect's chain) at once, the leases are
//! revoked and the Python objects released.

mod added;
mod attrs;
mod body;
mod methods;

use crate::interpreters::Interpreter;
use crate::native::native_type;
use crate::native::Static;
use crate::py::{Obj, PyErr, PyResult, Python};
use attrs::GETSET;
use bindings::{Lease, LeaseError, Request};
use directives::{HandlerEntry, HandlerPhase};
use methods::METHODS;
use pyo3_ffi as ffi;
use std::cell::{Cell, RefCell};
use std::ffi::c_void;
use std::mem::{offset_of, ManuallyDrop};
use std::sync::Arc;

/// How Python objects reach a request: on its thread, until it ends.
pub(crate) type RequestLease = Lease<Request>;

/// The Python error for a lease that cannot be used: `what` names the object.
pub(crate) fn lease_error<'py>(py: Python<'py>, e: LeaseError, what: &str) -> PyErr<'py> {
    match e {
        LeaseError::Ended => PyErr::runtime_error(
            py,
            &format!("the request has ended; this {what} object is no longer usable"),
        ),
        LeaseError::OtherThread => PyErr::runtime_error(
            py,
            &format!(
                "this {what} object belongs to a request served by another thread: mod_python's \
                 request, connection, filter and table objects can only be used on the thread \
                 Apache runs the request on, not from another thread"
            ),
        ),
    }
}

/// The request's Python objects, one per interpreter, kept in the request's
/// `request_config` slot. Also the handlers `req.add_handler` added for later phases.
pub(crate) struct RequestState {
    lease: Arc<RequestLease>,
    objects: RefCell<Vec<(Arc<Interpreter>, usize)>>,
    dynamic: RefCell<Vec<(HandlerPhase, HandlerEntry)>>,
    /// Filters registered with `req.register_input_filter`/`register_output_filter`:
    /// (name, is_input, handler).
    filters: RefCell<Vec<(String, bool, HandlerEntry)>>,
    body: RefCell<body::BodyState>,
    /// Later requests of the same pool (an internal redirect's chain) whose Python objects
    /// end with this one's: addresses of their `RequestState`, alive until the pool's
    /// ordinary cleanups.
    followers: RefCell<Vec<usize>>,
    /// True once the request has ended for Python: no new objects are made for it.
    ended: Cell<bool>,
    /// Bytes `req.write` and `req.sendfile` handed to Apache (`req._bytes_queued`).
    pub(crate) bytes_queued: Cell<i64>,
    /// Python code set `req.content_type` (`req._content_type_set`).
    pub(crate) content_type_set: Cell<bool>,
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

/// Handlers added with `req.add_handler` for `phase` of request `r`.
/// True when `req.add_handler` added a handler for `phase` to `r`.
pub(crate) fn has_dynamic_handlers(r: &Request, phase: HandlerPhase) -> bool {
    r.data::<RequestState>()
        .is_some_and(|o| o.dynamic.borrow().iter().any(|(p, _)| *p == phase))
}

pub(crate) fn dynamic_handlers(r: &Request, phase: HandlerPhase) -> Vec<HandlerEntry> {
    r.data::<RequestState>()
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

/// Runs `f` at the end of `r` (a pre-cleanup of its pool, while the request is whole), on
/// the thread that ends it, which becomes the thread the objects of `r` and of the requests
/// sharing its pool (an internal redirect's chain) may be used on.
pub(crate) fn at_end(r: &Request, f: impl FnOnce(&Request) + Send + 'static) {
    r.on_end(move |r| {
        if crate::dispatch::killed_mid_call() {
            // The child is being killed under a running call: no Python now.
            return;
        }
        let first = std::iter::successors(Some(r), |p| p.prev())
            .take_while(|p| std::ptr::eq(p.pool(), r.pool()))
            .last()
            .unwrap_or(r);
        let chain = std::iter::successors(Some(first), |p| p.next())
            .take_while(|p| std::ptr::eq(p.pool(), r.pool()));
        for o in chain.filter_map(|p| objects(p)) {
            o.lease.rebind();
        }
        f(r)
    });
}

impl RequestState {
    /// Ends the request for Python: revokes the lease and releases the Python objects.
    fn end(&self) {
        self.ended.set(true);
        self.lease.revoke();
        let objects = std::mem::take(&mut *self.objects.borrow_mut());
        if crate::dispatch::killed_mid_call() {
            // The child is being killed under a running handler: leave Python alone.
            std::mem::forget(objects);
            return;
        }
        for (interp, addr) in objects {
            interp.enter(|_py| {
                // SAFETY: addr is our strong reference to a request object of this interpreter.
                unsafe { ffi::Py_DECREF(addr as *mut ffi::PyObject) };
            });
        }
    }

    /// Ends this request and the followers that share its pool, latest first.
    fn end_with_followers(&self) {
        let followers = std::mem::take(&mut *self.followers.borrow_mut());
        for addr in followers.into_iter().rev() {
            // SAFETY: a follower's RequestState lives until the pool's ordinary cleanups.
            unsafe { &*(addr as *const RequestState) }.end();
        }
        self.end();
    }
}

impl Drop for RequestState {
    fn drop(&mut self) {
        // Normally ended already by the pool's pre-cleanup; this only covers a pool cleared
        // in another way.
        self.end();
    }
}

/// The objects of `r`, made on first use: the first request of a pool registers the end of
/// the pool's requests; later requests of the same pool (internal redirects) join it.
fn objects_or_new(r: &Request) -> &RequestState {
    if let Some(o) = objects(r) {
        return o;
    }
    // SAFETY: the request outlives the lease: the pool's pre-cleanup revokes it first.
    let lease = Arc::new(unsafe { RequestLease::new(r) });
    let made = r.set_data(RequestState {
        lease,
        objects: RefCell::new(Vec::new()),
        dynamic: RefCell::new(Vec::new()),
        filters: RefCell::new(Vec::new()),
        body: RefCell::new(body::BodyState::default()),
        followers: RefCell::new(Vec::new()),
        ended: Cell::new(false),
        bytes_queued: Cell::new(0),
        content_type_set: Cell::new(false),
    });
    let root = std::iter::successors(r.prev(), |p| p.prev())
        .take_while(|p| std::ptr::eq(p.pool(), r.pool()))
        .filter_map(|p| objects(p))
        .last();
    match root {
        Some(root) => root
            .followers
            .borrow_mut()
            .push(made as *const RequestState as usize),
        None => {
            let addr = r as *const Request as usize;
            r.on_end(move |_| {
                // SAFETY: the request_rec is whole during its pool's pre-cleanups.
                let r = unsafe { &*(addr as *const Request) };
                if let Some(o) = objects(r) {
                    o.end_with_followers();
                }
            });
        }
    }
    // Registered after the end above, so it runs before it: PythonCleanupHandler runs at the
    // end of every request Python took part in.
    at_end(r, |r| {
        crate::dispatch::run_handlers(r, HandlerPhase::Cleanup);
    });
    made
}

/// The request object for `r` in `interp` (attached now), created on first use.
pub(crate) fn request_object<'py>(
    py: Python<'py>,
    interp: &Arc<Interpreter>,
    r: &Request,
) -> PyResult<'py, Obj<'py>> {
    let objects = objects_or_new(r);
    if objects.ended.get() {
        return Err(lease_error(py, LeaseError::Ended, "req"));
    }
    if let Some((_, addr)) = objects
        .objects
        .borrow()
        .iter()
        .find(|(i, _)| Arc::ptr_eq(i, interp))
    {
        // SAFETY: a live request object of this interpreter, owned by `objects`.
        return Ok(unsafe { Obj::from_borrowed(py, *addr as *mut ffi::PyObject) });
    }
    let module = interp.native_module(py);
    // SAFETY: the interpreter's _apache module; its state holds the request type.
    let ty = unsafe { crate::apache_module::module_state(module.as_ptr()).request_type };
    let obj = new_request_object(py, ty, objects.lease.clone())?;
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
    /// Cached attribute objects: the five tables, the server and the connection objects,
    /// and the `get_options()` table; then the dispatcher's own attributes (`phase`,
    /// `_mp_handlers`, `hlist`), kept here rather than in a `__dict__` made per request.
    cached: [*mut ffi::PyObject; 11],
    lease: ManuallyDrop<Arc<RequestLease>>,
}

fn new_request_object<'py>(
    py: Python<'py>,
    ty: *mut ffi::PyObject,
    lease: Arc<RequestLease>,
) -> PyResult<'py, Obj<'py>> {
    // GenericAlloc returns zeroed, GC-tracked memory; we initialise the only non-pointer field
    // before any Python code runs.
    // SAFETY: ty is our request heap type.
    unsafe {
        crate::native::alloc_object(py, ty, |raw: *mut RequestObject| {
            std::ptr::addr_of_mut!((*raw).lease).write(ManuallyDrop::new(lease));
        })
    }
}

/// The request objects of `r` (if Python has seen the request).
pub(crate) fn objects(r: &Request) -> Option<&RequestState> {
    r.data::<RequestState>()
}

/// The request object of a related request (`next`, `prev`, `main`) in the current
/// interpreter, or `None`.
fn related_request<'py>(py: Python<'py>, r: Option<&Request>) -> PyResult<'py, Obj<'py>> {
    match (r, crate::interpreters::current(py)) {
        (Some(r), Some(interp)) => request_object(py, &interp, r),
        _ => Ok(py.none()),
    }
}

/// The request behind `slf`: on the thread serving it, until it ends.
///
/// # Safety
/// `slf` is an `mp_request` object.
unsafe fn live<'py>(py: Python<'py>, slf: *mut ffi::PyObject) -> PyResult<'py, &'py Request> {
    // SAFETY: slf is an mp_request (caller's contract), so the lease is initialised.
    let lease: &'py RequestLease = unsafe { &crate::native::layout::<RequestObject>(slf).lease };
    lease.get().map_err(|e| lease_error(py, e, "req"))
}

/// The lease of `slf`, for objects made from the request (tables, the connection).
///
/// # Safety
/// `slf` is an `mp_request` object.
unsafe fn lease_of(slf: *mut ffi::PyObject) -> Arc<RequestLease> {
    // SAFETY: slf is an mp_request (caller's contract), so the lease is initialised.
    unsafe { Arc::clone(&crate::native::layout::<RequestObject>(slf).lease) }
}

static MEMBERS: Static<[ffi::PyMemberDef; 2]> =
    Static::new(crate::native::dict_members(offset_of!(RequestObject, dict)));

unsafe extern "C" fn dealloc(slf: *mut ffi::PyObject) {
    // In order: untrack, release references, drop the Rust field, free, release the type.
    // SAFETY: the last reference is gone.
    unsafe {
        let ty = ffi::Py_TYPE(slf);
        ffi::PyObject_GC_UnTrack(slf as *mut c_void);
        clear(slf);
        ManuallyDrop::drop(&mut crate::native::layout_mut::<RequestObject>(slf).lease);
        ffi::PyObject_GC_Del(slf as *mut c_void);
        ffi::Py_DECREF(ty as *mut ffi::PyObject);
    }
}

native_type! {
    "mp_request", RequestObject, "The request object of mod_python.",
    instantiable: false,
    gc: |o| std::iter::once(&mut o.dict).chain(o.cached.iter_mut()),
    slots: [
        Py_tp_dealloc => dealloc,
        Py_tp_methods => METHODS.get(),
        Py_tp_getset => GETSET.get(),
        Py_tp_members => MEMBERS.get(),
    ]
}
