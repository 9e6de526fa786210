//! The methods of `mp_request`, as mod_python documents them. Methods that may block in
//! Apache (writing, reading the body, sending a file, an internal redirect) release the GIL;
//! every method runs on the thread serving the request (others are refused by [`live`]).

use super::added::{add_filter, dynamic_entry, register_filter};
use super::body::ReadError;
use super::{live, objects};
use crate::apache_module::{log_lines, state_of};
use crate::interpreters::detach;
use crate::native::native_methods;
use crate::py::{Obj, PyErr, PyResult, Python};
use crate::table::new_owned_table;
use bindings::LogLevel;
use directives::HandlerPhase;
use pyo3_ffi as ffi;

/// Raises `apache.SERVER_RETURN(status)`.
fn server_return(py: Python<'_>, slf: *mut ffi::PyObject, status: i32) -> PyErr<'_> {
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

fn read_error<'py>(py: Python<'py>, slf: *mut ffi::PyObject, e: ReadError) -> PyErr<'py> {
    match e {
        ReadError::Status(status) => server_return(py, slf, status),
        ReadError::Client => {
            // The body could not be read (a broken chunk, a client gone mid-body): the
            // request's fault, so the dispatcher answers this one with a 400, not a 500.
            let err = PyErr::os_error(py, "Client read error (Timeout?)");
            if let Ok(status) = py.int(400) {
                let _ = err.value().setattr("http_status", &status);
            }
            err
        }
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

native_methods! {
    /// The method table of `mp_request`.
    pub(super) METHODS, mod request_methods, |py, slf| live(py, slf);

    write(r, a = ["data", "flush"] / 1)
        "write(data, flush=1): send body data (str or bytes)."
    {
        let data = a.get(0).map(Obj::wire_slice).transpose()?;
        let data: &[u8] = data.as_deref().unwrap_or_default();
        let flush = a.int_or(1, 1)? != 0;
        let result = detach(py, r, |r| {
            r.write(data)?;
            if flush {
                r.flush()?;
            }
            Ok::<(), bindings::AprError>(())
        });
        result.map_err(|_| PyErr::os_error(py, "Write failed, client closed connection."))?;
        queued(r, data.len() as u64);
        Ok(py.none())
    }

    flush(r, _a = [] / 0)
        "flush(): send buffered output to the client."
    {
        let result = detach(py, r, |r| r.flush());
        result.map_err(|_| PyErr::os_error(py, "Flush failed, client closed connection."))?;
        Ok(py.none())
    }

    log_error(r, a = ["message", "level"] / 1)
        "log_error(message, level=APLOG_ERR): write to the error log, with the client's address."
    {
        let message = a.get(0).map(Obj::str_lossy).unwrap_or_default();
        let level = LogLevel::from_mod_python(a.int_or(1, 3)?);
        log_lines(py, Some(r), level, &message);
        Ok(py.none())
    }

    get_config(r, _a = [] / 0)
        "get_config(): the mod_python directives in effect."
    {
        let entries: Vec<(String, String)> = crate::dir_config(r)
            .map(|c| {
                c.config_table()
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect()
            })
            .unwrap_or_default();
        // SAFETY: slf's type belongs to an _apache module.
        new_owned_table(py, unsafe { state_of(slf) }.table_type, entries)
    }

    requires(r, _a = [] / 0)
        "requires(): the Require lines for this request's method, as written."
    {
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
    }

    get_options(r, _a = [] / 0)
        "get_options(): the PythonOption table (the same table for the whole request)."
    {
        // Made once per request object, as mod_python hands out the configuration's own table:
        // what a handler sets there is seen by the handlers after it.
        // SAFETY: slf is an mp_request.
        unsafe {
            crate::request::attrs::cached(py, slf, 7, || {
                let entries: Vec<(String, String)> = crate::dir_config(r)
                    .map(|c| {
                        c.effective_options()
                            .map(|(k, v)| (k.to_string(), v.to_string()))
                            .collect()
                    })
                    .unwrap_or_default();
                new_owned_table(py, state_of(slf).table_type, entries)
            })
        }
    }

    add_handler(r, a = ["phase", "handler", "dir"] / 2)
        "add_handler(phase, handler, dir=None): add a handler for this request."
    {
        let phase_name = a.get(0).map(Obj::str_lossy).unwrap_or_default();
        let phase = HandlerPhase::from_directive(&phase_name)
            .filter(|p| *p != HandlerPhase::Cleanup)
            .ok_or_else(|| PyErr::index_error(py, &format!("Invalid phase: {phase_name}")))?;
        let entry = dynamic_entry(py, a.get(1), a.get(2), "req.add_handler")?;
        crate::dispatch::note_phase_possible(phase);
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
    }

    read(r, a = ["len"] / 0)
        "read([len]): body bytes (all of the rest by default)."
    {
        let n = limit(a.get(0))?;
        let objs = objects(r).ok_or_else(|| PyErr::runtime_error(py, "request state missing"))?;
        let body = &mut *objs.body.borrow_mut();
        // A sized read of a body whose size is known goes straight into the bytes object.
        if let Some(limit) = n {
            if let Some(size) = body.known_size(r, limit).map_err(|e| read_error(py, slf, e))? {
                let (obj, buf) = crate::py::uninit_bytes(py, size)?;
                let got = detach(py, r, |r| body.read_into(r, buf));
                let got = got.map_err(|e| read_error(py, slf, e))?;
                return crate::py::shrink_bytes(obj, got);
            }
        }
        let data = detach(py, r, |r| body.read(r, n));
        py.bytes(&data.map_err(|e| read_error(py, slf, e))?)
    }

    readline(r, a = ["len"] / 0)
        "readline([len]): one line of the body."
    {
        let n = limit(a.get(0))?;
        let objs = objects(r).ok_or_else(|| PyErr::runtime_error(py, "request state missing"))?;
        let body = &mut *objs.body.borrow_mut();
        let line = detach(py, r, |r| body.readline(r, n));
        py.bytes(&line.map_err(|e| read_error(py, slf, e))?)
    }

    readlines(r, a = ["sizehint"] / 0)
        "readlines([sizehint]): the rest of the body as lines."
    {
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
    }

    discard_request_body(r, _a = [] / 0)
        "discard_request_body(): read and drop the body."
    {
        let rc = detach(py, r, |r| r.discard_request_body());
        py.int(i64::from(rc))
    }

    register_cleanup(r, a = ["callable", "data"] / 1)
        "register_cleanup(callable, data=None): call at the end of the request."
    {
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
        crate::request::at_end(r, move |r| {
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
    }

    get_basic_auth_pw(r, _a = [] / 0)
        "get_basic_auth_pw(): the Basic password; sets req.user."
    {
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
    }

    auth_name(r, _a = [] / 0)
        "auth_name(): AuthName in effect."
    {
        py.opt_str_from_wire(r.auth_name())
    }

    auth_type(r, _a = [] / 0)
        "auth_type(): AuthType in effect."
    {
        py.opt_str_from_wire(r.auth_type())
    }

    construct_url(r, a = ["uri"] / 1)
        "construct_url(uri): a full URL on this server."
    {
        let uri = a
            .get(0)
            .map(Obj::to_wire_bytes)
            .transpose()?
            .unwrap_or_default();
        let url = r
            .construct_url(&uri)
            .map_err(|_| PyErr::value_error(py, "uri contains a NUL byte"))?;
        py.str_from_wire(url)
    }

    document_root(r, _a = [] / 0)
        "document_root(): DocumentRoot in effect."
    {
        py.str_from_wire(r.document_root())
    }

    get_remote_host(r, a = ["type", "str_is_ip"] / 0)
        "get_remote_host(type=REMOTE_NAME, str_is_ip=None): the client's host name or address."
    {
        let kind = a.int_or(0, 1)? as i32; // REMOTE_NAME
                                           // A DNS lookup may wait: without the GIL.
        let (host, is_ip) = detach(py, r, |r| r.get_remote_host(kind));
        // With str_is_ip given: (host, 1 if it is an address else 0), or None without a host.
        match (host, a.get(1).is_some()) {
            (Some(h), true) => py.tuple(vec![py.str_from_wire(h)?, py.int(i64::from(is_ip))?]),
            (host, _) => py.opt_str_from_wire(host),
        }
    }

    internal_redirect(r, a = ["uri"] / 1)
        "internal_redirect(uri): serve uri instead, now."
    {
        let uri = a
            .get(0)
            .map(Obj::to_wire_bytes)
            .transpose()?
            .unwrap_or_default();
        detach(py, r, |r| r.internal_redirect(&uri))
            .map_err(|_| PyErr::value_error(py, "uri contains a NUL byte"))?;
        Ok(py.none())
    }

    is_https(r, _a = [] / 0)
        "is_https(): 1 over TLS."
    {
        py.int(i64::from(r.is_https()))
    }

    ssl_var_lookup(r, a = ["var_name"] / 1)
        "ssl_var_lookup(name): a mod_ssl variable."
    {
        let name = a
            .get(0)
            .map(Obj::to_wire_bytes)
            .transpose()?
            .unwrap_or_default();
        py.opt_str_from_wire(r.ssl_var_lookup(&name))
    }

    meets_conditions(r, _a = [] / 0)
        "meets_conditions(): evaluate If-* headers."
    {
        py.int(i64::from(r.meets_conditions()))
    }

    set_etag(r, _a = [] / 0)
        "set_etag(): set the ETag header."
    {
        r.set_etag();
        Ok(py.none())
    }

    set_last_modified(r, _a = [] / 0)
        "set_last_modified(): set Last-Modified from mtime."
    {
        r.set_last_modified();
        Ok(py.none())
    }

    update_mtime(r, a = ["dependency_mtime"] / 1)
        "update_mtime(seconds): raise mtime."
    {
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
    }

    set_content_length(r, a = ["len"] / 1)
        "set_content_length(len): set the response's Content-Length."
    {
        let len = a.int_or(0, 0)?;
        r.set_content_length(
            u64::try_from(len).map_err(|_| PyErr::value_error(py, "negative length"))?,
        );
        Ok(py.none())
    }

    allow_methods(r, a = ["methods", "reset"] / 1)
        "allow_methods(methods, reset=0): extend Allow."
    {
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
    }

    add_cgi_vars(r, _a = [] / 0)
        "add_cgi_vars(): CGI variables into subprocess_env."
    {
        r.add_cgi_vars()
            .map_err(|_| PyErr::value_error(py, "a CGI variable contains a NUL byte"))?;
        Ok(py.none())
    }

    add_common_vars(r, _a = [] / 0)
        "add_common_vars(): common CGI variables into subprocess_env."
    {
        r.add_common_vars();
        Ok(py.none())
    }

    sendfile(r, a = ["path", "offset", "len"] / 1)
        "sendfile(path, offset=0, len=-1): send a file without copying it."
    {
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
        queued(r, sent);
        py.int(i64::try_from(sent).unwrap_or(i64::MAX))
    }

    get_addhandler_exts(r, _a = [] / 0)
        "get_addhandler_exts(): the extensions AddHandler gives to mod_python here, as one \
         space-separated string."
    {
        let exts = r.handler_extensions(&[b"mod_python", b"python-program"]);
        let joined: Vec<u8> = exts.iter().flat_map(|e| e.iter().copied().chain([b' '])).collect();
        py.str_from_wire(&joined)
    }

    add_output_filter(r, a = ["filter_name"] / 1)
        "add_output_filter(name): add a registered output filter to this response."
    {
        add_filter(py, r, &a, false)
    }

    add_input_filter(r, a = ["filter_name"] / 1)
        "add_input_filter(name): add a registered input filter to this request's body."
    {
        add_filter(py, r, &a, true)
    }

    send_http_header(_r, _a = [] / 0)
        "send_http_header(): no-op (mod_python 2 compatibility)."
    {
        // Kept for code written for mod_python 2.x; headers are sent with the first write.
        Ok(py.none())
    }

    _finfo(r, _a = [] / 0)
        "_finfo(): r->finfo as a tuple (see req.finfo)."
    {
        crate::finfo::finfo_tuple(py, &r.finfo())
    }

    _set_finfo(r, a = ["fname"] / 1)
        "_set_finfo(fname): r->finfo from the file at fname (see req.finfo)."
    {
        let path = a.get(0).map(Obj::to_wire_bytes).transpose()?.unwrap_or_default();
        r.stat_into_finfo(&path).map_err(|e| {
            PyErr::os_error(py, &format!("stat {}: {e}", String::from_utf8_lossy(&path)))
        })?;
        Ok(py.none())
    }

    register_output_filter(r, a = ["filter_name", "filter", "dir"] / 2)
        "register_output_filter(name, handler, dir=None): make a Python output filter under name for this request."
    {
        register_filter(py, r, &a, false)
    }

    register_input_filter(r, a = ["filter_name", "filter", "dir"] / 2)
        "register_input_filter(name, handler, dir=None): make a Python input filter under name for this request."
    {
        register_filter(py, r, &a, true)
    }
}

/// Counts `n` more bytes handed to Apache for `r` (`req._bytes_queued`).
fn queued(r: &bindings::Request, n: u64) {
    if let Some(o) = super::objects(r) {
        o.bytes_queued.set(
            o.bytes_queued
                .get()
                .saturating_add(i64::try_from(n).unwrap_or(i64::MAX)),
        );
    }
}
