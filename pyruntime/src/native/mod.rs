//! Building blocks for native Python types and functions written in Rust: static tables of
//! `PyMethodDef`/`PyGetSetDef`/`PyType_Slot`, the trampoline every C entry point from Python
//! goes through (it catches panics), and argument parsing for `METH_FASTCALL` functions.
//!
//! The static tables hold only C strings and function pointers, never Python objects, so
//! sharing them between interpreters is sound; the types built from them are per interpreter.

use crate::py::{Obj, PyErr, PyResult, Python};
use pyo3_ffi as ffi;
use std::cell::UnsafeCell;
use std::ffi::{c_void, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};

mod declare;
#[cfg(test)]
mod tests;

pub(crate) use declare::{native_attributes, native_methods, native_type};

/// A static C table that CPython reads (and, for `PyModuleDef`, writes once).
#[repr(transparent)]
pub(crate) struct Static<T>(UnsafeCell<T>);

// SAFETY: the tables hold C strings and function pointers only; CPython writes a
// PyModuleDef's base only while holding the GIL, and nothing else writes them.
unsafe impl<T> Sync for Static<T> {}

impl<T> Static<T> {
    pub(crate) const fn new(v: T) -> Self {
        Static(UnsafeCell::new(v))
    }
    pub(crate) const fn get(&self) -> *mut T {
        self.0.get()
    }
}

/// The `PyInit_*` of a native module: fills in the definition's method table and slots (a
/// `static` cannot point to another at compile time; this is the only write to them) and
/// hands it to `PyModuleDef_Init` (multi-phase: one module per interpreter).
///
/// # Safety
/// Called by the import system with the GIL held, before any other use of `def`.
pub(crate) unsafe fn init_module_def<const M: usize, const S: usize>(
    def: &Static<ffi::PyModuleDef>,
    methods: &Static<[ffi::PyMethodDef; M]>,
    slots: &Static<[ffi::PyModuleDef_Slot; S]>,
) -> *mut ffi::PyObject {
    let def = def.get();
    // SAFETY: the GIL is held and nothing else uses the statics yet (the caller's promise).
    unsafe {
        (*def).m_methods = methods.get().cast::<ffi::PyMethodDef>();
        (*def).m_slots = slots.get().cast::<ffi::PyModuleDef_Slot>();
        ffi::PyModuleDef_Init(def)
    }
}

/// `METH_FASTCALL | METH_KEYWORDS` function signature.
pub(crate) type FastFn = unsafe extern "C" fn(
    *mut ffi::PyObject,
    *const *mut ffi::PyObject,
    ffi::Py_ssize_t,
    *mut ffi::PyObject,
) -> *mut ffi::PyObject;

/// A method (or module function) entry.
pub(crate) const fn method(name: &'static CStr, f: FastFn, doc: &'static CStr) -> ffi::PyMethodDef {
    ffi::PyMethodDef {
        ml_name: name.as_ptr(),
        ml_meth: ffi::PyMethodDefPointer {
            PyCFunctionFastWithKeywords: f,
        },
        ml_flags: ffi::METH_FASTCALL | ffi::METH_KEYWORDS,
        ml_doc: doc.as_ptr(),
    }
}

