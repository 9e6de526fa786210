//! [`PyErr`]: a Python exception taken off the thread's error indicator, as an owned
//! reference, with the constructors for the exceptions the module raises and the traceback
//! lines it logs.

use super::{Obj, Python};
use pyo3_ffi as ffi;
use std::ffi::{CStr, CString};
use std::ptr::NonNull;

/// A Python exception taken off the thread's error indicator (normalized, with traceback).
pub struct PyErr<'py> {
    value: Obj<'py>,
}

/// Result of a call into Python.
pub type PyResult<'py, T> = Result<T, PyErr<'py>>;

impl<'py> PyErr<'py> {
    /// Takes the current exception; a `SystemError` if none is set.
    pub fn fetch(py: Python<'py>) -> PyErr<'py> {
        let (mut t, mut v, mut tb) = (
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
        );
        // Normalization gives an exception instance; we attach the traceback and keep only it.
        // SAFETY: PyErr_Fetch moves the (possibly NULL) error triple to us.
        unsafe {
            ffi::PyErr_Fetch(&mut t, &mut v, &mut tb);
            if t.is_null() {
                ffi::PyErr_SetString(ffi::PyExc_SystemError, c"error without exception".as_ptr());
                ffi::PyErr_Fetch(&mut t, &mut v, &mut tb);
            }
            ffi::PyErr_NormalizeException(&mut t, &mut v, &mut tb);
            if !tb.is_null() && !v.is_null() {
                ffi::PyException_SetTraceback(v, tb);
            }
            ffi::Py_XDECREF(t);
            ffi::Py_XDECREF(tb);
            let value = match NonNull::new(v) {
                Some(_) => Obj::from_owned_unchecked(py, v),
                None => py.none(),
            };
            PyErr { value }
        }
    }

    /// An exception made by Python code (an instance of an exception class), to raise.
    pub fn from_instance(value: Obj<'py>) -> PyErr<'py> {
        PyErr { value }
    }

    /// Raises `exc_type(msg)` and fetches it back as a value.
    ///
    /// # Safety
    /// `exc_type` is an exception class of the attached interpreter (or a builtin one).
    pub(crate) unsafe fn new(
        py: Python<'py>,
        exc_type: *mut ffi::PyObject,
        msg: &str,
    ) -> PyErr<'py> {
        let c = CString::new(msg.replace('\0', "\\0")).unwrap_or_default();
        // SAFETY: exc_type is an exception class; the message is NUL-terminated.
        unsafe { ffi::PyErr_SetString(exc_type, c.as_ptr()) };
        PyErr::fetch(py)
    }

    /// A `TypeError`.
    pub fn type_error(py: Python<'py>, msg: &str) -> PyErr<'py> {
        // SAFETY: a builtin exception class.
        unsafe { PyErr::new(py, ffi::PyExc_TypeError, msg) }
    }

    /// A `ValueError`.
    pub fn value_error(py: Python<'py>, msg: &str) -> PyErr<'py> {
        // SAFETY: a builtin exception class.
        unsafe { PyErr::new(py, ffi::PyExc_ValueError, msg) }
    }

    /// An `OSError` (mod_python raises `IOError`, its alias).
    pub fn os_error(py: Python<'py>, msg: &str) -> PyErr<'py> {
        // SAFETY: a builtin exception class.
        unsafe { PyErr::new(py, ffi::PyExc_OSError, msg) }
    }

    /// A `KeyError`.
    pub fn key_error(py: Python<'py>, msg: &str) -> PyErr<'py> {
        // SAFETY: a builtin exception class.
        unsafe { PyErr::new(py, ffi::PyExc_KeyError, msg) }
    }

    /// An `IndexError`.
    pub fn index_error(py: Python<'py>, msg: &str) -> PyErr<'py> {
        // SAFETY: a builtin exception class.
        unsafe { PyErr::new(py, ffi::PyExc_IndexError, msg) }
    }

    /// A `RuntimeError`.
    pub fn runtime_error(py: Python<'py>, msg: &str) -> PyErr<'py> {
        // SAFETY: a builtin exception class.
        unsafe { PyErr::new(py, ffi::PyExc_RuntimeError, msg) }
    }

    /// `Ok(())` for a C status of 0, else the pending exception.
    pub fn check(py: Python<'py>, rc: std::ffi::c_int) -> PyResult<'py, ()> {
        if rc < 0 {
            Err(PyErr::fetch(py))
        } else {
            Ok(())
        }
    }

    /// The exception instance.
    pub fn value(&self) -> &Obj<'py> {
        &self.value
    }

    /// Sets this exception as the thread's current one (for returning NULL to Python).
    pub fn restore(self) {
        let v = self.value.into_ptr();
        // SAFETY: PyErr_Restore steals the type, value and traceback references we pass.
        unsafe {
            let t = ffi::Py_TYPE(v) as *mut ffi::PyObject;
            ffi::Py_INCREF(t);
            let tb = ffi::PyException_GetTraceback(v);
            ffi::PyErr_Restore(t, v, tb);
        }
    }

    /// The formatted traceback lines (as `traceback.format_exception` gives them, split at
    /// newlines), or a one-line description if formatting itself fails.
    pub fn traceback_lines(&self) -> Vec<String> {
        let py = self.value.py();
        let formatted = (|| {
            let tb = py.import("traceback")?;
            let lines = tb.call_method("format_exception", vec![self.value.clone()])?;
            let joined = py.str("")?.call_method("join", vec![lines])?;
            Ok::<_, PyErr<'py>>(joined.str_lossy())
        })();
        match formatted {
            Ok(text) => text.lines().map(str::to_string).collect(),
            Err(_) => vec![self.to_string()],
        }
    }
}

impl std::fmt::Display for PyErr<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // SAFETY: reading the type name of a valid object.
        let name = unsafe {
            let t = ffi::Py_TYPE(self.value.as_ptr());
            CStr::from_ptr((*t).tp_name).to_string_lossy().into_owned()
        };
        write!(f, "{}: {}", name, self.value.str_lossy())
    }
}

impl std::fmt::Debug for PyErr<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}
