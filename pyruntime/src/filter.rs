//! Output filters written in Python (`PythonOutputFilter handler NAME`): for each brigade
//! Apache passes, a new `mp_filter` object is handed to the handler, which reads the
//! brigade's data (`read`, `readline`; `None` at the end of the stream), writes data on
//! (`write`, `flush`, `close`), or passes the brigade on untouched (`pass_on`). Nothing
//! collects the whole response: each call sees one brigade, and the output brigade is reused
//! for the filter's life, so memory stays bounded by the brigade size.
//!
//! A filter object is only usable during its call: the handle it holds is cleared when the
//! call returns, after which its methods raise.

use crate::interpreters;
use crate::native::{method, slot, trampoline, Args, Static, METHODS_END, SLOTS_END};
use crate::py::{Obj, Py, PyErr, PyResult};
use bindings::{Brigade, BucketKind, Filter, Request};
use directives::HandlerEntry;
use pyo3_ffi as ffi;
use std::cell::Cell;
use std::ffi::{c_int, c_void, CStr};
use std::mem::ManuallyDrop;
use std::ptr::{without_provenance_mut, NonNull};
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::Arc;

/// Per filter instance (per request), kept in the filter's context.
struct FilterState {
    disabled: Cell<bool>,
    out: Cell<Option<NonNull<Brigade>>>,
}

/// One call of the filter: what the Python object reaches while the call runs.
struct FilterCall {
    filter: NonNull<Filter>,
    bb_in: NonNull<Brigade>,
    state: NonNull<FilterState>,
    closed: Cell<bool>,
    passed: Cell<bool>,
    rc: Cell<i32>,
    owner: std::thread::ThreadId,
}

struct CallHandle(AtomicPtr<FilterCall>);

impl CallHandle {
    fn get<'py>(&self, _py: Py<'py>) -> Option<&'py FilterCall> {
        let p = self.0.load(Ordering::Acquire);
        // SAFETY: non-NULL only while the call (on the stack of the filter callback) runs;
        // the callback clears it, with the GIL held, before returning.
        (!p.is_null()).then(|| unsafe { &*p })
    }
}

#[repr(C)]
struct FilterObject {
    ob_base: ffi::PyObject,
    /// req, name, handler, dir (strong references).
    attrs: [*mut ffi::PyObject; 4],
    handle: ManuallyDrop<Arc<CallHandle>>,
}

impl FilterCall {
    fn filter(&self) -> &Filter {
        // SAFETY: the filter of the running callback.
        unsafe { self.filter.as_ref() }
    }
    fn bb_in(&self) -> &Brigade {
        // SAFETY: the brigade of the running callback.
        unsafe { self.bb_in.as_ref() }
    }
    fn out(&self) -> &Brigade {
        // SAFETY: the state lives in the filter context for the request.
        let state = unsafe { self.state.as_ref() };
        match state.out.get() {
            // SAFETY: created below in the request pool, reused for the filter's life.
            Some(b) => unsafe { b.as_ref() },
            None => {
                let b = self.filter().new_brigade();
                state.out.set(Some(NonNull::from(b)));
                b
            }
        }
    }
    fn owner(&self) -> bool {
        std::thread::current().id() == self.owner
    }
}

/// # Safety
/// `slf` is an `mp_filter`.
unsafe fn call<'py>(py: Py<'py>, slf: *mut ffi::PyObject) -> PyResult<'py, &'py FilterCall> {
    // SAFETY: slf is an mp_filter, so its handle is initialised.
    let handle = unsafe { &(*(slf as *mut FilterObject)).handle };
    handle.get(py).ok_or_else(|| {
        PyErr::runtime_error(py, "this filter object belongs to a call that has ended")
    })
}

fn pass(py: Py<'_>, c: &FilterCall, bb: &Brigade) -> Result<(), bindings::AprError> {
    let f = c.filter();
    if c.owner() {
        interpreters::detach(py, || f.pass_brigade(bb))
    } else {
        f.pass_brigade(bb)
    }
}

