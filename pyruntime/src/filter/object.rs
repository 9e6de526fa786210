//! The `mp_filter` type: one call of a Python filter as the handler sees it. It reads the
//! brigade's data (`read`, `readline`; `None` at the end of the stream), writes data on
//! (`write`, `flush`, `close`), or passes the brigade on untouched (`pass_on`).
//!
//! A filter object is only usable during its call, on the thread making it: it holds a lease
//! on the call, revoked when the call returns; other uses raise.

use super::FilterState;
use crate::interpreters;
use crate::native::{native_attributes, native_methods, native_type};
use crate::py::{Obj, PyErr, PyResult, Python};
use bindings::{AprStatus, Brigade, BucketKind, Filter, InputMode, Lease};
use pyo3_ffi as ffi;
use std::cell::Cell;
use std::ffi::{c_int, c_void};
use std::mem::ManuallyDrop;
use std::ptr::NonNull;
use std::sync::Arc;

/// One call of the filter: what the Python object reaches while the call runs.
pub(super) struct FilterCall {
    pub(super) filter: NonNull<Filter>,
    pub(super) bb_in: NonNull<Brigade>,
    pub(super) state: NonNull<FilterState>,
    /// For an input filter: the read mode and size asked for, and the caller's brigade,
    /// which is where written data goes.
    pub(super) input: Option<(InputMode, i64, NonNull<Brigade>)>,
    /// For a `<!--#python -->` directive: mod_include's output brigade, where written data
    /// goes in document order; nothing is passed down the chain from the call.
    pub(super) include_out: Option<NonNull<Brigade>>,
    pub(super) closed: Cell<bool>,
    pub(super) passed: Cell<bool>,
    pub(super) rc: Cell<AprStatus>,
    /// True while a method of the filter object runs: the call's brigades go to one method
    /// at a time (a method passing data down the chain could otherwise meet a filter that
    /// calls this object again).
    pub(super) busy: Cell<bool>,
    /// True once a read of an output filter took the end of the stream (EOS) off its input.
    pub(super) eos_read: Cell<bool>,
}

impl FilterCall {
    /// A call of `filter` over `bb_in`, nothing done yet.
    pub(super) fn new(
        filter: &Filter,
        bb_in: NonNull<Brigade>,
        state: &FilterState,
        input: Option<(InputMode, i64, NonNull<Brigade>)>,
        include_out: Option<NonNull<Brigade>>,
    ) -> FilterCall {
        FilterCall {
            filter: NonNull::from(filter),
            bb_in,
            state: NonNull::from(state),
            input,
            include_out,
            closed: Cell::new(false),
            passed: Cell::new(false),
            rc: Cell::new(AprStatus::SUCCESS),
            busy: Cell::new(false),
            eos_read: Cell::new(false),
        }
    }
}

#[repr(C)]
struct FilterObject {
    ob_base: ffi::PyObject,
    /// req, name, handler, dir (strong references).
    attrs: [*mut ffi::PyObject; 4],
    handle: ManuallyDrop<Arc<Lease<FilterCall>>>,
    /// mod_python's writable `softspace` member (zeroed by the allocator).
    softspace: c_int,
}

impl FilterCall {
    fn filter(&self) -> &Filter {
        // SAFETY: the filter of the running callback.
        unsafe { self.filter.as_ref() }
    }
}

/// One method's hold on the running call: the only way to its brigades while it lives.
struct CallGuard<'a> {
    call: &'a FilterCall,
}

impl<'a> CallGuard<'a> {
    /// The brigade read from and the brigade written to: for an output filter, the brigade
    /// Apache passed and the filter's own; for an input filter, its own and the caller's.
    fn io(&mut self) -> (&mut Brigade, &mut Brigade) {
        let c = self.call;
        // SAFETY: the state lives in the filter context for the request.
        let state = unsafe { c.state.as_ref() };
        let (mut input, output) = match (c.include_out, c.input) {
            // SAFETY: mod_include's brigade, lent to the running directive call.
            (Some(mut out), _) => (c.bb_in, unsafe { out.as_mut() }),
            // run_filter hands its own brigade to the call and leaves it alone until then.
            // SAFETY: no other borrow of the filter's own brigade exists during the call.
            (None, None) => (c.bb_in, unsafe { state.own(c.filter()) }),
            // SAFETY: the caller's brigade of the running input filter call, ours until then.
            (None, Some((_, _, mut caller))) => (c.bb_in, unsafe { caller.as_mut() }),
        };
        // Two distinct brigades; `&mut self` keeps any other method from borrowing them while
        // these live, and `busy` keeps any other guard from existing.
        // SAFETY: the brigade of the running callback, borrowed once.
        (unsafe { input.as_mut() }, output)
    }
}

