//! The methods of `mp_request`, as mod_python documents them. Methods that may block in
//! Apache (writing, reading the body, sending a file, an internal redirect) release the GIL;
//! every method runs on the thread serving the request (others are refused by [`live`]).

use super::body::ReadError;
use super::{live, objects};
use crate::apache_module::{log_lines, state_of};
use crate::interpreters::detach;
use crate::native::{method, trampoline, Args, Static, METHODS_END};
use crate::py::{Obj, Py, PyErr, PyResult};
use crate::table::new_owned_table;
use bindings::LogLevel;
use directives::{HandlerEntry, HandlerPhase, HandlerRef};
use pyo3_ffi as ffi;

/// Raises `apache.SERVER_RETURN(status)`.
fn server_return(py: Py<'_>, slf: *mut ffi::PyObject, status: i32) -> PyErr<'_> {
    // SAFETY: slf's type belongs to an _apache module, whose state holds SERVER_RETURN.
    let exc = unsafe { state_of(slf) }.server_return;
    // SAFETY: exc is an exception class of this interpreter; args is a new int.
    unsafe {
        match py.int(i64::from(status)) {
            Ok(arg) => {
                ffi::PyErr_SetObject(exc, arg.as_ptr());
                PyErr::fetch(py)
            }
            Err(e) => e,
        }
    }
}

fn read_error<'py>(py: Py<'py>, slf: *mut ffi::PyObject, e: ReadError) -> PyErr<'py> {
    match e {
        ReadError::Status(status) => server_return(py, slf, status),
        ReadError::Client => PyErr::os_error(py, "Client read error (Timeout?)"),
    }
}

/// A size argument: `None` or negative means "no limit".
fn limit<'py>(a: Option<&Obj<'py>>) -> PyResult<'py, Option<usize>> {
    match a {
        None => Ok(None),
        Some(o) => {
            let n = o.to_i64()?;
            Ok(usize::try_from(n).ok())
        }
    }
}

/// Parameters of a method of `mp_request`: self, fastcall arguments.
macro_rules! request_method {
    ($name:ident, |$py:ident, $r:ident, $slf:ident, $args:ident, $nargs:ident, $kw:ident| $body:block) => {
        unsafe extern "C" fn $name(
            $slf: *mut ffi::PyObject,
            $args: *const *mut ffi::PyObject,
            $nargs: ffi::Py_ssize_t,
            $kw: *mut ffi::PyObject,
        ) -> *mut ffi::PyObject {
            trampoline(|$py| {
                // SAFETY: CPython calls methods of mp_request with an mp_request.
                let $r = unsafe { live($py, $slf)? };
                $body
            })
        }
    };
}

request_method!(req_write, |py, r, _slf, args, nargs, kw| {
    // SAFETY: CPython's fastcall arguments.
    let a = unsafe { Args::parse(py, "write", ["data", "flush"], 1, args, nargs, kw)? };
    let data = a.get(0).map(Obj::to_wire_bytes_obj).transpose()?;
    let data = data.as_ref().map(Obj::bytes_data).unwrap_or_default();
    let flush = a.int_or(1, 1)? != 0;
    let result = detach(py, r, |r| {
        r.write(data)?;
        if flush {
            r.flush()?;
        }
        Ok::<(), bindings::AprError>(())
    });
    result.map_err(|_| PyErr::os_error(py, "Write failed, client closed connection."))?;
    Ok(py.none())
});

request_method!(req_flush, |py, r, _slf, args, nargs, kw| {
    // SAFETY: CPython's fastcall arguments.
    unsafe { Args::<0>::parse(py, "flush", [], 0, args, nargs, kw)? };
    let result = detach(py, r, |r| r.flush());
    result.map_err(|_| PyErr::os_error(py, "Flush failed, client closed connection."))?;
    Ok(py.none())
});

request_method!(req_log_error, |py, r, _slf, args, nargs, kw| {
    // SAFETY: CPython's fastcall arguments.
    let a = unsafe { Args::parse(py, "log_error", ["message", "level"], 1, args, nargs, kw)? };
    let message = a.get(0).map(Obj::str_lossy).unwrap_or_default();
    let level = match a.int_or(1, 3)? {
        0 => LogLevel::Err,
        l => LogLevel::from_raw(l as i32),
    };
    log_lines(py, Some(r), level, &message);
    Ok(py.none())
});