/// Reads from the input brigade, as mod_python: up to `limit` bytes (all data buckets when
/// `None`), stopping at a FLUSH or the end; `None` when the next bucket is EOS.
fn read_in<'py>(
    py: Py<'py>,
    c: &FilterCall,
    limit: Option<usize>,
    line: bool,
) -> PyResult<'py, Obj<'py>> {
    if c.closed.get() {
        return Err(PyErr::value_error(py, "I/O operation on closed filter"));
    }
    let bb = c.bb_in();
    if let Some(first) = bb.first() {
        if first.kind() == BucketKind::Eos {
            bb.delete_first();
            return Ok(py.none());
        }
    }
    let mut out: Vec<u8> = Vec::new();
    while limit.is_none_or(|l| out.len() < l) {
        let Some(b) = bb.first() else { break };
        if matches!(b.kind(), BucketKind::Eos | BucketKind::Flush) {
            break;
        }
        let data = b
            .read(true)
            .map_err(|_| PyErr::os_error(py, "Filter read error"))?;
        let mut take = data.len();
        if let Some(l) = limit {
            take = take.min(l - out.len());
        }
        if line {
            if let Some(i) = memchr::memchr(b'\n', &data[..take]) {
                take = i + 1;
            }
        }
        let whole = take == data.len();
        out.extend_from_slice(&data[..take]);
        let ended_line = line && out.last() == Some(&b'\n');
        if !whole {
            b.split(take)
                .map_err(|_| PyErr::os_error(py, "Filter read error"))?;
        }
        bb.delete_first();
        if ended_line {
            break;
        }
    }
    py.bytes(&out)
}

macro_rules! filter_method {
    ($name:ident, $fname:literal, [$($arg:literal),*], $required:expr, |$py:ident, $c:ident, $a:ident, $slf:ident| $body:block) => {
        unsafe extern "C" fn $name(
            $slf: *mut ffi::PyObject,
            args: *const *mut ffi::PyObject,
            nargs: ffi::Py_ssize_t,
            kw: *mut ffi::PyObject,
        ) -> *mut ffi::PyObject {
            trampoline(|$py| {
                // SAFETY: CPython calls methods of mp_filter with an mp_filter and fastcall args.
                let ($c, $a) = unsafe {
                    (call($py, $slf)?, Args::parse($py, $fname, [$($arg),*], $required, args, nargs, kw)?)
                };
                $body
            })
        }
    };
}

fn limit<'py>(a: Option<&Obj<'py>>) -> PyResult<'py, Option<usize>> {
    match a {
        None => Ok(None),
        Some(o) => Ok(usize::try_from(o.to_i64()?).ok()),
    }
}

filter_method!(f_read, "read", ["len"], 0, |py, c, a, _slf| {
    let n = limit(a.get(0))?;
    read_in(py, c, n, false)
});

filter_method!(f_readline, "readline", ["len"], 0, |py, c, a, _slf| {
    let n = limit(a.get(0))?;
    read_in(py, c, n, true)
});

filter_method!(f_write, "write", ["data"], 1, |py, c, a, _slf| {
    if c.closed.get() {
        return Err(PyErr::value_error(py, "I/O operation on closed filter"));
    }
    let data = a
        .get(0)
        .map(Obj::to_wire_bytes)
        .transpose()?
        .unwrap_or_default();
    if !data.is_empty() {
        c.out().append_copy(&data);
    }
    Ok(py.none())
});

filter_method!(f_flush, "flush", [], 0, |py, c, _a, _slf| {
    let out = c.out();
    out.append_flush();
    let r = pass(py, c, out);
    out.cleanup();
    r.map_err(|_| PyErr::os_error(py, "Flush failed."))?;
    Ok(py.none())
});

filter_method!(f_close, "close", [], 0, |py, c, _a, _slf| {
    if !c.closed.get() {
        let out = c.out();
        out.append_eos();
        let r = pass(py, c, out);
        out.cleanup();
        c.closed.set(true);
        if let Err(e) = r {
            c.rc.set(match e {
                bindings::AprError::Status { status, .. } => status,
                _ => 1,
            });
        }
    }
    Ok(py.none())
});

filter_method!(f_pass_on, "pass_on", [], 0, |py, c, _a, _slf| {
    let r = pass(py, c, c.bb_in());
    c.passed.set(true);
    r.map_err(|_| PyErr::os_error(py, "pass_on failed"))?;
    Ok(py.none())
});

filter_method!(f_disable, "disable", [], 0, |py, c, _a, _slf| {
    // SAFETY: the state lives in the filter context for the request.
    unsafe { c.state.as_ref() }.disabled.set(true);
    Ok(py.none())
});

// Passes what was written so far, without a FLUSH bucket (the dispatcher's end of call).
filter_method!(f_pass_written, "_pass_written", [], 0, |py, c, _a, _slf| {
    if !c.closed.get() {
        let out = c.out();
        if !out.is_empty() {
            let r = pass(py, c, out);
            out.cleanup();
            r.map_err(|_| PyErr::os_error(py, "Write failed, client closed connection."))?;
        }
    }
    Ok(py.none())
});

