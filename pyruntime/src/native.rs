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

/// Declares the methods of a native type (or the functions of a module) in one place: each
/// entry names the method once, with its arguments and docstring, and becomes a
/// `METH_FASTCALL` entry point (panics trapped, arguments matched by name, the receiver
/// checked) plus its line of the `PyMethodDef` table `$table`. The entry points live in the
/// module `$module`.
///
/// ```ignore
/// native_methods! {
///     METHODS, mod table_methods, |py, slf| table(py, slf);
///     get(t, a = ["key", "default"] / 1) "get(key, default=None): the first value of key." {
///         ...
///     }
/// }
/// ```
/// `|py, slf| receiver` names the attachment token and the `self` pointer for every body and
/// turns `slf` into what bodies get as their first binding (a `PyResult`, so an ended request
/// raises before any argument is looked at); `a = [names] / n` binds the parsed [`Args`], the
/// first `n` names being required.
macro_rules! native_methods {
    (
        $(#[$meta:meta])* $vis:vis $table:ident, mod $module:ident,
        |$py:ident, $slf:ident| $receiver:expr;
        $(
            $name:ident($this:pat, $a:ident = [$($arg:literal),*] / $required:literal)
            $doc:literal $body:block
        )*
    ) => {
        mod $module {
            #[allow(unused_imports)]
            use super::*;
            $(
                pub(super) unsafe extern "C" fn $name(
                    $slf: *mut pyo3_ffi::PyObject,
                    args: *const *mut pyo3_ffi::PyObject,
                    nargs: pyo3_ffi::Py_ssize_t,
                    kw: *mut pyo3_ffi::PyObject,
                ) -> *mut pyo3_ffi::PyObject {
                    $crate::native::trampoline(|$py| {
                        #[allow(unused_mut)] // only methods that change the receiver need it
                        // SAFETY: CPython calls a method with its receiver and fastcall args.
                        let ($this, $a) = unsafe {
                            let receiver = $receiver?;
                            let names = [$($arg),*];
                            let parsed = $crate::native::Args::parse(
                                $py, stringify!($name), names, $required, args, nargs, kw,
                            )?;
                            (receiver, parsed)
                        };
                        $body
                    })
                }
            )*
        }
        $(#[$meta])*
        $vis static $table: $crate::native::Static<
            [pyo3_ffi::PyMethodDef; [$(stringify!($name)),*].len() + 1],
        > = $crate::native::Static::new([
            $(
                $crate::native::method(
                    $crate::native::c_name(concat!(stringify!($name), "\0")),
                    $module::$name,
                    $crate::native::c_name(concat!($doc, "\0")),
                ),
            )*
            $crate::native::METHODS_END,
        ]);
    };
}
pub(crate) use native_methods;

/// The terminating method entry.
pub(crate) const METHODS_END: ffi::PyMethodDef = ffi::PyMethodDef::zeroed();

/// Declares the attributes of a native type in one place, as [`native_methods!`] does its
/// methods: each entry names the attribute once, with its docstring and a getter body, and
/// for a writable one a setter body after `=> |value|`, where `value` is the new value
/// (`None` for `del`). The entry points live in the module `$module`, the `PyGetSetDef`
/// table is `$table`.
///
/// ```ignore
/// native_attributes! {
///     GETSET, mod conn_attributes, |py, slf| view(py, slf);
///     keepalive(c) "Keep-alive state." { py.int(i64::from(c.keepalive())) }
///         => |value| { c.set_keepalive(...); Ok(()) }
/// }
/// ```
macro_rules! native_attributes {
    (
        $(#[$meta:meta])* $vis:vis $table:ident, mod $module:ident,
        |$py:ident, $slf:ident| $receiver:expr;
        $(
            $name:ident($this:pat) $doc:literal $get:block
            $(=> |$value:ident| $set:block)?
        )*
    ) => {
        mod $module {
            #[allow(unused_imports)]
            use super::*;
            $(
                pub(super) unsafe extern "C" fn $name(
                    $slf: *mut pyo3_ffi::PyObject,
                    _closure: *mut std::ffi::c_void,
                ) -> *mut pyo3_ffi::PyObject {
                    $crate::native::trampoline(|$py| {
                        // SAFETY: CPython calls a getter with an object of its type.
                        let $this = unsafe { $receiver }?;
                        $get
                    })
                }
            )*

            /// The setters, under the names of their attributes.
            pub(super) mod set {
                #[allow(unused_imports)]
                use super::*;
                $($(
                    pub(in super::super) unsafe extern "C" fn $name(
                        $slf: *mut pyo3_ffi::PyObject,
                        value: *mut pyo3_ffi::PyObject,
                        _closure: *mut std::ffi::c_void,
                    ) -> std::ffi::c_int {
                        $crate::native::trampoline_int(|$py| {
                            // SAFETY: CPython calls a setter with an object of its type.
                            let $this = unsafe { $receiver }?;
                            let $value = if value.is_null() {
                                None // deletion
                            } else {
                                // SAFETY: a live object CPython lends us for the call.
                                Some(unsafe { $crate::py::Obj::from_borrowed($py, value) })
                            };
                            $set.map(|()| 0)
                        })
                    }
                )?)*
            }
        }

        $(#[$meta])*
        $vis static $table: $crate::native::Static<
            [pyo3_ffi::PyGetSetDef; [$(stringify!($name)),*].len() + 1],
        > = $crate::native::Static::new([
            $(
                pyo3_ffi::PyGetSetDef {
                    name: $crate::native::c_name(concat!(stringify!($name), "\0")).as_ptr(),
                    get: Some($module::$name),
                    set: $crate::native::native_attributes!(@setter $module $name $($set)?),
                    doc: $crate::native::c_name(concat!($doc, "\0")).as_ptr(),
                    closure: std::ptr::null_mut(),
                },
            )*
            $crate::native::GETSET_END,
        ]);
    };
    (@setter $module:ident $name:ident) => {
        None
    };
    (@setter $module:ident $name:ident $set:block) => {
        Some($module::set::$name)
    };
}
pub(crate) use native_attributes;

/// The terminating attribute entry.
pub(crate) const GETSET_END: ffi::PyGetSetDef = ffi::PyGetSetDef {
    name: std::ptr::null(),
    get: None,
    set: None,
    doc: std::ptr::null(),
    closure: std::ptr::null_mut(),
};

/// A type slot entry.
pub(crate) const fn slot(slot: std::ffi::c_int, pfunc: *mut c_void) -> ffi::PyType_Slot {
    ffi::PyType_Slot { slot, pfunc }
}

/// The terminating slot entry.
pub(crate) const SLOTS_END: ffi::PyType_Slot = ffi::PyType_Slot {
    slot: 0,
    pfunc: std::ptr::null_mut(),
};

/// The spec of one of our heap types: Python code may make instances only when
/// `instantiable` (else only the module does); `gc` adds garbage-collector support.
pub(crate) const fn type_spec<const N: usize>(
    name: &'static CStr,
    basicsize: usize,
    instantiable: bool,
    gc: bool,
    slots: &'static Static<[ffi::PyType_Slot; N]>,
) -> ffi::PyType_Spec {
    let mut flags = ffi::Py_TPFLAGS_DEFAULT;
    if !instantiable {
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

/// Declares a heap type of `_apache` in one place: its spec (name, layout, docstring, whether
/// Python code may make instances, whether it takes part in garbage collection), its slots,
/// and `create_type(py, module)`, which makes the type for one `_apache` module (each
/// interpreter has its own).
///
/// ```ignore
/// native_type! {
///     "_apache.mp_conn", ConnObject, "A client connection.", instantiable: false, gc: false,
///     slots: [Py_tp_dealloc => dealloc, Py_tp_methods => METHODS.get()]
/// }
/// ```
macro_rules! native_type {
    (
        $name:literal, $layout:ty, $doc:literal, instantiable: $instantiable:literal,
        gc: $gc:literal, slots: [$($slot:ident => $f:expr),* $(,)?]
    ) => {
        static SLOTS: $crate::native::Static<
            [pyo3_ffi::PyType_Slot; [$(stringify!($slot)),*].len() + 2],
        > = $crate::native::Static::new([
            $( $crate::native::slot(pyo3_ffi::$slot, $f as *mut std::ffi::c_void), )*
            $crate::native::slot(
                pyo3_ffi::Py_tp_doc,
                $crate::native::c_name(concat!($doc, "\0")).as_ptr() as *mut std::ffi::c_void,
            ),
            $crate::native::SLOTS_END,
        ]);

        static SPEC: $crate::native::Static<pyo3_ffi::PyType_Spec> =
            $crate::native::Static::new($crate::native::type_spec(
                $crate::native::c_name(concat!($name, "\0")),
                std::mem::size_of::<$layout>(),
                $instantiable,
                $gc,
                &SLOTS,
            ));

        #[doc = concat!("Creates the `", $name, "` type for the `_apache` module `module`.")]
        pub(crate) fn create_type<'py>(
            py: $crate::py::Python<'py>,
            module: &$crate::py::Obj<'py>,
        ) -> $crate::py::PyResult<'py, $crate::py::Obj<'py>> {
            $crate::native::create_heap_type(py, module, &SPEC)
        }
    };
}
pub(crate) use native_type;

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

#[cfg(test)]
mod tests {
    use super::Args;
    use crate::py::testing::{eval, with_python};
    use crate::py::{Obj, Python};
    use pyo3_ffi as ffi;

    /// Calls `Args::parse` for `f(data, flush=1)` the way CPython's fastcall does: positional
    /// values, then the keyword values named by a tuple.
    fn parse<'py>(
        py: Python<'py>,
        positional: &[Obj<'py>],
        keywords: &[(&str, Obj<'py>)],
    ) -> Result<Vec<Option<String>>, String> {
        let mut values: Vec<*mut ffi::PyObject> = positional.iter().map(Obj::as_ptr).collect();
        values.extend(keywords.iter().map(|(_, v)| v.as_ptr()));
        let names: Vec<Obj<'py>> = keywords
            .iter()
            .map(|(k, _)| py.str(k).expect("k"))
            .collect();
        let kwnames = if keywords.is_empty() {
            std::ptr::null_mut()
        } else {
            py.tuple(names).expect("tuple").into_ptr()
        };
        // The vector and the tuple outlive the call; nargs counts the positional values.
        // SAFETY: fastcall arguments as CPython passes them.
        let parsed = unsafe {
            Args::parse(
                py,
                "write",
                ["data", "flush"],
                1,
                values.as_ptr(),
                positional.len() as ffi::Py_ssize_t,
                kwnames,
            )
        };
        if !kwnames.is_null() {
            // SAFETY: the tuple made above, released once.
            unsafe { ffi::Py_DECREF(kwnames) };
        }
        match parsed {
            Ok(a) => Ok((0..2).map(|i| a.get(i).map(Obj::str_lossy)).collect()),
            Err(e) => Err(e.traceback_lines().join("\n")),
        }
    }

    #[test]
    fn arguments_match_by_position_and_by_name() {
        with_python(|py| {
            let data = eval(py, "'x'");
            let zero = eval(py, "0");
            assert_eq!(
                parse(py, std::slice::from_ref(&data), &[]),
                Ok(vec![Some("x".into()), None])
            );
            assert_eq!(
                parse(py, &[data.clone(), zero.clone()], &[]),
                Ok(vec![Some("x".into()), Some("0".into())])
            );
            assert_eq!(
                parse(py, &[], &[("flush", zero.clone()), ("data", data.clone())]),
                Ok(vec![Some("x".into()), Some("0".into())])
            );
            // None counts as not given.
            assert_eq!(
                parse(py, &[data.clone(), eval(py, "None")], &[]),
                Ok(vec![Some("x".into()), None])
            );
        });
    }

    #[test]
    fn argument_mistakes_raise_type_errors_like_cpython() {
        with_python(|py| {
            let data = eval(py, "'x'");
            let missing = parse(py, &[], &[]).expect_err("missing");
            assert!(
                missing.contains("TypeError") && missing.contains("'data'"),
                "{missing}"
            );
            let unknown =
                parse(py, std::slice::from_ref(&data), &[("nope", data.clone())]).expect_err("kw");
            assert!(
                unknown.contains("TypeError") && unknown.contains("nope"),
                "{unknown}"
            );
            let many = parse(py, &[data.clone(), data.clone(), data.clone()], &[]);
            assert!(many.expect_err("too many").contains("TypeError"));
            let twice = parse(py, std::slice::from_ref(&data), &[("data", data.clone())]);
            assert!(twice.expect_err("twice").contains("TypeError"));
        });
    }
}
