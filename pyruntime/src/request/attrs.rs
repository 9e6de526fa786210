//! The attributes of `mp_request`, one table: name, what it reads, whether it can be set.
//! Strings come back as `str` (UTF-8 with `surrogateescape`, see docs/design.md), except
//! `user`, which mod_python decodes as Latin-1 (Basic credentials are Latin-1); times as
//! float seconds; arrays as tuples; missing values as `None`.

use super::{lease_of, live, related_request, RequestObject};
use crate::apache_module::state_of;
use crate::native::{trampoline, trampoline_int, Static};
use crate::py::{Obj, PyErr, PyResult, Python};
use crate::table::{new_request_table, RequestTable};
use bindings::{IntField, Request, RequestField, StrField};
use pyo3_ffi as ffi;
use std::ffi::{c_int, c_void, CStr};
use std::ptr::without_provenance_mut;

/// What an attribute reads.
#[derive(Clone, Copy)]
enum Kind {
    /// A replaceable string field (writable).
    Field(RequestField),
    /// A read-only string field.
    Str(StrField),
    /// An integer field (writable when `Request::set_int` accepts it).
    Int(IntField),
    /// A time field, as float seconds.
    Time(IntField),
    /// One of the request's tables, cached on the object.
    Table(usize, RequestTable),
    TheRequest,
    Protocol,
    Hostname,
    Method,
    UnparsedUri,
    ContentType,
    Status,
    User,
    ParsedUri,
    UseragentAddr,
    ContentLanguages,
    AllowedXmethods,
    AllowedMethods,
    Server,
    Connection,
    Next,
    Prev,
    Main,
    /// Bytes `req.write` and `req.sendfile` handed to Apache for this request.
    BytesQueued,
    /// The `request_rec`, as a capsule for C extensions.
    RequestRec,
    /// 1 once Python code set `req.content_type`.
    ContentTypeSet,
    /// A Python object kept in slot `i` of the request object's cache (None until set):
    /// the dispatcher's `phase`, `_mp_handlers` and `hlist`.
    Slot(usize),
}

struct AttrDef {
    name: &'static CStr,
    kind: Kind,
    writable: bool,
    /// Its docstring (`help(req)`, the API reference).
    doc: &'static CStr,
}

const fn a(name: &'static CStr, kind: Kind, writable: bool, doc: &'static CStr) -> AttrDef {
    AttrDef {
        name,
        kind,
        writable,
        doc,
    }
}