/// A `&'static CStr` from a string literal ending in NUL (for names and docs made with
/// `concat!` at compile time).
pub(crate) const fn c_name(s: &'static str) -> &'static CStr {
    match CStr::from_bytes_with_nul(s.as_bytes()) {
        Ok(c) => c,
        Err(_) => panic!("a C string needs one NUL, at its end"),
    }
}

/// The terminating method entry.
pub(crate) const METHODS_END: ffi::PyMethodDef = ffi::PyMethodDef::zeroed();

/// The terminating attribute entry.
pub(crate) const GETSET_END: ffi::PyGetSetDef = ffi::PyGetSetDef {
    name: std::ptr::null(),
    get: None,
    set: None,
    doc: std::ptr::null(),
    closure: std::ptr::null_mut(),
};

/// A type slot entry.
/// The member table that gives a type's objects a `__dict__` at `offset` (arbitrary
/// attributes, as `req.anything = ...`).
pub(crate) const fn dict_members(offset: usize) -> [ffi::PyMemberDef; 2] {
    [
        ffi::PyMemberDef {
            name: c"__dictoffset__".as_ptr(),
            type_code: ffi::Py_T_PYSSIZET,
            offset: offset as ffi::Py_ssize_t,
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
    ]
}

pub(crate) const fn slot(slot: std::ffi::c_int, pfunc: *mut c_void) -> ffi::PyType_Slot {
    ffi::PyType_Slot { slot, pfunc }
}

/// The terminating slot entry.
pub(crate) const SLOTS_END: ffi::PyType_Slot = ffi::PyType_Slot {
    slot: 0,
    pfunc: std::ptr::null_mut(),
};

/// The spec of one of our heap types: Python code may make instances, and subclass the type,
/// only when `instantiable` (else only the module makes them); `gc` adds garbage-collector
/// support.
pub(crate) const fn type_spec<const N: usize>(
    name: &'static CStr,
    basicsize: usize,
    instantiable: bool,
    gc: bool,
    slots: &'static Static<[ffi::PyType_Slot; N]>,
) -> ffi::PyType_Spec {
    let mut flags = ffi::Py_TPFLAGS_DEFAULT;
    if instantiable {
        // What Python code may make, it may also subclass (as mod_python's table).
        flags |= ffi::Py_TPFLAGS_BASETYPE;
    } else {
        flags |= ffi::Py_TPFLAGS_DISALLOW_INSTANTIATION;
    }
    if gc {
        flags |= ffi::Py_TPFLAGS_HAVE_GC;
    }
    ffi::PyType_Spec {
        name: name.as_ptr(),
        basicsize: basicsize as std::ffi::c_int,
        itemsize: 0,
        flags: flags as _,
        slots: slots.get() as *mut ffi::PyType_Slot,
    }
}

/// A new object of our heap type `ty`, whose layout is `T`, with `init` writing the fields
/// zero is not right for, before any Python code can see the object.
///
/// # Safety
/// `ty` is one of our heap types whose instances have layout `T` (a `#[repr(C)]` struct
/// starting with `ffi::PyObject`), and `init` writes every field the type's slots read that
/// zeroed memory does not already make valid.
pub(crate) unsafe fn alloc_object<'py, T>(
    py: Python<'py>,
    ty: *mut ffi::PyObject,
    init: impl FnOnce(*mut T),
) -> PyResult<'py, Obj<'py>> {
    // GenericAlloc returns zeroed memory, GC-tracked for GC types.
    // SAFETY: ty is a live heap type (the caller's contract).
    let obj = unsafe {
        Obj::from_owned(
            py,
            ffi::PyType_GenericAlloc(ty as *mut ffi::PyTypeObject, 0),
        )?
    };
    init(obj.as_ptr() as *mut T);
    Ok(obj)
}

/// The object `slf` seen as its layout `T` (the one place a `PyObject` pointer becomes our
/// struct).
///
/// # Safety
/// `slf` is an object of the heap type whose layout is `T`, alive for `'a`, and no `&mut`
/// to it is used during `'a`.
pub(crate) unsafe fn layout<'a, T>(slf: *mut ffi::PyObject) -> &'a T {
    // SAFETY: per the contract; the layout starts with the PyObject header.
    unsafe { &*(slf as *const T) }
}

/// As [`layout`], for changing the object's own fields.
///
/// # Safety
/// As [`layout`], and no other reference to it is used during `'a`.
#[allow(clippy::mut_from_ref)] // the pointer is not a reference; uniqueness is the contract
pub(crate) unsafe fn layout_mut<'a, T>(slf: *mut ffi::PyObject) -> &'a mut T {
    // SAFETY: per the contract.
    unsafe { &mut *(slf as *mut T) }
}

/// Visits each non-NULL reference of `refs` (a `tp_traverse` or `m_traverse` body); stops at
/// the first non-zero answer and returns it.
///
/// # Safety
/// Called by the GC with its `visit` and `arg`; every pointer is NULL or a live object.
pub(crate) unsafe fn visit_refs(
    refs: impl IntoIterator<Item = *mut ffi::PyObject>,
    visit: ffi::visitproc,
    arg: *mut c_void,
) -> std::ffi::c_int {
    for p in refs.into_iter().filter(|p| !p.is_null()) {
        // SAFETY: a live object, visited as the GC asks.
        let rc = unsafe { visit(p, arg) };
        if rc != 0 {
            return rc;
        }
    }
    0
}

/// Releases each reference held in `slots` once, leaving NULL (a `tp_clear` body).
///
/// # Safety
/// The GIL is held; every slot holds NULL or a strong reference.
pub(crate) unsafe fn release_refs<'a>(slots: impl IntoIterator<Item = &'a mut *mut ffi::PyObject>) {
    for slot in slots {
        let old = std::mem::replace(slot, std::ptr::null_mut());
        // SAFETY: the reference this slot owned, released once.
        unsafe { ffi::Py_XDECREF(old) };
    }
}

/// The last step of `tp_dealloc` for our heap types: frees the object's memory (`tp_free`) and
/// releases its reference to its type.
///
/// # Safety
/// `slf` is an object of one of our heap types whose last reference is gone and whose own
/// fields are already released.
pub(crate) unsafe fn free_object(slf: *mut ffi::PyObject) {
    // SAFETY: per the contract; heap-type instances hold a reference to their type.
    unsafe {
        let ty = ffi::Py_TYPE(slf);
        if let Some(free) = (*ty).tp_free {
            free(slf as *mut c_void);
        }
        ffi::Py_DECREF(ty as *mut ffi::PyObject);
    }
}

