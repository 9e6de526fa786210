//! A Python for unit tests, started once per test process, without Apache.

use super::*;

/// Runs `f` attached to the test process's Python (started on first use).
pub(crate) fn with_python<R>(f: impl for<'py> FnOnce(Python<'py>) -> R) -> R {
    static START: std::sync::Once = std::sync::Once::new();
    START.call_once(|| {
        // The GIL is released right after, for every test thread to take with
        // PyGILState_Ensure.
        // SAFETY: nothing else starts Python in a unit-test process.
        unsafe {
            ffi::Py_InitializeEx(0);
            ffi::PyEval_SaveThread();
        }
    });
    // SAFETY: Python runs; PyGILState_Ensure attaches this thread until the Release.
    let gil = unsafe { ffi::PyGILState_Ensure() };
    // SAFETY: attached until the Release below.
    let r = f(unsafe { Python::assume() });
    // SAFETY: pairs with the Ensure above.
    unsafe { ffi::PyGILState_Release(gil) };
    r
}

/// Evaluates the expression `code`.
pub(crate) fn eval<'py>(py: Python<'py>, code: &str) -> Obj<'py> {
    let globals = py.dict().expect("dict");
    py.run(&format!("result = {code}"), "<test>", &globals)
        .unwrap_or_else(|e| panic!("{code}: {:?}", e.traceback_lines()));
    let key = py.str("result").expect("key");
    // SAFETY: a dict and a str key; the result is a borrowed reference or NULL.
    let value = unsafe { ffi::PyDict_GetItem(globals.as_ptr(), key.as_ptr()) };
    assert!(!value.is_null(), "{code}: no result");
    // SAFETY: a live object owned by globals, which we keep.
    unsafe { Obj::from_borrowed(py, value) }
}
