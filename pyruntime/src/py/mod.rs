//! A small safe layer over the CPython C API (`pyo3-ffi`), with no process-global Python
//! state: nothing here caches an object, a type or an interned string across interpreters.
//!
//! [`Python`] is the proof that this thread is attached to an interpreter; only the interpreter
//! guard in `interpreters.rs` creates one. [`Obj`] is an owned strong reference that drops
//! with `Py_DECREF` and cannot outlive the attachment (`'py`). [`PyErr`] is a fetched
//! Python exception, also an owned reference.

use pyo3_ffi as ffi;
use std::ffi::{c_char, CString};
use std::marker::PhantomData;
use std::ptr::NonNull;

pub use err::{PyErr, PyResult};

mod err;
#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod tests;

/// Proof that the current thread holds the GIL with some interpreter's thread state.
/// `Copy`, but neither `Send` nor `Sync`.
#[derive(Clone, Copy)]
pub struct Python<'py>(PhantomData<(&'py (), *mut ())>);

impl<'py> Python<'py> {
    /// Asserts the attachment.
    ///
    /// # Safety
    /// The calling thread holds the GIL with a valid thread state for the whole of `'py`.
    pub(crate) unsafe fn assume() -> Python<'py> {
        Python(PhantomData)
    }

    /// `None`.
    pub fn none(self) -> Obj<'py> {
        // SAFETY: Py_None is an immortal singleton; we take a new reference to it.
        unsafe { Obj::from_borrowed(self, ffi::Py_None()) }
    }

    /// `True` or `False`.
    pub fn bool(self, v: bool) -> Obj<'py> {
        // SAFETY: the bool singletons; PyBool_FromLong returns a new reference.
        unsafe { Obj::from_owned_unchecked(self, ffi::PyBool_FromLong(v as _)) }
    }

    /// A `str` from UTF-8 text.
    pub fn str(self, s: &str) -> PyResult<'py, Obj<'py>> {
        // SAFETY: s is valid UTF-8 of the given length.
        unsafe {
            Obj::from_owned(
                self,
                ffi::PyUnicode_FromStringAndSize(s.as_ptr() as *const c_char, s.len() as _),
            )
        }
    }

    /// A `str` from bytes decoded as UTF-8 with `surrogateescape`: lossless for any bytes,
    /// and [`Obj::to_wire_bytes`] gives the same bytes back. This is the one encoding rule
    /// for strings that cross between Apache and Python (see docs/design.md).
    pub fn str_from_wire(self, b: &[u8]) -> PyResult<'py, Obj<'py>> {
        // SAFETY: b is valid for its length; the error handler name is NUL-terminated.
        unsafe {
            Obj::from_owned(
                self,
                ffi::PyUnicode_DecodeUTF8(
                    b.as_ptr() as *const c_char,
                    b.len() as _,
                    c"surrogateescape".as_ptr(),
                ),
            )
        }
    }

    /// `str` from wire bytes, or `None` for a missing value.
    /// A tuple of `str`s from wire bytes.
    pub fn str_tuple(self, items: Vec<&[u8]>) -> PyResult<'py, Obj<'py>> {
        let items = items
            .into_iter()
            .map(|s| self.str_from_wire(s))
            .collect::<PyResult<'py, Vec<_>>>()?;
        self.tuple(items)
    }

    /// A `str` of `s`, or `None`.
    pub fn opt_str(self, s: Option<&str>) -> PyResult<'py, Obj<'py>> {
        match s {
            Some(s) => self.str(s),
            None => Ok(self.none()),
        }
    }

    pub fn opt_str_from_wire(self, b: Option<&[u8]>) -> PyResult<'py, Obj<'py>> {
        match b {
            Some(b) => self.str_from_wire(b),
            None => Ok(self.none()),
        }
    }

    /// A `bytes` copy of `b`.
    pub fn bytes(self, b: &[u8]) -> PyResult<'py, Obj<'py>> {
        // SAFETY: b is valid for its length; PyBytes copies it.
        unsafe {
            Obj::from_owned(
                self,
                ffi::PyBytes_FromStringAndSize(b.as_ptr() as *const c_char, b.len() as _),
            )
        }
    }

    /// An `int`.
    pub fn int(self, v: i64) -> PyResult<'py, Obj<'py>> {
        // SAFETY: PyLong_FromLongLong returns a new reference or NULL with an exception.
        unsafe { Obj::from_owned(self, ffi::PyLong_FromLongLong(v)) }
    }

    /// An unnamed capsule holding `address` (an httpd record for C extensions: mod_python's
    /// `_request_rec`, `_conn_rec`, `_server_rec`); nothing is freed with it.
    pub fn capsule(self, address: std::ptr::NonNull<std::ffi::c_void>) -> PyResult<'py, Obj<'py>> {
        // SAFETY: a non-NULL pointer, no name, no destructor: PyCapsule_New cannot misuse it.
        unsafe {
            Obj::from_owned(
                self,
                ffi::PyCapsule_New(address.as_ptr(), std::ptr::null(), None),
            )
        }
    }

    /// A `float`.
    pub fn float(self, v: f64) -> PyResult<'py, Obj<'py>> {
        // SAFETY: PyFloat_FromDouble returns a new reference or NULL with an exception.
        unsafe { Obj::from_owned(self, ffi::PyFloat_FromDouble(v)) }
    }

    /// A tuple of the given items.
    pub fn tuple(self, items: Vec<Obj<'py>>) -> PyResult<'py, Obj<'py>> {
        // SAFETY: PyTuple_New returns a new tuple; PyTuple_SET_ITEM steals each reference.
        unsafe {
            let t = Obj::from_owned(self, ffi::PyTuple_New(items.len() as _))?;
            for (i, item) in items.into_iter().enumerate() {
                ffi::PyTuple_SET_ITEM(t.as_ptr(), i as _, item.into_ptr());
            }
            Ok(t)
        }
    }

    /// A list of the given items.
    pub fn list(self, items: Vec<Obj<'py>>) -> PyResult<'py, Obj<'py>> {
        // SAFETY: PyList_New returns a new list; PyList_SET_ITEM steals each reference.
        unsafe {
            let l = Obj::from_owned(self, ffi::PyList_New(items.len() as _))?;
            for (i, item) in items.into_iter().enumerate() {
                ffi::PyList_SET_ITEM(l.as_ptr(), i as _, item.into_ptr());
            }
            Ok(l)
        }
    }

    /// A new empty dict.
    pub fn dict(self) -> PyResult<'py, Obj<'py>> {
        // SAFETY: PyDict_New returns a new reference or NULL with an exception.
        unsafe { Obj::from_owned(self, ffi::PyDict_New()) }
    }

    /// How many modules this interpreter has imported (`len(sys.modules)`).
    pub fn module_count(self) -> usize {
        // SAFETY: the GIL is held (`self`); the dict is borrowed, NULL only before import is set up.
        let modules = unsafe { ffi::PyImport_GetModuleDict() };
        if modules.is_null() {
            return 0;
        }
        // SAFETY: modules is a live dict.
        usize::try_from(unsafe { ffi::PyDict_Size(modules) }).unwrap_or(0)
    }

    /// `import name`.
    pub fn import(self, name: &str) -> PyResult<'py, Obj<'py>> {
        let n = self.str(name)?;
        // SAFETY: n is a str; PyImport_Import returns a new reference or NULL.
        unsafe { Obj::from_owned(self, ffi::PyImport_Import(n.as_ptr())) }
    }

    /// Runs `code` (statements) with `globals` as its namespace.
    pub fn run(self, code: &str, filename: &str, globals: &Obj<'py>) -> PyResult<'py, ()> {
        let code = CString::new(code).map_err(|_| PyErr::value_error(self, "NUL in code"))?;
        let filename =
            CString::new(filename).map_err(|_| PyErr::value_error(self, "NUL in filename"))?;
        // SAFETY: compile then evaluate with a dict as globals and locals.
        unsafe {
            let compiled = Obj::from_owned(
                self,
                ffi::Py_CompileString(code.as_ptr(), filename.as_ptr(), ffi::Py_file_input),
            )?;
            Obj::from_owned(
                self,
                ffi::PyEval_EvalCode(compiled.as_ptr(), globals.as_ptr(), globals.as_ptr()),
            )?;
        }
        Ok(())
    }
}