const ATTRS: [AttrDef; 58] = [
    a(c"the_request", Kind::TheRequest, false, c"The request line as the client sent it."),
    a(c"protocol", Kind::Protocol, false, c"The protocol of the request line (HTTP/1.1)."),
    a(c"hostname", Kind::Hostname, false, c"The host the request is for (Host header or the request line)."),
    a(c"method", Kind::Method, false, c"The method (GET, POST...)."),
    a(c"unparsed_uri", Kind::UnparsedUri, false, c"The URI as the client sent it, query string included."),
    a(c"content_type", Kind::ContentType, true, c"The response's Content-Type; setting it marks it as chosen by the handler."),
    a(c"status", Kind::Status, true, c"The response status (200 until a handler changes it)."),
    a(c"user", Kind::User, true, c"The authenticated user, set by authentication (Latin-1, as Basic credentials are)."),
    a(c"uri", Kind::Field(RequestField::Uri), true, c"The path of the URI, decoded."),
    a(c"filename", Kind::Field(RequestField::Filename), true, c"The file the URI maps to."),
    a(
        c"canonical_filename",
        Kind::Field(RequestField::CanonicalFilename),
        true,
    c"The true file name of filename (for caching and access checks)."),
    a(c"path_info", Kind::Field(RequestField::PathInfo), true, c"What follows the file's name in the URI."),
    a(c"args", Kind::Field(RequestField::Args), true, c"The query string, or None."),
    a(c"handler", Kind::Field(RequestField::Handler), true, c"The content handler's name (mod_python, default-handler...)."),
    a(c"ap_auth_type", Kind::Field(RequestField::ApAuthType), true, c"The authentication type used (Basic...)."),
    a(c"status_line", Kind::Field(RequestField::StatusLine), true, c"The status line to send instead of the standard one for status."),
    a(c"range", Kind::Str(StrField::Range), false, c"The Range header, if the request has one."),
    a(
        c"content_encoding",
        Kind::Str(StrField::ContentEncoding),
        false,
    c"The response's Content-Encoding."),
    a(
        c"vlist_validator",
        Kind::Str(StrField::VlistValidator),
        false,
    c"The variant list validator, when content negotiation made one."),
    a(c"useragent_ip", Kind::Str(StrField::UseragentIp), false, c"The client's address (after mod_remoteip, if loaded)."),
    a(c"log_id", Kind::Str(StrField::LogId), false, c"The request's id in the error log."),
    a(c"proto_num", Kind::Int(IntField::ProtoNum), false, c"The protocol as a number (1001 for HTTP/1.1)."),
    a(c"method_number", Kind::Int(IntField::MethodNumber), false, c"The method as Apache's M_* number."),
    a(c"header_only", Kind::Int(IntField::HeaderOnly), false, c"True for HEAD: only the headers are sent."),
    a(c"assbackwards", Kind::Int(IntField::AssBackwards), true, c"True for an HTTP/0.9 request (no headers in the response)."),
    a(c"proxyreq", Kind::Int(IntField::ProxyReq), true, c"Whether this is a proxy request (PROXYREQ_*)."),
    a(c"chunked", Kind::Int(IntField::Chunked), true, c"True when the response is sent chunked."),
    a(c"read_body", Kind::Int(IntField::ReadBody), false, c"How the body is read (REQUEST_NO_BODY, REQUEST_CHUNKED_ERROR...)."),
    a(c"read_chunked", Kind::Int(IntField::ReadChunked), false, c"True when the request body is chunked."),
    a(c"expecting_100", Kind::Int(IntField::Expecting100), false, c"True when the client waits for 100 Continue."),
    a(c"no_cache", Kind::Int(IntField::NoCache), true, c"Set to tell caches not to keep the response."),
    a(c"no_local_copy", Kind::Int(IntField::NoLocalCopy), true, c"Set when there is no local copy of the resource."),
    a(c"used_path_info", Kind::Int(IntField::UsedPathInfo), true, c"Whether path_info is accepted (AP_REQ_ACCEPT_PATH_INFO...)."),
    a(c"eos_sent", Kind::Int(IntField::EosSent), false, c"True once the end of the response was sent."),
    a(c"allowed", Kind::Int(IntField::Allowed), false, c"The methods allowed, as a bit mask of M_* numbers."),
    a(c"sent_bodyct", Kind::Int(IntField::SentBodyct), false, c"True once the body has started to go out."),
    a(c"bytes_sent", Kind::Int(IntField::BytesSent), false, c"Body bytes sent so far."),
    a(c"clength", Kind::Int(IntField::Clength), false, c"The response's content length, once known."),
    a(c"remaining", Kind::Int(IntField::Remaining), false, c"Request body bytes left to read."),
    a(c"read_length", Kind::Int(IntField::ReadLength), false, c"Request body bytes read so far."),
    a(c"request_time", Kind::Time(IntField::RequestTime), false, c"When the request started, in seconds since the epoch."),
    a(c"mtime", Kind::Time(IntField::Mtime), false, c"The modification time of the resource, in seconds."),
    a(
        c"headers_in",
        Kind::Table(0, RequestTable::HeadersIn),
        false,
    c"The request's headers (a table)."),
    a(
        c"headers_out",
        Kind::Table(1, RequestTable::HeadersOut),
        false,
    c"The response's headers, sent with a successful response."),
    a(
        c"err_headers_out",
        Kind::Table(2, RequestTable::ErrHeadersOut),
        false,
    c"Response headers sent whatever the status, errors included."),
    a(
        c"subprocess_env",
        Kind::Table(3, RequestTable::SubprocessEnv),
        false,
    c"The environment of CGI scripts and SSI (a table)."),
    a(c"notes", Kind::Table(4, RequestTable::Notes), false, c"Notes shared by the modules handling the request (a table)."),
    a(c"parsed_uri", Kind::ParsedUri, false, c"The URI in parts: (scheme, hostinfo, user, password, hostname, port, path, query, fragment)."),
    a(c"useragent_addr", Kind::UseragentAddr, false, c"The client's (address, port)."),
    a(c"content_languages", Kind::ContentLanguages, false, c"The response's languages (a tuple)."),
    a(c"allowed_xmethods", Kind::AllowedXmethods, false, c"Extension methods allowed (a tuple)."),
    a(c"allowed_methods", Kind::AllowedMethods, false, c"Methods allowed, by name (a tuple)."),
    a(c"_bytes_queued", Kind::BytesQueued, false, c"Bytes req.write and req.sendfile handed to Apache."),
    a(c"_request_rec", Kind::RequestRec, false, c"The request_rec, as a capsule for C extensions."),
    a(c"_content_type_set", Kind::ContentTypeSet, false, c"True once a handler set content_type."),
    a(
        c"phase",
        Kind::Slot(8),
        true,
        c"The directive of the phase running (PythonHandler...); None between phases.",
    ),
    a(
        c"_mp_handlers",
        Kind::Slot(9),
        true,
        c"The handler list the dispatcher walks in the running phase.",
    ),
    a(
        c"hlist",
        Kind::Slot(10),
        true,
        c"The running phase's handler list (mp_hlist), at the handler being run.",
    ),
];