impl std::ops::Deref for CallGuard<'_> {
    type Target = FilterCall;
    fn deref(&self) -> &FilterCall {
        self.call
    }
}

impl Drop for CallGuard<'_> {
    fn drop(&mut self) {
        self.call.busy.set(false);
    }
}

/// # Safety
/// `slf` is an `mp_filter`.
unsafe fn call<'py>(py: Python<'py>, slf: *mut ffi::PyObject) -> PyResult<'py, CallGuard<'py>> {
    // SAFETY: slf is an mp_filter, so its handle is initialised.
    let object = unsafe { crate::native::layout::<FilterObject>(slf) };
    let lease: &'py Lease<FilterCall> = &object.handle;
    let call = lease.get().map_err(|e| match e {
        bindings::LeaseError::Ended => {
            PyErr::runtime_error(py, "this filter object belongs to a call that has ended")
        }
        e => crate::request::lease_error(py, e, "filter"),
    })?;
    if call.busy.replace(true) {
        return Err(PyErr::runtime_error(
            py,
            "a filter method was called while another method of the same filter runs",
        ));
    }
    Ok(CallGuard { call })
}

fn pass(py: Python<'_>, f: &Filter, bb: &mut Brigade) -> Result<(), bindings::AprError> {
    interpreters::detach(py, (f, bb), |(f, bb)| f.pass_brigade(bb))
}

/// Reads from the input brigade, as mod_python: up to `limit` bytes (all data buckets when
/// `None`), stopping at a FLUSH or the end; `None` when the next bucket is EOS. FLUSH and
/// other metadata buckets met before any data go on to the output, in order.
fn read_in<'py>(
    py: Python<'py>,
    c: &mut CallGuard<'_>,
    limit: Option<usize>,
    line: bool,
) -> PyResult<'py, Obj<'py>> {
    if c.closed.get() {
        return Err(PyErr::value_error(py, "I/O operation on closed filter"));
    }
    let (f, input) = (c.call.filter(), c.input);
    let (bb, sink) = c.io();
    if let Some((mode, readbytes, _)) = input {
        let has_data = bb.buckets().any(|b| b.kind() != BucketKind::Flush);
        if !has_data {
            interpreters::detach(py, (f, &mut *bb), |(f, bb)| {
                f.get_brigade(bb, mode, true, readbytes.max(1))
            })
            .map_err(|_| PyErr::os_error(py, "Input filter read error"))?;
        }
    }
    // Metadata before any data goes on in order (an error bucket tells the filters after
    // this one that the response is broken); EOS first is the end of the stream.
    while let Some(kind) = bb.first().map(|b| b.kind()) {
        match kind {
            BucketKind::Eos => {
                bb.delete_first();
                c.eos_read.set(input.is_none());
                return Ok(py.none());
            }
            BucketKind::Flush if input.is_none() => bb.move_first_to(sink),
            BucketKind::OtherMetadata => bb.move_first_to(sink),
            _ => break,
        };
    }
    bb.read_front(limit, line, |data| py.bytes(data))
        .map_err(|_| PyErr::os_error(py, "Filter read error"))?
}

fn limit<'py>(a: Option<&Obj<'py>>) -> PyResult<'py, Option<usize>> {
    match a {
        None => Ok(None),
        Some(o) => Ok(usize::try_from(o.to_i64()?).ok()),
    }
}