/// An owned strong reference to a Python object, valid while attached.
pub struct Obj<'py> {
    ptr: NonNull<ffi::PyObject>,
    py: Python<'py>,
}

impl<'py> Obj<'py> {
    /// Takes ownership of a new reference; NULL means an exception is set.
    ///
    /// # Safety
    /// `p` is NULL (with an exception set) or a new (owned) reference.
    pub unsafe fn from_owned(py: Python<'py>, p: *mut ffi::PyObject) -> PyResult<'py, Obj<'py>> {
        match NonNull::new(p) {
            Some(ptr) => Ok(Obj { ptr, py }),
            None => Err(PyErr::fetch(py)),
        }
    }

    /// Takes ownership of a new reference that cannot be NULL.
    ///
    /// # Safety
    /// `p` is a non-NULL new reference.
    pub(crate) unsafe fn from_owned_unchecked(py: Python<'py>, p: *mut ffi::PyObject) -> Obj<'py> {
        // SAFETY: the caller promises p is not NULL.
        let ptr = unsafe { NonNull::new_unchecked(p) };
        Obj { ptr, py }
    }

    /// Takes a new reference to a borrowed object.
    ///
    /// # Safety
    /// `p` is a valid, non-NULL object of the current interpreter.
    pub unsafe fn from_borrowed(py: Python<'py>, p: *mut ffi::PyObject) -> Obj<'py> {
        // SAFETY: p is a valid object; we own the new reference.
        unsafe { ffi::Py_INCREF(p) };
        // SAFETY: p is not NULL (caller's contract).
        unsafe { Obj::from_owned_unchecked(py, p) }
    }

    /// The attachment token.
    pub fn py(&self) -> Python<'py> {
        self.py
    }

    /// The raw pointer (still owned by `self`).
    pub fn as_ptr(&self) -> *mut ffi::PyObject {
        self.ptr.as_ptr()
    }

    /// Gives up ownership, returning the new reference.
    pub fn into_ptr(self) -> *mut ffi::PyObject {
        let p = self.ptr.as_ptr();
        std::mem::forget(self);
        p
    }

    /// `self.name`.
    pub fn getattr(&self, name: &str) -> PyResult<'py, Obj<'py>> {
        let n = self.py.str(name)?;
        // SAFETY: self and n are valid objects; returns a new reference or NULL.
        unsafe { Obj::from_owned(self.py, ffi::PyObject_GetAttr(self.as_ptr(), n.as_ptr())) }
    }

    /// `self.name = value`.
    pub fn setattr(&self, name: &str, value: &Obj<'py>) -> PyResult<'py, ()> {
        let n = self.py.str(name)?;
        // SAFETY: all three are valid objects.
        let rc = unsafe { ffi::PyObject_SetAttr(self.as_ptr(), n.as_ptr(), value.as_ptr()) };
        PyErr::check(self.py, rc)
    }

    /// `self[key] = value`.
    pub fn set_item(&self, key: &Obj<'py>, value: &Obj<'py>) -> PyResult<'py, ()> {
        // SAFETY: all three are valid objects.
        let rc = unsafe { ffi::PyObject_SetItem(self.as_ptr(), key.as_ptr(), value.as_ptr()) };
        PyErr::check(self.py, rc)
    }

    /// `self(*args)`.
    pub fn call(&self, args: Vec<Obj<'py>>) -> PyResult<'py, Obj<'py>> {
        let t = self.py.tuple(args)?;
        // SAFETY: self is callable or the call raises; t is a tuple.
        unsafe {
            Obj::from_owned(
                self.py,
                ffi::PyObject_Call(self.as_ptr(), t.as_ptr(), std::ptr::null_mut()),
            )
        }
    }

    /// `self.name(*args)`.
    pub fn call_method(&self, name: &str, args: Vec<Obj<'py>>) -> PyResult<'py, Obj<'py>> {
        self.getattr(name)?.call(args)
    }

    /// True for `None`.
    pub fn is_none(&self) -> bool {
        // SAFETY: comparing with the None singleton's address.
        self.as_ptr() == unsafe { ffi::Py_None() }
    }

    /// `str(self)` as Rust text (unencodable characters replaced).
    pub fn str_lossy(&self) -> String {
        // SAFETY: PyObject_Str returns a new reference or NULL.
        match unsafe { Obj::from_owned(self.py, ffi::PyObject_Str(self.as_ptr())) } {
            Ok(s) => s
                .to_wire_bytes()
                .map(|b| String::from_utf8_lossy(&b).into_owned()),
            Err(_) => Ok("<unprintable>".to_string()),
        }
        .unwrap_or_else(|_| "<unprintable>".to_string())
    }

    /// The buffer of a `bytes` object (empty for any other type). `bytes` are immutable, so
    /// the slice stays valid while `self` lives, even with the GIL released.
    pub fn bytes_data(&self) -> &[u8] {
        let p = self.as_ptr();
        // SAFETY: a bytes object's buffer is valid for its size while the object lives.
        unsafe {
            if ffi::PyBytes_Check(p) == 0 {
                return &[];
            }
            std::slice::from_raw_parts(
                ffi::PyBytes_AsString(p) as *const u8,
                ffi::PyBytes_Size(p) as usize,
            )
        }
    }

    /// The bytes of a `str` (UTF-8, `surrogateescape`) or a `bytes`/`bytearray`/buffer.
    pub fn to_wire_bytes(&self) -> PyResult<'py, Vec<u8>> {
        Ok(self.wire_slice()?.into_owned())
    }