/// Runs the body of a C entry point called by Python (GIL held): `Ok` returns the new
/// reference, `Err` sets the exception and returns NULL, a Rust panic raises
/// `_apache.RustPanic` (a `BaseException`, so `except Exception` does not hide it).
pub(crate) fn trampoline(
    f: impl for<'py> FnOnce(Python<'py>) -> PyResult<'py, Obj<'py>>,
) -> *mut ffi::PyObject {
    // SAFETY: CPython calls native functions with the GIL held by this thread.
    let py = unsafe { Python::assume() };
    match catch_unwind(AssertUnwindSafe(|| f(py))) {
        Ok(Ok(obj)) => obj.into_ptr(),
        Ok(Err(err)) => {
            err.restore();
            std::ptr::null_mut()
        }
        Err(payload) => {
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            let exc = crate::apache_module::rust_panic_type(py);
            let text = format!("MPY0002: internal error in mod_python: {msg}");
            // SAFETY: exc is RustPanic of the attached interpreter, or a builtin class.
            unsafe { PyErr::new(py, exc, &text) }.restore();
            std::ptr::null_mut()
        }
    }
}

/// Like [`trampoline`] for C slots that return an int status (0 ok, -1 error).
pub(crate) fn trampoline_int(
    f: impl for<'py> FnOnce(Python<'py>) -> PyResult<'py, std::ffi::c_int>,
) -> std::ffi::c_int {
    let mut rc = -1;
    let out = trampoline(|py| {
        rc = f(py)?;
        Ok(py.none())
    });
    if out.is_null() {
        return -1;
    }
    // SAFETY: `out` is the new reference to None returned above.
    unsafe { ffi::Py_DECREF(out) };
    rc
}

/// Arguments of a `METH_FASTCALL | METH_KEYWORDS` call, matched to parameter names.
pub(crate) struct Args<'py, const N: usize> {
    values: [Option<Obj<'py>>; N],
}

impl<'py, const N: usize> Args<'py, N> {
    /// Matches positional and keyword arguments to `names`; the first `required` names must
    /// be given. Errors read like CPython's own (`write() missing required argument 'data'`).
    ///
    /// # Safety
    /// The pointers are what CPython passed to a fastcall function.
    pub(crate) unsafe fn parse(
        py: Python<'py>,
        func: &str,
        names: [&str; N],
        required: usize,
        args: *const *mut ffi::PyObject,
        nargs: ffi::Py_ssize_t,
        kwnames: *mut ffi::PyObject,
    ) -> PyResult<'py, Args<'py, N>> {
        // SAFETY: PyVectorcall_NARGS only masks the flag bit off the count.
        let npos = usize::try_from(unsafe { ffi::PyVectorcall_NARGS(nargs as usize) }).unwrap_or(0);
        if npos > N {
            return Err(PyErr::type_error(
                py,
                &format!("{func}() takes at most {N} arguments ({npos} given)"),
            ));
        }
        let mut values: [Option<Obj<'py>>; N] = std::array::from_fn(|_| None);
        for (i, slot) in values.iter_mut().enumerate().take(npos) {
            // SAFETY: args holds npos positional argument pointers (borrowed).
            *slot = Some(unsafe { Obj::from_borrowed(py, *args.add(i)) });
        }
        if !kwnames.is_null() {
            // SAFETY: kwnames is a tuple of str; their values follow the positionals in args.
            let nkw = unsafe { ffi::PyTuple_GET_SIZE(kwnames) } as usize;
            for k in 0..nkw {
                // SAFETY: k < nkw; items are borrowed str objects.
                let key = unsafe { Obj::from_borrowed(py, ffi::PyTuple_GET_ITEM(kwnames, k as _)) };
                let key = key.str_lossy();
                let Some(idx) = names.iter().position(|n| *n == key) else {
                    return Err(PyErr::type_error(
                        py,
                        &format!("{func}() got an unexpected keyword argument '{key}'"),
                    ));
                };
                if values[idx].is_some() {
                    return Err(PyErr::type_error(
                        py,
                        &format!("{func}() got multiple values for argument '{key}'"),
                    ));
                }
                // SAFETY: keyword values follow the positionals in args.
                values[idx] = Some(unsafe { Obj::from_borrowed(py, *args.add(npos + k)) });
            }
        }
        if let Some(missing) = (0..required).find(|&i| values[i].is_none()) {
            return Err(PyErr::type_error(
                py,
                &format!("{func}() missing required argument '{}'", names[missing]),
            ));
        }
        Ok(Args { values })
    }

    /// The argument at `i`, if given (and not `None`).
    pub(crate) fn get(&self, i: usize) -> Option<&Obj<'py>> {
        self.values[i].as_ref().filter(|o| !o.is_none())
    }

    /// The argument at `i` as an int, or `default`.
    pub(crate) fn int_or(&self, i: usize, default: i64) -> PyResult<'py, i64> {
        match self.get(i) {
            Some(o) => o.to_i64(),
            None => Ok(default),
        }
    }
}

/// Creates a heap type from `spec` belonging to the `_apache` module `module` (so its methods
/// find the module's per-interpreter state).
pub(crate) fn create_heap_type<'py>(
    py: Python<'py>,
    module: &Obj<'py>,
    spec: &'static Static<ffi::PyType_Spec>,
) -> PyResult<'py, Obj<'py>> {
    // SAFETY: the spec and its tables are 'static; the new type keeps a reference to `module`.
    unsafe {
        Obj::from_owned(
            py,
            ffi::PyType_FromModuleAndSpec(module.as_ptr(), spec.get(), std::ptr::null_mut()),
        )
    }
}