/// Object-valued attributes, appended after [`ATTRS`].
const OBJECT_ATTRS: [AttrDef; 5] = [
    a(
        c"server",
        Kind::Server,
        false,
        c"The virtual host serving the request (a server object).",
    ),
    a(
        c"connection",
        Kind::Connection,
        false,
        c"The client's connection (a connection object).",
    ),
    a(
        c"next",
        Kind::Next,
        false,
        c"The request this one redirected to, or None.",
    ),
    a(
        c"prev",
        Kind::Prev,
        false,
        c"The request that redirected to this one, or None.",
    ),
    a(
        c"main",
        Kind::Main,
        false,
        c"The main request when this is a subrequest, or None.",
    ),
];

const COUNT: usize = ATTRS.len() + OBJECT_ATTRS.len();

fn def(i: usize) -> &'static AttrDef {
    if i < ATTRS.len() {
        &ATTRS[i]
    } else {
        &OBJECT_ATTRS[(i - ATTRS.len()) % OBJECT_ATTRS.len()]
    }
}

const fn getsets() -> [ffi::PyGetSetDef; COUNT + 1] {
    let mut out = [ffi::PyGetSetDef {
        name: std::ptr::null(),
        get: None,
        set: None,
        doc: std::ptr::null(),
        closure: std::ptr::null_mut(),
    }; COUNT + 1];
    let mut i = 0;
    while i < COUNT {
        let d = if i < ATTRS.len() {
            &ATTRS[i]
        } else {
            &OBJECT_ATTRS[i - ATTRS.len()]
        };
        out[i] = ffi::PyGetSetDef {
            name: d.name.as_ptr(),
            get: Some(get_attr),
            set: if d.writable { Some(set_attr) } else { None },
            doc: d.doc.as_ptr(),
            closure: without_provenance_mut(i),
        };
        i += 1;
    }
    out
}

/// The getset table of `mp_request`.
pub(super) static GETSET: Static<[ffi::PyGetSetDef; COUNT + 1]> = Static::new(getsets());

fn latin1<'py>(py: Python<'py>, b: Option<&[u8]>) -> PyResult<'py, Obj<'py>> {
    match b {
        // SAFETY: b is valid for its length; Latin-1 decoding cannot fail.
        Some(b) => unsafe {
            Obj::from_owned(
                py,
                ffi::PyUnicode_DecodeLatin1(b.as_ptr() as *const _, b.len() as _, std::ptr::null()),
            )
        },
        None => Ok(py.none()),
    }
}