    /// As [`Obj::to_wire_bytes`], borrowed where the object already holds those bytes: a
    /// `bytes` object's buffer, or a `str`'s UTF-8 form (which CPython keeps with the string).
    /// Both are immutable and live as long as `self`, so the slice stays valid with the GIL
    /// released. Only a `str` with lone surrogates, or another type, is converted.
    pub fn wire_slice(&self) -> PyResult<'py, std::borrow::Cow<'_, [u8]>> {
        use std::borrow::Cow;
        let p = self.as_ptr();
        // Type checks, then the matching accessor.
        // SAFETY: the buffers belong to the object, which outlives the returned borrow.
        unsafe {
            if ffi::PyBytes_Check(p) != 0 {
                return Ok(Cow::Borrowed(self.bytes_data()));
            }
            if ffi::PyUnicode_Check(p) != 0 {
                let mut len: ffi::Py_ssize_t = 0;
                let data = ffi::PyUnicode_AsUTF8AndSize(p, &mut len);
                if !data.is_null() {
                    return Ok(Cow::Borrowed(std::slice::from_raw_parts(
                        data as *const u8,
                        len as usize,
                    )));
                }
                // Lone surrogates (bytes that came in as surrogateescape): encode them back.
                ffi::PyErr_Clear();
                let b = Obj::from_owned(
                    self.py,
                    ffi::PyUnicode_AsEncodedString(
                        p,
                        c"utf-8".as_ptr(),
                        c"surrogateescape".as_ptr(),
                    ),
                )?;
                return Ok(Cow::Owned(b.bytes_data().to_vec()));
            }
            let b = Obj::from_owned(self.py, ffi::PyBytes_FromObject(p))?;
            Ok(Cow::Owned(b.bytes_data().to_vec()))
        }
    }