static METHODS: Static<[ffi::PyMethodDef; 9]> = Static::new([
    method(
        c"read",
        f_read,
        c"read([len]): data of this brigade; None at the end of the stream.",
    ),
    method(
        c"readline",
        f_readline,
        c"readline([len]): a line of this brigade's data.",
    ),
    method(
        c"write",
        f_write,
        c"write(data): send data to the next filter.",
    ),
    method(
        c"flush",
        f_flush,
        c"flush(): pass what was written, with a FLUSH bucket.",
    ),
    method(c"close", f_close, c"close(): end the stream (EOS)."),
    method(
        c"pass_on",
        f_pass_on,
        c"pass_on(): pass this brigade on unchanged.",
    ),
    method(
        c"disable",
        f_disable,
        c"disable(): pass everything through from now on.",
    ),
    method(
        c"_pass_written",
        f_pass_written,
        c"(internal) pass what was written.",
    ),
    METHODS_END,
]);

const ATTR_NAMES: [&CStr; 4] = [c"req", c"name", c"handler", c"dir"];

unsafe extern "C" fn get_attr(slf: *mut ffi::PyObject, closure: *mut c_void) -> *mut ffi::PyObject {
    trampoline(|py| {
        let i = closure as usize;
        if i == 4 || i == 5 {
            // closed, is_input
            // SAFETY: slf is an mp_filter.
            let handle = unsafe { &(*(slf as *mut FilterObject)).handle };
            return Ok(match (i, handle.get(py)) {
                (4, Some(c)) => py.bool(c.closed.get()),
                (4, None) => py.bool(true),
                _ => py.bool(false),
            });
        }
        // SAFETY: slf is an mp_filter; attrs hold strong references or NULL.
        let p = unsafe { (*(slf as *mut FilterObject)).attrs[i % 4] };
        if p.is_null() {
            return Ok(py.none());
        }
        // SAFETY: a live object held by slf.
        Ok(unsafe { Obj::from_borrowed(py, p) })
    })
}

unsafe extern "C" fn set_req(
    slf: *mut ffi::PyObject,
    value: *mut ffi::PyObject,
    _c: *mut c_void,
) -> c_int {
    // SAFETY: slf is an mp_filter; we replace our strong reference (value may be NULL).
    unsafe {
        let slot = &mut (*(slf as *mut FilterObject)).attrs[0];
        ffi::Py_XINCREF(value);
        let old = std::mem::replace(slot, value);
        ffi::Py_XDECREF(old);
    }
    0
}

const fn getsets() -> [ffi::PyGetSetDef; 7] {
    let mut out = [ffi::PyGetSetDef {
        name: std::ptr::null(),
        get: None,
        set: None,
        doc: std::ptr::null(),
        closure: std::ptr::null_mut(),
    }; 7];
    let mut i = 0;
    while i < 4 {
        out[i] = ffi::PyGetSetDef {
            name: ATTR_NAMES[i].as_ptr(),
            get: Some(get_attr),
            set: if i == 0 { Some(set_req) } else { None },
            doc: std::ptr::null(),
            closure: without_provenance_mut(i),
        };
        i += 1;
    }
    out[4] = ffi::PyGetSetDef {
        name: c"closed".as_ptr(),
        get: Some(get_attr),
        set: None,
        doc: std::ptr::null(),
        closure: without_provenance_mut(4),
    };
    out[5] = ffi::PyGetSetDef {
        name: c"is_input".as_ptr(),
        get: Some(get_attr),
        set: None,
        doc: std::ptr::null(),
        closure: without_provenance_mut(5),
    };
    out
}

static GETSET: Static<[ffi::PyGetSetDef; 7]> = Static::new(getsets());

unsafe extern "C" fn dealloc(slf: *mut ffi::PyObject) {
    // SAFETY: the last reference is gone: release attributes, drop the handle, free, and
    // release the heap type.
    unsafe {
        let ty = ffi::Py_TYPE(slf);
        let o = &mut *(slf as *mut FilterObject);
        for p in o.attrs.iter_mut() {
            ffi::Py_XDECREF(std::mem::replace(p, std::ptr::null_mut()));
        }
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
        c"A filter call: one brigade of a request's data.".as_ptr() as *mut c_void,
    ),
    SLOTS_END,
]);

static SPEC: Static<ffi::PyType_Spec> = Static::new(ffi::PyType_Spec {
    name: c"_apache.mp_filter".as_ptr(),
    basicsize: std::mem::size_of::<FilterObject>() as c_int,
    itemsize: 0,
    flags: (ffi::Py_TPFLAGS_DEFAULT | ffi::Py_TPFLAGS_DISALLOW_INSTANTIATION) as _,
    slots: SLOTS.get() as *mut ffi::PyType_Slot,
});

/// Creates the `mp_filter` type for the `_apache` module `module`.
pub(crate) fn create_type<'py>(py: Py<'py>, module: &Obj<'py>) -> PyResult<'py, Obj<'py>> {
    crate::native::create_heap_type(py, module, &SPEC)
}