/// `str` → Latin-1 bytes when it fits, else UTF-8 (for `req.user`).
fn to_latin1<'py>(value: &Obj<'py>) -> PyResult<'py, Vec<u8>> {
    // SAFETY: type check and encoding of a valid object; a failed Latin-1 encode is cleared.
    unsafe {
        if ffi::PyUnicode_Check(value.as_ptr()) != 0 {
            let b = ffi::PyUnicode_AsLatin1String(value.as_ptr());
            if !b.is_null() {
                return Obj::from_owned_unchecked(value.py(), b).to_wire_bytes();
            }
            ffi::PyErr_Clear();
        }
    }
    value.to_wire_bytes()
}

fn parsed_uri<'py>(py: Python<'py>, r: &Request) -> PyResult<'py, Obj<'py>> {
    let parts = r.parsed_uri();
    let mut items = Vec::with_capacity(9);
    for (i, part) in parts.iter().enumerate() {
        // URI_PORT (index 5) is a number in mod_python.
        if i == 5 {
            match part
                .and_then(|p| std::str::from_utf8(p).ok())
                .and_then(|p| p.parse::<i64>().ok())
            {
                Some(port) => items.push(py.int(port)?),
                None => items.push(py.none()),
            }
        } else {
            items.push(py.opt_str_from_wire(*part)?);
        }
    }
    py.tuple(items)
}

/// A cached attribute object in slot `i` of the request object, made by `make` on first use.
///
/// # Safety
/// `slf` is an `mp_request`.
pub(in crate::request) unsafe fn cached<'py>(
    py: Python<'py>,
    slf: *mut ffi::PyObject,
    i: usize,
    make: impl FnOnce() -> PyResult<'py, Obj<'py>>,
) -> PyResult<'py, Obj<'py>> {
    // SAFETY: slf is an mp_request; the cache holds strong references or NULL.
    let slot = unsafe { &mut crate::native::layout_mut::<RequestObject>(slf).cached[i] };
    if slot.is_null() {
        *slot = make()?.into_ptr();
    }
    // SAFETY: the cached object is alive while slf holds it.
    Ok(unsafe { Obj::from_borrowed(py, *slot) })
}

unsafe extern "C" fn get_attr(slf: *mut ffi::PyObject, closure: *mut c_void) -> *mut ffi::PyObject {
    trampoline(|py| {
        // Plain Python objects, readable like the __dict__ entries they stand for.
        if let Kind::Slot(i) = def(closure as usize).kind {
            // SAFETY: slf is an mp_request; the slot holds a strong reference or NULL.
            let slot = unsafe { crate::native::layout::<RequestObject>(slf).cached[i] };
            return Ok(if slot.is_null() {
                py.none()
            } else {
                // SAFETY: alive while slf holds it.
                unsafe { Obj::from_borrowed(py, slot) }
            });
        }
        // SAFETY: CPython calls our getters with an mp_request.
        let r = unsafe { live(py, slf)? };
        // SAFETY: slf's type belongs to an _apache module.
        let state = unsafe { state_of(slf) };
        match def(closure as usize).kind {
            Kind::Field(f) => py.opt_str_from_wire(r.field(f)),
            Kind::Str(f) => py.opt_str_from_wire(r.str_field(f)),
            Kind::Int(f) => py.int(r.int(f)),
            Kind::Time(f) => py.float(r.int(f) as f64 / 1_000_000.0),
            Kind::Table(i, which) => {
                // SAFETY: slf is an mp_request.
                let lease = unsafe { lease_of(slf) };
                // SAFETY: slf is an mp_request.
                unsafe {
                    cached(py, slf, i, || {
                        new_request_table(py, state.table_type, lease, which)
                    })
                }
            }
            Kind::TheRequest => py.opt_str_from_wire(r.the_request()),
            Kind::Protocol => py.opt_str_from_wire(r.protocol()),
            Kind::Hostname => py.opt_str_from_wire(r.hostname()),
            Kind::Method => py.opt_str_from_wire(r.method()),
            Kind::UnparsedUri => py.opt_str_from_wire(r.unparsed_uri()),
            Kind::ContentType => py.opt_str_from_wire(r.content_type()),
            Kind::Status => py.int(i64::from(r.status())),
            Kind::User => latin1(py, r.field(RequestField::User)),
            Kind::ParsedUri => parsed_uri(py, r),
            Kind::UseragentAddr => match r.str_field(StrField::UseragentIp) {
                Some(ip) => py.tuple(vec![
                    py.str_from_wire(ip)?,
                    py.int(i64::from(r.useragent_port()))?,
                ]),
                None => Ok(py.none()),
            },
            Kind::ContentLanguages => py.str_tuple(r.content_languages()),
            Kind::AllowedXmethods => py.str_tuple(r.allowed_xmethods()),
            Kind::AllowedMethods => py.str_tuple(r.allowed_methods()),
            Kind::Server => {
                // SAFETY: slf is an mp_request.
                unsafe {
                    cached(py, slf, 5, || {
                        crate::server::new_server_object(py, state.server_type, r.server())
                    })
                }
            }
            Kind::Connection => {
                // SAFETY: slf is an mp_request.
                let lease = unsafe { lease_of(slf) };
                // SAFETY: slf is an mp_request.
                unsafe {
                    cached(py, slf, 6, || {
                        crate::connection::new_request_connection(py, state.conn_type, lease)
                    })
                }
            }
            Kind::Next => related_request(py, r.next()),
            Kind::Prev => related_request(py, r.prev()),
            Kind::Main => related_request(py, r.main()),
            Kind::BytesQueued => py.int(super::objects(r).map_or(0, |o| o.bytes_queued.get())),
            Kind::RequestRec => py.capsule(bindings::CRecord::c_address(r)),
            Kind::ContentTypeSet => py.int(i64::from(
                super::objects(r).is_some_and(|o| o.content_type_set.get()),
            )),
            // Answered before the liveness check.
            Kind::Slot(_) => Ok(py.none()),
        }
    })
}

