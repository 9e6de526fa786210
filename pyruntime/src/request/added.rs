//! What a request adds for itself from Python: filters by name (`req.add_output_filter`,
//! `req.add_input_filter`), Python filters registered for this request only
//! (`req.register_*_filter`, run through `MOD_PYTHON`), and handler entries for
//! `req.add_handler`.

use super::objects;
use crate::native::Args;
use crate::py::{Obj, PyErr, PyResult, Python};
use directives::{HandlerEntry, HandlerRef};

/// `req.add_output_filter(name)` and the input twin: a filter registered with Apache, or one
/// registered for this request with `req.register_*_filter` (run through `MOD_PYTHON`).
pub(super) fn add_filter<'py>(
    py: Python<'py>,
    r: &bindings::Request,
    a: &Args<'py, 1>,
    input: bool,
) -> PyResult<'py, Obj<'py>> {
    let name = a
        .get(0)
        .map(Obj::to_wire_bytes)
        .transpose()?
        .unwrap_or_default();
    let name = name.as_slice();
    let bad = |_| PyErr::value_error(py, "bad filter name");
    if crate::request::dynamic_filter(r, name, input).is_some() {
        let dynamic = crate::filter::DYNAMIC_FILTER.as_bytes();
        let f = if input {
            r.add_input_filter(dynamic)
        } else {
            r.add_output_filter(dynamic)
        }
        .map_err(bad)?;
        if let Some(f) = f {
            crate::filter::name_dynamic(f, &String::from_utf8_lossy(name));
        }
        return Ok(py.none());
    }
    if input {
        r.add_input_filter(name)
    } else {
        r.add_output_filter(name)
    }
    .map_err(bad)?;
    Ok(py.none())
}

/// `req.register_output_filter(name, handler, dir=None)` and the input twin: the filter is
/// then added by name with `req.add_output_filter(name)` (all such filters share Apache's
/// registration `MOD_PYTHON`, as in mod_python, plus their own name for this request).
pub(super) fn register_filter<'py>(
    py: Python<'py>,
    r: &bindings::Request,
    a: &Args<'py, 3>,
    input: bool,
) -> PyResult<'py, Obj<'py>> {
    let name = a.get(0).map(Obj::str_lossy).unwrap_or_default();
    let entry = dynamic_entry(py, a.get(1), a.get(2), "req.register_filter")?;
    if let Some(o) = objects(r) {
        o.filters.borrow_mut().push((name.clone(), input, entry));
    }
    Ok(py.none())
}

/// A handler added from Python (`req.add_handler`, `req.register_*_filter`): `handler` is
/// `module[::object]`, `dir` the directory it is relative to (a `/` added), `origin` the
/// method that added it (for messages).
pub(super) fn dynamic_entry<'py>(
    py: Python<'py>,
    handler: Option<&Obj<'py>>,
    dir: Option<&Obj<'py>>,
    origin: &str,
) -> PyResult<'py, HandlerEntry> {
    let text = handler.map(Obj::str_lossy).unwrap_or_default();
    let method = origin.trim_start_matches("req.");
    let handler = HandlerRef::parse(text.trim())
        .map_err(|e| PyErr::value_error(py, &format!("{method}: {e}")))?;
    let directory = dir.map(|d| {
        let d = d.str_lossy();
        if d.ends_with('/') {
            d
        } else {
            d + "/"
        }
    });
    Ok(HandlerEntry {
        handler,
        directory,
        directory_kind: Default::default(),
        is_location: false,
        silent: false,
        origin: directives::Origin {
            file: origin.into(),
            line: 0,
        },
    })
}