fn find_entry<'a>(config: &'a directives::DirConfig, name: &[u8]) -> Option<&'a HandlerEntry> {
    config
        .output_filters
        .iter()
        .find(|(k, _)| k.as_bytes().eq_ignore_ascii_case(name))
        .map(|(_, e)| e)
}

/// Runs the Python output filter registered under the filter's name for one brigade.
pub fn run_output_filter(f: &Filter, bb: &Brigade) -> i32 {
    let Some(r) = f.request() else {
        return status(f.pass_brigade(bb));
    };
    let state = match f.ctx::<FilterState>() {
        Some(s) => s,
        None => f.set_ctx(FilterState {
            disabled: Cell::new(false),
            out: Cell::new(None),
        }),
    };
    if state.disabled.get() {
        return status(f.pass_brigade(bb));
    }
    let Some(config) = crate::dir_config(r) else {
        return status(f.pass_brigade(bb));
    };
    let Some(entry) = find_entry(&config, f.name()).cloned() else {
        return status(f.pass_brigade(bb));
    };
    let interpreter = crate::dispatch::interpreter_for(r, &config, std::slice::from_ref(&entry));
    let interp = match interpreters::acquire(&interpreter) {
        Ok(i) => i,
        Err(e) => {
            bindings::rlog!(
                r,
                bindings::LogLevel::Err,
                "{}: {e}",
                String::from_utf8_lossy(f.name())
            );
            state.disabled.set(true);
            return status(f.pass_brigade(bb));
        }
    };
    let call = FilterCall {
        filter: NonNull::from(f),
        bb_in: NonNull::from(bb),
        state: NonNull::from(state),
        closed: Cell::new(false),
        passed: Cell::new(false),
        rc: Cell::new(0),
        owner: std::thread::current().id(),
    };
    let handle = Arc::new(CallHandle(AtomicPtr::new(
        &call as *const FilterCall as *mut FilterCall,
    )));
    interp.enter(|py| {
        if let Err(e) = dispatch(py, &interp, r, f, &config, &entry, handle.clone()) {
            bindings::rlog!(
                r,
                bindings::LogLevel::Err,
                "MPY0021: filter dispatcher failed for {}",
                entry.handler
            );
            for line in e.traceback_lines() {
                bindings::rlog!(r, bindings::LogLevel::Err, "{line}");
            }
            state.disabled.set(true);
        }
        handle.0.store(std::ptr::null_mut(), Ordering::Release);
    });
    // After an error the filter is transparent: what it did not consume goes on.
    if state.disabled.get() && !call.closed.get() && !call.passed.get() && !bb.is_empty() {
        return status(f.pass_brigade(bb));
    }
    call.rc.get()
}

fn status(r: Result<(), bindings::AprError>) -> i32 {
    match r {
        Ok(()) => 0,
        Err(bindings::AprError::Status { status, .. }) => status,
        Err(_) => bindings::sys::APR_EGENERAL as i32,
    }
}

fn dispatch<'py>(
    py: Py<'py>,
    interp: &Arc<interpreters::Interpreter>,
    r: &Request,
    f: &Filter,
    config: &directives::DirConfig,
    entry: &HandlerEntry,
    handle: Arc<CallHandle>,
) -> PyResult<'py, ()> {
    let req = crate::request::request_object(py, interp, r)?;
    let module = interp.apache_module(py);
    // SAFETY: the interpreter's _apache module; its state holds the filter type.
    let ty = unsafe { crate::apache_module::module_state(module.as_ptr()) }.filter_type;
    // SAFETY: ty is our filter heap type; fields are written before Python sees the object.
    let obj = unsafe {
        let obj = Obj::from_owned(
            py,
            ffi::PyType_GenericAlloc(ty as *mut ffi::PyTypeObject, 0),
        )?;
        let raw = obj.as_ptr() as *mut FilterObject;
        std::ptr::addr_of_mut!((*raw).handle).write(ManuallyDrop::new(handle));
        let attrs = [
            req.clone(),
            py.str_from_wire(f.name())?,
            py.str(&entry.handler.to_string())?,
            match &entry.directory {
                Some(d) => py.str(d)?,
                None => py.none(),
            },
        ];
        for (i, a) in attrs.into_iter().enumerate() {
            (*raw).attrs[i] = a.into_ptr();
        }
        obj
    };
    let handler = crate::dispatch::handler_tuple(py, entry)?;
    let python_path = match &config.python_path {
        Some(p) => py.str(&p.value)?,
        None => py.none(),
    };
    interp.apache_py(py).call_method(
        "_filter_dispatch",
        vec![
            obj,
            handler,
            py.bool(false),
            py.bool(config.debug()),
            py.bool(config.auto_reload()),
            python_path,
        ],
    )?;
    Ok(())
}