    /// The value of an `int` (not `bool`-checked).
    pub fn to_i64(&self) -> PyResult<'py, i64> {
        // SAFETY: PyLong_AsLongLong on a valid object; -1 with an exception set means error.
        let v = unsafe { ffi::PyLong_AsLongLong(self.as_ptr()) };
        // SAFETY: checking the thread's error indicator.
        if v == -1 && unsafe { !ffi::PyErr_Occurred().is_null() } {
            return Err(PyErr::fetch(self.py));
        }
        Ok(v)
    }

    /// True when the object's class is exactly `int` (mod_python requires handler results
    /// to be plain ints: `bool` and `IntEnum` are refused).
    pub fn is_exact_int(&self) -> bool {
        // SAFETY: reading the type of a valid object.
        unsafe { ffi::PyLong_CheckExact(self.as_ptr()) != 0 }
    }

    /// Truth value.
    pub fn is_true(&self) -> PyResult<'py, bool> {
        // SAFETY: PyObject_IsTrue on a valid object; -1 means an exception.
        match unsafe { ffi::PyObject_IsTrue(self.as_ptr()) } {
            -1 => Err(PyErr::fetch(self.py)),
            v => Ok(v != 0),
        }
    }
}

impl Clone for Obj<'_> {
    fn clone(&self) -> Self {
        // SAFETY: a valid object of the attached interpreter.
        unsafe { Obj::from_borrowed(self.py, self.as_ptr()) }
    }
}

impl Drop for Obj<'_> {
    fn drop(&mut self) {
        // SAFETY: we own one reference, and 'py proves we are still attached.
        unsafe { ffi::Py_DECREF(self.ptr.as_ptr()) }
    }
}

/// A new `bytes` object of `len` bytes whose contents are still to be written, and its
/// buffer. Until [`shrink_bytes`] (or the caller's own use) the object is the caller's
/// alone, so the buffer may be filled without the GIL.
pub fn uninit_bytes<'py>(
    py: Python<'py>,
    len: usize,
) -> PyResult<'py, (Obj<'py>, &'py mut [std::mem::MaybeUninit<u8>])> {
    // PyBytes_FromStringAndSize(NULL, n): an n-byte buffer nothing else references yet.
    // SAFETY: the slice covers exactly that buffer, which lives as long as the returned Obj.
    unsafe {
        let obj = Obj::from_owned(
            py,
            ffi::PyBytes_FromStringAndSize(std::ptr::null(), len as _),
        )?;
        let data = ffi::PyBytes_AsString(obj.as_ptr()) as *mut std::mem::MaybeUninit<u8>;
        Ok((obj, std::slice::from_raw_parts_mut(data, len)))
    }
}

/// `obj` from [`uninit_bytes`] with only its first `len` bytes written: itself when it is
/// full, else a copy of those bytes.
pub fn shrink_bytes(obj: Obj<'_>, len: usize) -> PyResult<'_, Obj<'_>> {
    let py = obj.py();
    // SAFETY: obj is a bytes object; its first len bytes were written.
    unsafe {
        if ffi::PyBytes_Size(obj.as_ptr()) as usize == len {
            return Ok(obj);
        }
        let data = ffi::PyBytes_AsString(obj.as_ptr()) as *const u8;
        py.bytes(std::slice::from_raw_parts(data, len))
    }
}