request_method!(req_get_config, |py, r, slf, args, nargs, kw| {
    // SAFETY: CPython's fastcall arguments.
    unsafe { Args::<0>::parse(py, "get_config", [], 0, args, nargs, kw)? };
    let entries = crate::dir_config(r)
        .map(|c| {
            c.config_table()
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect()
        })
        .unwrap_or_default();
    // SAFETY: slf's type belongs to an _apache module.
    new_owned_table(py, unsafe { state_of(slf) }.table_type, entries)
});

request_method!(req_requires, |py, r, _slf, args, nargs, kw| {
    // SAFETY: CPython's fastcall arguments.
    unsafe { Args::<0>::parse(py, "requires", [], 0, args, nargs, kw)? };
    let method = i32::try_from(r.int(bindings::IntField::MethodNumber)).unwrap_or(-1);
    let lines = crate::dir_config(r)
        .map(|c| {
            c.requires_for(method)
                .into_iter()
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let items = lines
        .iter()
        .map(|l| py.str(l))
        .collect::<PyResult<'_, Vec<_>>>()?;
    py.tuple(items)
});

request_method!(req_get_options, |py, r, slf, args, nargs, kw| {
    // SAFETY: CPython's fastcall arguments.
    unsafe { Args::<0>::parse(py, "get_options", [], 0, args, nargs, kw)? };
    let entries = crate::dir_config(r)
        .map(|c| {
            c.effective_options()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        })
        .unwrap_or_default();
    // SAFETY: slf's type belongs to an _apache module.
    new_owned_table(py, unsafe { state_of(slf) }.table_type, entries)
});

request_method!(req_add_handler, |py, r, slf, args, nargs, kw| {
    // SAFETY: CPython's fastcall arguments.
    let a = unsafe {
        Args::parse(
            py,
            "add_handler",
            ["phase", "handler", "dir"],
            2,
            args,
            nargs,
            kw,
        )?
    };
    let phase_name = a.get(0).map(Obj::str_lossy).unwrap_or_default();
    let phase = HandlerPhase::from_directive(&phase_name)
        .filter(|p| *p != HandlerPhase::Cleanup)
        .ok_or_else(|| PyErr::index_error(py, &format!("Invalid phase: {phase_name}")))?;
    let handler_text = a.get(1).map(Obj::str_lossy).unwrap_or_default();
    let handler = HandlerRef::parse(handler_text.trim())
        .map_err(|e| PyErr::value_error(py, &format!("add_handler: {e}")))?;
    let directory = a.get(2).map(|d| {
        let d = d.str_lossy();
        if d.ends_with('/') {
            d
        } else {
            d + "/"
        }
    });
    let entry = HandlerEntry {
        handler,
        directory,
        directory_kind: Default::default(),
        is_location: false,
        silent: false,
        origin: directives::Origin {
            file: "req.add_handler".into(),
            line: 0,
        },
    };
    // SAFETY: slf is a valid object (the request).
    let req = unsafe { Obj::from_borrowed(py, slf) };
    let current = req.getattr("phase").ok().map(|p| p.str_lossy());
    if current.as_deref() == Some(phase.directive()) {
        // The phase running now: append to the list the dispatcher is walking.
        let list = req.getattr("_mp_handlers")?;
        list.call_method("append", vec![crate::dispatch::handler_tuple(py, &entry)?])?;
    } else if let Some(objects) = objects(r) {
        objects.dynamic.borrow_mut().push((phase, entry));
    }
    Ok(py.none())
});

request_method!(req_read, |py, r, slf, args, nargs, kw| {
    // SAFETY: CPython's fastcall arguments.
    let a = unsafe { Args::parse(py, "read", ["len"], 0, args, nargs, kw)? };
    let n = limit(a.get(0))?;
    let objs = objects(r).ok_or_else(|| PyErr::runtime_error(py, "request state missing"))?;
    let body = &mut *objs.body.borrow_mut();
    let data = detach(py, r, |r| body.read(r, n));
    py.bytes(&data.map_err(|e| read_error(py, slf, e))?)
});

request_method!(req_readline, |py, r, slf, args, nargs, kw| {
    // SAFETY: CPython's fastcall arguments.
    let a = unsafe { Args::parse(py, "readline", ["len"], 0, args, nargs, kw)? };
    let n = limit(a.get(0))?;
    let objs = objects(r).ok_or_else(|| PyErr::runtime_error(py, "request state missing"))?;
    let body = &mut *objs.body.borrow_mut();
    let line = detach(py, r, |r| body.readline(r, n));
    py.bytes(&line.map_err(|e| read_error(py, slf, e))?)
});

request_method!(req_readlines, |py, r, slf, args, nargs, kw| {
    // SAFETY: CPython's fastcall arguments.
    let a = unsafe { Args::parse(py, "readlines", ["sizehint"], 0, args, nargs, kw)? };
    let hint = limit(a.get(0))?;
    let objs = objects(r).ok_or_else(|| PyErr::runtime_error(py, "request state missing"))?;
    let mut lines = Vec::new();
    let mut total = 0;
    let body = &mut *objs.body.borrow_mut();
    loop {
        let line = detach(py, r, |r| body.readline(r, None)).map_err(|e| read_error(py, slf, e))?;
        if line.is_empty() {
            break;
        }
        total += line.len();
        lines.push(py.bytes(&line)?);
        if hint.is_some_and(|h| total >= h) {
            break;
        }
    }
    py.list(lines)
});

request_method!(req_discard_request_body, |py, r, _slf, args, nargs, kw| {
    // SAFETY: CPython's fastcall arguments.
    unsafe { Args::<0>::parse(py, "discard_request_body", [], 0, args, nargs, kw)? };
    let rc = detach(py, r, |r| r.discard_request_body());
    py.int(i64::from(rc))
});

request_method!(req_register_cleanup, |py, r, _slf, args, nargs, kw| {
    // SAFETY: CPython's fastcall arguments.
    let a = unsafe {
        Args::parse(
            py,
            "register_cleanup",
            ["callable", "data"],
            1,
            args,
            nargs,
            kw,
        )?
    };
    let callable = a.get(0).cloned().unwrap_or_else(|| py.none());
    // SAFETY: PyCallable_Check on a valid object.
    if unsafe { ffi::PyCallable_Check(callable.as_ptr()) } == 0 {
        return Err(PyErr::type_error(
            py,
            "first argument must be a callable object",
        ));
    }
    let data = a.get(1).cloned().unwrap_or_else(|| py.none());
    let interp = crate::interpreters::current(py)
        .ok_or_else(|| PyErr::runtime_error(py, "not in a mod_python interpreter"))?;
    let (callable, data) = (callable.into_ptr() as usize, data.into_ptr() as usize);
    super::at_end(r, move |r| {
        interp.enter(|py| {
            // SAFETY: we own one reference to each, taken above in this interpreter.
            let (callable, data) = unsafe {
                (
                    Obj::from_owned_unchecked(py, callable as *mut ffi::PyObject),
                    Obj::from_owned_unchecked(py, data as *mut ffi::PyObject),
                )
            };
            if let Err(e) = callable.call(vec![data]) {
                for line in e.traceback_lines() {
                    bindings::rlog!(r, LogLevel::Err, "req.register_cleanup: {line}");
                }
            }
        })
    });
    Ok(py.none())
});

request_method!(req_get_basic_auth_pw, |py, r, _slf, args, nargs, kw| {
    // SAFETY: CPython's fastcall arguments.
    unsafe { Args::<0>::parse(py, "get_basic_auth_pw", [], 0, args, nargs, kw)? };
    match r.get_basic_auth_pw() {
        // SAFETY: pw is valid for its length; Latin-1 decoding cannot fail.
        Ok(pw) => unsafe {
            Obj::from_owned(
                py,
                ffi::PyUnicode_DecodeLatin1(
                    pw.as_ptr() as *const _,
                    pw.len() as _,
                    std::ptr::null(),
                ),
            )
        },
        Err(_) => Ok(py.none()),
    }
});

request_method!(req_auth_name, |py, r, _slf, args, nargs, kw| {
    // SAFETY: CPython's fastcall arguments.
    unsafe { Args::<0>::parse(py, "auth_name", [], 0, args, nargs, kw)? };
    py.opt_str_from_wire(r.auth_name())
});

request_method!(req_auth_type, |py, r, _slf, args, nargs, kw| {
    // SAFETY: CPython's fastcall arguments.
    unsafe { Args::<0>::parse(py, "auth_type", [], 0, args, nargs, kw)? };
    py.opt_str_from_wire(r.auth_type())
});

request_method!(req_construct_url, |py, r, _slf, args, nargs, kw| {
    // SAFETY: CPython's fastcall arguments.
    let a = unsafe { Args::parse(py, "construct_url", ["uri"], 1, args, nargs, kw)? };
    let uri = a
        .get(0)
        .map(Obj::to_wire_bytes)
        .transpose()?
        .unwrap_or_default();
    let url = r
        .construct_url(&uri)
        .map_err(|_| PyErr::value_error(py, "uri contains a NUL byte"))?;
    py.str_from_wire(url)
});

request_method!(req_document_root, |py, r, _slf, args, nargs, kw| {
    // SAFETY: CPython's fastcall arguments.
    unsafe { Args::<0>::parse(py, "document_root", [], 0, args, nargs, kw)? };
    py.str_from_wire(r.document_root())
});

request_method!(req_get_remote_host, |py, r, _slf, args, nargs, kw| {
    // SAFETY: CPython's fastcall arguments.
    let a = unsafe {
        Args::parse(
            py,
            "get_remote_host",
            ["type", "str_is_ip"],
            0,
            args,
            nargs,
            kw,
        )?
    };
    let kind = a.int_or(0, 1)? as i32; // REMOTE_NAME
                                       // A DNS lookup may wait: without the GIL.
    let (host, is_ip) = detach(py, r, |r| r.get_remote_host(kind));
    let host = py.opt_str_from_wire(host)?;
    if a.get(1).is_some() {
        py.tuple(vec![host, py.bool(is_ip)])
    } else {
        Ok(host)
    }
});

request_method!(req_internal_redirect, |py, r, _slf, args, nargs, kw| {
    // SAFETY: CPython's fastcall arguments.
    let a = unsafe { Args::parse(py, "internal_redirect", ["uri"], 1, args, nargs, kw)? };
    let uri = a
        .get(0)
        .map(Obj::to_wire_bytes)
        .transpose()?
        .unwrap_or_default();
    detach(py, r, |r| r.internal_redirect(&uri))
        .map_err(|_| PyErr::value_error(py, "uri contains a NUL byte"))?;
    Ok(py.none())
});

request_method!(req_is_https, |py, r, _slf, args, nargs, kw| {
    // SAFETY: CPython's fastcall arguments.
    unsafe { Args::<0>::parse(py, "is_https", [], 0, args, nargs, kw)? };
    py.int(i64::from(r.is_https()))
});

request_method!(req_ssl_var_lookup, |py, r, _slf, args, nargs, kw| {
    // SAFETY: CPython's fastcall arguments.
    let a = unsafe { Args::parse(py, "ssl_var_lookup", ["var_name"], 1, args, nargs, kw)? };
    let name = a
        .get(0)
        .map(Obj::to_wire_bytes)
        .transpose()?
        .unwrap_or_default();
    py.opt_str_from_wire(r.ssl_var_lookup(&name))
});

request_method!(req_meets_conditions, |py, r, _slf, args, nargs, kw| {
    // SAFETY: CPython's fastcall arguments.
    unsafe { Args::<0>::parse(py, "meets_conditions", [], 0, args, nargs, kw)? };
    py.int(i64::from(r.meets_conditions()))
});

request_method!(req_set_etag, |py, r, _slf, args, nargs, kw| {
    // SAFETY: CPython's fastcall arguments.
    unsafe { Args::<0>::parse(py, "set_etag", [], 0, args, nargs, kw)? };
    r.set_etag();
    Ok(py.none())
});

request_method!(req_set_last_modified, |py, r, _slf, args, nargs, kw| {
    // SAFETY: CPython's fastcall arguments.
    unsafe { Args::<0>::parse(py, "set_last_modified", [], 0, args, nargs, kw)? };
    r.set_last_modified();
    Ok(py.none())
});

request_method!(req_update_mtime, |py, r, _slf, args, nargs, kw| {
    // SAFETY: CPython's fastcall arguments.
    let a = unsafe { Args::parse(py, "update_mtime", ["dependency_mtime"], 1, args, nargs, kw)? };
    let t = a
        .get(0)
        .ok_or_else(|| PyErr::type_error(py, "update_mtime needs a time"))?;
    // SAFETY: PyFloat_AsDouble on a valid object; -1 with an error set means failure.
    let secs = unsafe { ffi::PyFloat_AsDouble(t.as_ptr()) };
    // SAFETY: checking the thread's error indicator.
    if secs == -1.0 && unsafe { !ffi::PyErr_Occurred().is_null() } {
        return Err(PyErr::fetch(py));
    }
    r.update_mtime((secs * 1_000_000.0) as i64);
    Ok(py.none())
});

request_method!(req_set_content_length, |py, r, _slf, args, nargs, kw| {
    // SAFETY: CPython's fastcall arguments.
    let a = unsafe { Args::parse(py, "set_content_length", ["len"], 1, args, nargs, kw)? };
    let len = a.int_or(0, 0)?;
    r.set_content_length(
        u64::try_from(len).map_err(|_| PyErr::value_error(py, "negative length"))?,
    );
    Ok(py.none())
});

request_method!(req_allow_methods, |py, r, _slf, args, nargs, kw| {
    // SAFETY: CPython's fastcall arguments.
    let a = unsafe {
        Args::parse(
            py,
            "allow_methods",
            ["methods", "reset"],
            1,
            args,
            nargs,
            kw,
        )?
    };
    let methods = a
        .get(0)
        .ok_or_else(|| PyErr::type_error(py, "allow_methods needs a sequence"))?;
    let reset = a.int_or(1, 0)? != 0;
    // SAFETY: PySequence_Fast gives a list or tuple of the items, or NULL with TypeError.
    let seq = unsafe {
        Obj::from_owned(
            py,
            ffi::PySequence_Fast(
                methods.as_ptr(),
                c"First argument must be a sequence".as_ptr(),
            ),
        )?
    };
    let list = py.import("builtins")?.getattr("list")?.call(vec![seq])?;
    let n = list.call_method("__len__", vec![])?.to_i64()?;
    let mut names = Vec::new();
    for i in 0..n {
        names.push(
            list.call_method("__getitem__", vec![py.int(i)?])?
                .to_wire_bytes()?,
        );
    }
    let refs: Vec<&[u8]> = names.iter().map(Vec::as_slice).collect();
    r.allow_methods(reset, &refs);
    Ok(py.none())
});

request_method!(req_add_cgi_vars, |py, r, _slf, args, nargs, kw| {
    // SAFETY: CPython's fastcall arguments.
    unsafe { Args::<0>::parse(py, "add_cgi_vars", [], 0, args, nargs, kw)? };
    // It runs a subrequest (whose phases may enter Python again): without the GIL.
    detach(py, r, |r| r.add_cgi_vars());
    Ok(py.none())
});

request_method!(req_add_common_vars, |py, r, _slf, args, nargs, kw| {
    // SAFETY: CPython's fastcall arguments.
    unsafe { Args::<0>::parse(py, "add_common_vars", [], 0, args, nargs, kw)? };
    r.add_common_vars();
    Ok(py.none())
});

request_method!(req_sendfile, |py, r, _slf, args, nargs, kw| {
    // SAFETY: CPython's fastcall arguments.
    let a = unsafe {
        Args::parse(
            py,
            "sendfile",
            ["path", "offset", "len"],
            1,
            args,
            nargs,
            kw,
        )?
    };
    let path = a
        .get(0)
        .map(Obj::to_wire_bytes)
        .transpose()?
        .unwrap_or_default();
    let offset =
        u64::try_from(a.int_or(1, 0)?).map_err(|_| PyErr::value_error(py, "negative offset"))?;
    let len = u64::try_from(a.int_or(2, -1)?).ok();
    let sent = detach(py, r, |r| r.send_file(&path, offset, len)).map_err(|e| {
        PyErr::os_error(
            py,
            &format!("Could not send {}: {e}", String::from_utf8_lossy(&path)),
        )
    })?;
    py.int(i64::try_from(sent).unwrap_or(i64::MAX))
});

request_method!(req_add_output_filter, |py, r, _slf, args, nargs, kw| {
    // SAFETY: CPython's fastcall arguments.
    let a = unsafe { Args::parse(py, "add_output_filter", FILTER_NAME, 1, args, nargs, kw)? };
    add_filter(py, r, &a, false)
});

request_method!(req_add_input_filter, |py, r, _slf, args, nargs, kw| {
    // SAFETY: CPython's fastcall arguments.
    let a = unsafe { Args::parse(py, "add_input_filter", FILTER_NAME, 1, args, nargs, kw)? };
    add_filter(py, r, &a, true)
});

request_method!(req_send_http_header, |py, _r, _slf, args, nargs, kw| {
    // SAFETY: CPython's fastcall arguments.
    unsafe { Args::<0>::parse(py, "send_http_header", [], 0, args, nargs, kw)? };
    // Kept for code written for mod_python 2.x; headers are sent with the first write.
    Ok(py.none())
});

request_method!(req_finfo, |py, r, _slf, args, nargs, kw| {
    // SAFETY: CPython's fastcall arguments.
    unsafe { Args::<0>::parse(py, "_finfo", [], 0, args, nargs, kw)? };
    crate::finfo::finfo_tuple(py, &r.finfo())
});

/// Adds a filter by name: one registered with `req.register_*_filter` runs as Apache's
/// `MOD_PYTHON` filter carrying its name; any other name is Apache's own (e.g.
/// `CONTENT_LENGTH`, `DEFLATE`, or a `PythonOutputFilter`).
const FILTER_NAME: [&str; 1] = ["filter_name"];

/// `req.add_output_filter(name)` and the input twin: a filter registered with Apache, or one
/// registered for this request with `req.register_*_filter` (run through `MOD_PYTHON`).
fn add_filter<'py>(
    py: Py<'py>,
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

const REGISTER_FILTER: [&str; 3] = ["filter_name", "filter", "dir"];

/// `req.register_output_filter(name, handler, dir=None)` and the input twin: the filter is
/// then added by name with `req.add_output_filter(name)` (all such filters share Apache's
/// registration `MOD_PYTHON`, as in mod_python, plus their own name for this request).
fn register_filter<'py>(
    py: Py<'py>,
    r: &bindings::Request,
    a: &Args<'py, 3>,
    input: bool,
) -> PyResult<'py, Obj<'py>> {
    let name = a.get(0).map(Obj::str_lossy).unwrap_or_default();
    let handler_text = a.get(1).map(Obj::str_lossy).unwrap_or_default();
    let handler = HandlerRef::parse(handler_text.trim())
        .map_err(|e| PyErr::value_error(py, &format!("register_filter: {e}")))?;
    let directory = a.get(2).map(|d| {
        let d = d.str_lossy();
        if d.ends_with('/') {
            d
        } else {
            d + "/"
        }
    });
    let entry = HandlerEntry {
        handler,
        directory,
        directory_kind: Default::default(),
        is_location: false,
        silent: false,
        origin: directives::Origin {
            file: "req.register_filter".into(),
            line: 0,
        },
    };
    if let Some(o) = objects(r) {
        o.filters.borrow_mut().push((name.clone(), input, entry));
    }
    Ok(py.none())
}

request_method!(
    req_register_output_filter,
    |py, r, _slf, args, nargs, kw| {
        let name = "register_output_filter";
        // SAFETY: CPython's fastcall arguments.
        let a = unsafe { Args::parse(py, name, REGISTER_FILTER, 2, args, nargs, kw)? };
        register_filter(py, r, &a, false)
    }
);

request_method!(req_register_input_filter, |py, r, _slf, args, nargs, kw| {
    let name = "register_input_filter";
    // SAFETY: CPython's fastcall arguments.
    let a = unsafe { Args::parse(py, name, REGISTER_FILTER, 2, args, nargs, kw)? };
    register_filter(py, r, &a, true)
});

/// The method table of `mp_request`.
pub(super) static METHODS: Static<[ffi::PyMethodDef; 37]> = Static::new([
    method(
        c"write",
        req_write,
        c"write(data, flush=1): send body data (str or bytes).",
    ),
    method(
        c"flush",
        req_flush,
        c"flush(): send buffered output to the client.",
    ),
    method(
        c"log_error",
        req_log_error,
        c"log_error(message, level=APLOG_ERR)",
    ),
    method(
        c"get_config",
        req_get_config,
        c"get_config(): the mod_python directives in effect.",
    ),
    method(
        c"requires",
        req_requires,
        c"requires(): the Require lines for this request's method, as written.",
    ),
    method(
        c"get_options",
        req_get_options,
        c"get_options(): the PythonOption table.",
    ),
    method(
        c"add_handler",
        req_add_handler,
        c"add_handler(phase, handler, dir=None): add a handler for this request.",
    ),
    method(
        c"read",
        req_read,
        c"read([len]): body bytes (all of the rest by default).",
    ),
    method(
        c"readline",
        req_readline,
        c"readline([len]): one line of the body.",
    ),
    method(
        c"readlines",
        req_readlines,
        c"readlines([sizehint]): the rest of the body as lines.",
    ),
    method(
        c"discard_request_body",
        req_discard_request_body,
        c"discard_request_body(): read and drop the body.",
    ),
    method(
        c"register_cleanup",
        req_register_cleanup,
        c"register_cleanup(callable, data=None): call at the end of the request.",
    ),
    method(
        c"get_basic_auth_pw",
        req_get_basic_auth_pw,
        c"get_basic_auth_pw(): the Basic password; sets req.user.",
    ),
    method(
        c"auth_name",
        req_auth_name,
        c"auth_name(): AuthName in effect.",
    ),
    method(
        c"auth_type",
        req_auth_type,
        c"auth_type(): AuthType in effect.",
    ),
    method(
        c"construct_url",
        req_construct_url,
        c"construct_url(uri): a full URL on this server.",
    ),
    method(
        c"document_root",
        req_document_root,
        c"document_root(): DocumentRoot in effect.",
    ),
    method(
        c"get_remote_host",
        req_get_remote_host,
        c"get_remote_host(type=REMOTE_NAME, str_is_ip=None)",
    ),
    method(
        c"internal_redirect",
        req_internal_redirect,
        c"internal_redirect(uri): serve uri instead, now.",
    ),
    method(c"is_https", req_is_https, c"is_https(): 1 over TLS."),
    method(
        c"ssl_var_lookup",
        req_ssl_var_lookup,
        c"ssl_var_lookup(name): a mod_ssl variable.",
    ),
    method(
        c"meets_conditions",
        req_meets_conditions,
        c"meets_conditions(): evaluate If-* headers.",
    ),
    method(
        c"set_etag",
        req_set_etag,
        c"set_etag(): set the ETag header.",
    ),
    method(
        c"set_last_modified",
        req_set_last_modified,
        c"set_last_modified(): set Last-Modified from mtime.",
    ),
    method(
        c"update_mtime",
        req_update_mtime,
        c"update_mtime(seconds): raise mtime.",
    ),
    method(
        c"set_content_length",
        req_set_content_length,
        c"set_content_length(len)",
    ),
    method(
        c"allow_methods",
        req_allow_methods,
        c"allow_methods(methods, reset=0): extend Allow.",
    ),
    method(
        c"add_cgi_vars",
        req_add_cgi_vars,
        c"add_cgi_vars(): CGI variables into subprocess_env.",
    ),
    method(
        c"add_common_vars",
        req_add_common_vars,
        c"add_common_vars(): common CGI variables into subprocess_env.",
    ),
    method(
        c"sendfile",
        req_sendfile,
        c"sendfile(path, offset=0, len=-1): send a file without copying it.",
    ),
    method(
        c"add_output_filter",
        req_add_output_filter,
        c"add_output_filter(name)",
    ),
    method(
        c"add_input_filter",
        req_add_input_filter,
        c"add_input_filter(name)",
    ),
    method(
        c"send_http_header",
        req_send_http_header,
        c"send_http_header(): no-op (mod_python 2 compatibility).",
    ),
    method(
        c"_finfo",
        req_finfo,
        c"_finfo(): r->finfo as a tuple (see req.finfo).",
    ),
    method(
        c"register_output_filter",
        req_register_output_filter,
        c"register_output_filter(name, handler, dir=None)",
    ),
    method(
        c"register_input_filter",
        req_register_input_filter,
        c"register_input_filter(name, handler, dir=None)",
    ),
    METHODS_END,
]);