// Passes what was written so far, without a FLUSH bucket (the dispatcher's end of call).
native_methods! {
    METHODS, mod filter_methods, |py, slf| call(py, slf);

    read(mut c, a = ["len"] / 0)
        "read([len]): data of this brigade; None at the end of the stream."
    {
        let n = limit(a.get(0))?;
        read_in(py, &mut c, n, false)
    }

    readline(mut c, a = ["len"] / 0)
        "readline([len]): a line of this brigade's data."
    {
        let n = limit(a.get(0))?;
        read_in(py, &mut c, n, true)
    }

    write(mut c, a = ["data"] / 1)
        "write(data): send data to the next filter."
    {
        if c.closed.get() {
            return Err(PyErr::value_error(py, "I/O operation on closed filter"));
        }
        // One copy: from the object's own bytes (or a str's UTF-8 form) into the bucket.
        if let Some(data) = a.get(0).map(Obj::wire_slice).transpose()? {
            if !data.is_empty() {
                c.io().1.append_copy(&data);
            }
        }
        Ok(py.none())
    }

    flush(mut c, _a = [] / 0)
        "flush(): pass what was written, with a FLUSH bucket."
    {
        let (f, local) = (c.call.filter(), c.input.is_some() || c.include_out.is_some());
        let out = c.io().1;
        out.append_flush();
        if local {
            return Ok(py.none());
        }
        let r = pass(py, f, out);
        out.cleanup();
        r.map_err(|_| PyErr::os_error(py, "Flush failed."))?;
        Ok(py.none())
    }

    close(mut c, _a = [] / 0)
        "close(): end the stream (EOS)."
    {
        if !c.closed.get() && c.include_out.is_some() {
            // The document goes on after the directive: nothing to end.
            c.closed.set(true);
        }
        if !c.closed.get() && c.input.is_some() {
            c.io().1.append_eos();
            c.closed.set(true);
        }
        if !c.closed.get() {
            let f = c.call.filter();
            let out = c.io().1;
            out.append_eos();
            let r = pass(py, f, out);
            out.cleanup();
            c.closed.set(true);
            c.rc.set(AprStatus::of(r));
        }
        Ok(py.none())
    }

    pass_on(mut c, _a = [] / 0)
        "pass_on(): pass this brigade on unchanged."
    {
        let f = c.call.filter();
        if let Some((mode, readbytes, _)) = c.input {
            let (kept, out) = c.io();
            // The filter before may reuse the memory of what this one still holds unread.
            if let Some(r) = f.request() {
                kept.setaside(r.pool())
                    .map_err(|_| PyErr::os_error(py, "pass_on failed"))?;
            }
            let r = interpreters::detach(py, (f, out), |(f, out)| {
                f.get_brigade(out, mode, true, readbytes.max(1))
            });
            c.passed.set(true);
            r.map_err(|_| PyErr::os_error(py, "pass_on failed"))?;
            return Ok(py.none());
        }
        let r = pass(py, f, c.io().0);
        c.passed.set(true);
        r.map_err(|_| PyErr::os_error(py, "pass_on failed"))?;
        Ok(py.none())
    }

    disable(mut c, _a = [] / 0)
        "disable(): pass everything through from now on."
    {
        // SAFETY: the state lives in the filter context for the request.
        unsafe { c.state.as_ref() }.disabled.set(true);
        Ok(py.none())
    }

    _pass_written(mut c, _a = [] / 0)
        "(internal) pass what was written."
    {
        if !c.closed.get() && c.input.is_none() && c.include_out.is_none() {
            let f = c.call.filter();
            let (bb, out) = c.io();
            // A FLUSH the handler's reads stopped at is passed on: req.flush() upstream still
            // reaches the client through a Python filter.
            if bb.first().is_some_and(|b| b.kind() == BucketKind::Flush) {
                bb.move_first_to(out);
            }
            if !out.is_empty() {
                let r = pass(py, f, out);
                out.cleanup();
                r.map_err(|_| PyErr::os_error(py, "Write failed, client closed connection."))?;
            }
        }
        Ok(py.none())
    }
}
/// Where `FilterObject::attrs` keeps each attribute.
const REQ: usize = 0;
const NAME: usize = 1;
const HANDLER: usize = 2;
const DIR: usize = 3;

