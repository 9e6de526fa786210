//! `_apache.multipart_parser(boundary, max_header_bytes=65536, max_parts=100000)`: the
//! streaming multipart parser of the `forms` crate as a Python object, for
//! `mod_python.util.FieldStorage`. `feed(chunk)` returns the events the chunk completes as
//! tuples: `(0, [(name, value), ...])` a part begins with these headers (bytes), `(1, data)`
//! the next bytes of its data, `(2, None)` it ended, `(3, None)` the closing boundary was
//! read. `finish()` checks the body ended properly. A body that is not acceptable raises
//! `ValueError` saying why.

use crate::native::{native_methods, native_type};
use crate::py::{Obj, PyErr, PyResult, Python};
use forms::multipart::{Event, Limits, Parser};
use pyo3_ffi as ffi;

#[repr(C)]
struct MultipartObject {
    ob_base: ffi::PyObject,
    /// Owned; set at creation, dropped by `dealloc`.
    parser: *mut Parser,
}

/// A new parser object for `boundary`.
pub(crate) fn new_parser_object<'py>(
    py: Python<'py>,
    ty: *mut ffi::PyObject,
    boundary: &[u8],
    limits: Limits,
) -> PyResult<'py, Obj<'py>> {
    let parser = Parser::new(boundary, limits).map_err(|e| refusal(py, &e))?;
    let raw_parser = Box::into_raw(Box::new(parser));
    // SAFETY: ty is our parser type; the field is written before any Python code runs.
    let made = unsafe {
        crate::native::alloc_object(py, ty, |raw: *mut MultipartObject| {
            std::ptr::addr_of_mut!((*raw).parser).write(raw_parser);
        })
    };
    if made.is_err() {
        // SAFETY: the box was not handed to an object, so it is still ours alone.
        drop(unsafe { Box::from_raw(raw_parser) });
    }
    made
}

fn refusal<'py>(py: Python<'py>, e: &forms::multipart::Error) -> PyErr<'py> {
    PyErr::value_error(py, &format!("malformed multipart body: {e}"))
}

/// # Safety
/// `slf` is a parser object, and no other borrow of its parser is alive.
unsafe fn parser<'a>(slf: *mut ffi::PyObject) -> &'a mut Parser {
    // SAFETY: per the contract; the pointer was set at creation and is freed only by dealloc.
    unsafe { &mut *crate::native::layout::<MultipartObject>(slf).parser }
}

/// One event as the tuple `feed` returns.
fn event_tuple<'py>(py: Python<'py>, event: Event<'_>) -> PyResult<'py, Obj<'py>> {
    let (kind, payload) = match event {
        Event::Part(headers) => {
            let pairs = headers
                .iter()
                .map(|h| py.tuple(vec![py.bytes(&h.name)?, py.bytes(&h.value)?]))
                .collect::<PyResult<'py, Vec<_>>>()?;
            (0, py.list(pairs)?)
        }
        Event::Data(d) => (1, py.bytes(d)?),
        Event::PartEnd => (2, py.none()),
        Event::End => (3, py.none()),
    };
    py.tuple(vec![py.int(kind)?, payload])
}

native_methods! {
    METHODS, mod multipart_methods, |py, slf| Ok::<_, PyErr<'_>>(slf);

    feed(slf, a = ["chunk"] / 1)
        "feed(chunk): the events this chunk of the body completes, as a list of tuples."
    {
        let chunk = a.get(0).ok_or_else(|| PyErr::type_error(py, "feed() needs a chunk"))?;
        let data = chunk.wire_slice()?;
        let mut events = Vec::new();
        let mut failed = None;
        // The GIL is held and the parser never calls back into Python.
        // SAFETY: slf is a parser object; nothing else borrows its parser during this call.
        let fed = unsafe { parser(slf) }.feed(&data, |e| {
            if failed.is_none() {
                match event_tuple(py, e) {
                    Ok(t) => events.push(t),
                    Err(err) => failed = Some(err),
                }
            }
        });
        if let Some(err) = failed {
            return Err(err);
        }
        fed.map_err(|e| refusal(py, &e))?;
        py.list(events)
    }

    finish(slf, _a = [] / 0)
        "finish(): raises ValueError unless the body ended with its closing boundary."
    {
        // SAFETY: as in feed.
        unsafe { parser(slf) }.finish().map_err(|e| refusal(py, &e))?;
        Ok(py.none())
    }

    done(slf, _a = [] / 0)
        "done(): whether the closing boundary has been read."
    {
        // SAFETY: as in feed.
        Ok(py.bool(unsafe { parser(slf) }.is_done()))
    }
}

unsafe extern "C" fn dealloc(slf: *mut ffi::PyObject) {
    // SAFETY: the last reference is gone; the parser box was made by new_parser_object.
    unsafe {
        let raw = crate::native::layout_mut::<MultipartObject>(slf).parser;
        if !raw.is_null() {
            drop(Box::from_raw(raw));
        }
        crate::native::free_object(slf);
    }
}

native_type! {
    "mp_multipart", MultipartObject, "A streaming multipart/form-data parser.",
    instantiable: false,
    gc: false,
    slots: [
        Py_tp_dealloc => dealloc,
        Py_tp_methods => METHODS.get(),
    ]
}
