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
}

struct AttrDef {
    name: &'static CStr,
    kind: Kind,
    writable: bool,
}

const fn a(name: &'static CStr, kind: Kind, writable: bool) -> AttrDef {
    AttrDef {
        name,
        kind,
        writable,
    }
}

const ATTRS: [AttrDef; 55] = [
    a(c"the_request", Kind::TheRequest, false),
    a(c"protocol", Kind::Protocol, false),
    a(c"hostname", Kind::Hostname, false),
    a(c"method", Kind::Method, false),
    a(c"unparsed_uri", Kind::UnparsedUri, false),
    a(c"content_type", Kind::ContentType, true),
    a(c"status", Kind::Status, true),
    a(c"user", Kind::User, true),
    a(c"uri", Kind::Field(RequestField::Uri), true),
    a(c"filename", Kind::Field(RequestField::Filename), true),
    a(
        c"canonical_filename",
        Kind::Field(RequestField::CanonicalFilename),
        true,
    ),
    a(c"path_info", Kind::Field(RequestField::PathInfo), true),
    a(c"args", Kind::Field(RequestField::Args), true),
    a(c"handler", Kind::Field(RequestField::Handler), true),
    a(c"ap_auth_type", Kind::Field(RequestField::ApAuthType), true),
    a(c"status_line", Kind::Field(RequestField::StatusLine), true),
    a(c"range", Kind::Str(StrField::Range), false),
    a(
        c"content_encoding",
        Kind::Str(StrField::ContentEncoding),
        false,
    ),
    a(
        c"vlist_validator",
        Kind::Str(StrField::VlistValidator),
        false,
    ),
    a(c"useragent_ip", Kind::Str(StrField::UseragentIp), false),
    a(c"log_id", Kind::Str(StrField::LogId), false),
    a(c"proto_num", Kind::Int(IntField::ProtoNum), false),
    a(c"method_number", Kind::Int(IntField::MethodNumber), false),
    a(c"header_only", Kind::Int(IntField::HeaderOnly), false),
    a(c"assbackwards", Kind::Int(IntField::AssBackwards), true),
    a(c"proxyreq", Kind::Int(IntField::ProxyReq), true),
    a(c"chunked", Kind::Int(IntField::Chunked), true),
    a(c"read_body", Kind::Int(IntField::ReadBody), false),
    a(c"read_chunked", Kind::Int(IntField::ReadChunked), false),
    a(c"expecting_100", Kind::Int(IntField::Expecting100), false),
    a(c"no_cache", Kind::Int(IntField::NoCache), true),
    a(c"no_local_copy", Kind::Int(IntField::NoLocalCopy), true),
    a(c"used_path_info", Kind::Int(IntField::UsedPathInfo), true),
    a(c"eos_sent", Kind::Int(IntField::EosSent), false),
    a(c"allowed", Kind::Int(IntField::Allowed), false),
    a(c"sent_bodyct", Kind::Int(IntField::SentBodyct), false),
    a(c"bytes_sent", Kind::Int(IntField::BytesSent), false),
    a(c"clength", Kind::Int(IntField::Clength), false),
    a(c"remaining", Kind::Int(IntField::Remaining), false),
    a(c"read_length", Kind::Int(IntField::ReadLength), false),
    a(c"request_time", Kind::Time(IntField::RequestTime), false),
    a(c"mtime", Kind::Time(IntField::Mtime), false),
    a(
        c"headers_in",
        Kind::Table(0, RequestTable::HeadersIn),
        false,
    ),
    a(
        c"headers_out",
        Kind::Table(1, RequestTable::HeadersOut),
        false,
    ),
    a(
        c"err_headers_out",
        Kind::Table(2, RequestTable::ErrHeadersOut),
        false,
    ),
    a(
        c"subprocess_env",
        Kind::Table(3, RequestTable::SubprocessEnv),
        false,
    ),
    a(c"notes", Kind::Table(4, RequestTable::Notes), false),
    a(c"parsed_uri", Kind::ParsedUri, false),
    a(c"useragent_addr", Kind::UseragentAddr, false),
    a(c"content_languages", Kind::ContentLanguages, false),
    a(c"allowed_xmethods", Kind::AllowedXmethods, false),
    a(c"allowed_methods", Kind::AllowedMethods, false),
    a(c"_bytes_queued", Kind::BytesQueued, false),
    a(c"_request_rec", Kind::RequestRec, false),
    a(c"_content_type_set", Kind::ContentTypeSet, false),
];

/// Object-valued attributes, appended after [`ATTRS`].
const OBJECT_ATTRS: [AttrDef; 5] = [
    a(c"server", Kind::Server, false),
    a(c"connection", Kind::Connection, false),
    a(c"next", Kind::Next, false),
    a(c"prev", Kind::Prev, false),
    a(c"main", Kind::Main, false),
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
            doc: std::ptr::null(),
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
        }
    })
}

unsafe extern "C" fn set_attr(
    slf: *mut ffi::PyObject,
    value: *mut ffi::PyObject,
    closure: *mut c_void,
) -> c_int {
    trampoline_int(|py| {
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