/// The object held in `attrs[i]`, or `None`.
fn held<'py>(py: Python<'py>, o: &FilterObject, i: usize) -> Obj<'py> {
    match o.attrs[i] {
        p if p.is_null() => py.none(),
        // SAFETY: a live object held by the filter object.
        p => unsafe { Obj::from_borrowed(py, p) },
    }
}

/// A flag of the running call, as 0 or 1; `ended` once the call has returned.
fn of_call<'py>(
    py: Python<'py>,
    o: &FilterObject,
    ended: bool,
    f: impl FnOnce(&FilterCall) -> bool,
) -> PyResult<'py, Obj<'py>> {
    // 0 or 1, as mod_python's int members.
    match o.handle.get() {
        Ok(c) => py.int(i64::from(f(c))),
        Err(bindings::LeaseError::Ended) => py.int(i64::from(ended)),
        Err(e) => Err(crate::request::lease_error(py, e, "filter")),
    }
}

native_attributes! {
    GETSET, mod filter_attributes,
    |py, slf| Ok::<_, PyErr<'_>>(crate::native::layout_mut::<FilterObject>(slf));

    req(o) "The request object (writable)." {
        Ok(held(py, o, REQ))
    }
    => |value| {
        let new = value.map_or(std::ptr::null_mut(), |v| v.into_ptr());
        // SAFETY: the reference `value` gave us replaces the one held, released once.
        unsafe { ffi::Py_XDECREF(std::mem::replace(&mut o.attrs[REQ], new)) };
        Ok(())
    }
    name(o) "The filter's name." {
        Ok(held(py, o, NAME))
    }
    handler(o) "The handler, as configured." {
        Ok(held(py, o, HANDLER))
    }
    dir(o) "The directory the handler was configured for, or None." {
        Ok(held(py, o, DIR))
    }
    closed(o) "True once the filter closed its output (or its call returned)." {
        of_call(py, o, true, |c| c.closed.get())
    }
    is_input(o) "True for an input filter." {
        of_call(py, o, false, |c| c.input.is_some())
    }
    softspace(o) "mod_python's writable softspace flag." {
        py.int(i64::from(o.softspace))
    }
    => |value| {
        let v = value.map(|v| v.to_i64()).transpose()?.unwrap_or(0);
        o.softspace = c_int::try_from(v).unwrap_or(1);
        Ok(())
    }
}

unsafe extern "C" fn dealloc(slf: *mut ffi::PyObject) {
    // In order: untrack, release attributes, drop the handle, free, release the type.
    // SAFETY: the last reference is gone.
    unsafe {
        ffi::PyObject_GC_UnTrack(slf as *mut c_void);
        clear(slf);
        ManuallyDrop::drop(&mut crate::native::layout_mut::<FilterObject>(slf).handle);
        crate::native::free_object(slf);
    }
}

native_type! {
    "mp_filter", FilterObject, "A filter call: one brigade of a request's data.",
    // A filter object holds any object (`filter.req` is writable), so it takes part in
    // garbage collection: a cycle through it (`req.f = filter`) is collected, not leaked.
    instantiable: false,
    gc: |o| o.attrs.iter_mut(),
    slots: [
        Py_tp_dealloc => dealloc,
        Py_tp_methods => METHODS.get(),
        Py_tp_getset => GETSET.get(),
    ]
}

/// A filter object for one call, leased `handle`, holding `attrs` (req, name, handler, dir).
pub(super) fn new_object<'py>(
    py: Python<'py>,
    interp: &interpreters::Interpreter,
    handle: Arc<Lease<FilterCall>>,
    attrs: [Obj<'py>; 4],
) -> PyResult<'py, Obj<'py>> {
    let module = interp.native_module(py);
    // SAFETY: the interpreter's _apache module; its state holds the filter type.
    let ty = unsafe { crate::apache_module::module_state(module.as_ptr()) }.filter_type;
    // SAFETY: ty is our filter heap type; fields are written before Python sees the object.
    unsafe {
        crate::native::alloc_object(py, ty, |raw: *mut FilterObject| {
            std::ptr::addr_of_mut!((*raw).handle).write(ManuallyDrop::new(handle));
            for (slot, a) in (*raw).attrs.iter_mut().zip(attrs) {
                *slot = a.into_ptr();
            }
        })
    }
}