unsafe extern "C" fn set_attr(
    slf: *mut ffi::PyObject,
    value: *mut ffi::PyObject,
    closure: *mut c_void,
) -> c_int {
    trampoline_int(|py| {
        if let Kind::Slot(i) = def(closure as usize).kind {
            // Deleting sets it back to None. The slot takes a reference to the new value
            // and releases the old one after the swap.
            // SAFETY: slf is an mp_request; value is NULL or a valid object.
            unsafe {
                ffi::Py_XINCREF(value);
                let cache = &mut crate::native::layout_mut::<RequestObject>(slf).cached;
                ffi::Py_XDECREF(std::mem::replace(&mut cache[i], value));
            }
            return Ok(0);
        }
        // SAFETY: CPython calls our setters with an mp_request.
        let r = unsafe { live(py, slf)? };
        if value.is_null() {
            return Err(PyErr::type_error(
                py,
                "request attributes cannot be deleted",
            ));
        }
        // SAFETY: value is a valid object passed by CPython.
        let value = unsafe { Obj::from_borrowed(py, value) };
        let nul = |_| PyErr::value_error(py, "value contains a NUL byte");
        match def(closure as usize).kind {
            Kind::Status => r.set_status(value.to_i64()? as i32),
            Kind::ContentType => {
                r.set_content_type(&value.wire_slice()?).map_err(nul)?;
                // mod_python notes that the handler chose the type (publisher looks at it).
                if let Some(o) = super::objects(r) {
                    o.content_type_set.set(true);
                }
            }
            Kind::User => {
                let bytes = if value.is_none() {
                    None
                } else {
                    Some(to_latin1(&value)?)
                };
                r.set_field(RequestField::User, bytes.as_deref())
                    .map_err(nul)?;
            }
            Kind::Field(f) => {
                let bytes = if value.is_none() {
                    None
                } else {
                    Some(value.to_wire_bytes()?)
                };
                r.set_field(f, bytes.as_deref()).map_err(nul)?;
            }
            Kind::Int(f) => {
                if !r.set_int(f, value.to_i64()?) {
                    return Err(PyErr::type_error(py, "attribute is read-only"));
                }
            }
            _ => return Err(PyErr::type_error(py, "attribute is read-only")),
        }
        Ok(0)
    })
}
