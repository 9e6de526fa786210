//! `Args`: arguments matched by position and by name, in an embedded Python.

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
