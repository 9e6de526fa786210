//! The `mp_table` type: a mapping over an `apr_table_t`, case-insensitive and multi-valued,
//! iterated in insertion order, as mod_python's table object.
//!
//! A table is either a live view of one of a request's tables (headers, notes, ...), valid
//! while the request lives, of a connection handler's `conn.notes` while the handler runs,
//! or a table of its own (`apache.table()`, `get_options()`).
//! Keys and values may be given as `str` or `bytes` and come back as `str` (UTF-8 with
//! `surrogateescape`, so any bytes round-trip). `t[k]` gives a list when `k` repeats.

use crate::connection::DirectConn;
use crate::native::native_type;
use crate::native::{native_methods, trampoline, trampoline_int, Args};
use crate::py::{Obj, PyErr, PyResult, Python};
use crate::request::{lease_error, RequestLease};
use bindings::{Lease, OwnedTable, Table};
use pyo3_ffi as ffi;
use std::ffi::c_int;
use std::mem::ManuallyDrop;
use std::sync::Arc;

/// Which table of a request a table object views.
#[derive(Debug, Clone, Copy)]
pub(crate) enum RequestTable {
    HeadersIn,
    HeadersOut,
    ErrHeadersOut,
    SubprocessEnv,
    Notes,
    ConnectionNotes,
}

enum TableSource {
    Request(Arc<RequestLease>, RequestTable),
    /// `conn.notes` in a connection handler.
    HandlerConnectionNotes(Arc<Lease<DirectConn>>),
    Owned(OwnedTable),
}

#[repr(C)]
struct TableObject {
    ob_base: ffi::PyObject,
    source: ManuallyDrop<TableSource>,
}

/// The table behind `slf`, or an error when its request has ended or is served by another
/// thread.
///
/// # Safety
/// `slf` is an `mp_table` object, which keeps its source alive while borrowed.
unsafe fn table<'py>(py: Python<'py>, slf: *mut ffi::PyObject) -> PyResult<'py, &'py Table> {
    // The borrow is used only while the object (held by the caller's frame) and the GIL are held.
    // SAFETY: slf is an mp_table, so its source is initialised.
    let source = unsafe { &*crate::native::layout::<TableObject>(slf).source };
    match source {
        TableSource::Owned(t) => {
            // SAFETY: the owned table lives as long as the object; see above.
            Ok(unsafe { &*(t.table() as *const Table) })
        }
        TableSource::Request(lease, which) => {
            let r = lease.get().map_err(|e| lease_error(py, e, "table"))?;
            Ok(match which {
                RequestTable::HeadersIn => r.headers_in(),
                RequestTable::HeadersOut => r.headers_out(),
                RequestTable::ErrHeadersOut => r.err_headers_out(),
                RequestTable::SubprocessEnv => r.subprocess_env(),
                RequestTable::Notes => r.notes(),
                RequestTable::ConnectionNotes => r.connection().notes(),
            })
        }
        TableSource::HandlerConnectionNotes(lease) => {
            let d = lease.get().map_err(|e| lease_error(py, e, "table"))?;
            Ok(d.connection().notes())
        }
    }
}

fn alloc<'py>(
    py: Python<'py>,
    ty: *mut ffi::PyObject,
    source: TableSource,
) -> PyResult<'py, Obj<'py>> {
    // SAFETY: ty is our table heap type; the fresh object is initialised before use.
    unsafe {
        crate::native::alloc_object(py, ty, |raw: *mut TableObject| {
            std::ptr::addr_of_mut!((*raw).source).write(ManuallyDrop::new(source));
        })
    }
}

/// A table object viewing one of a request's tables.
pub(crate) fn new_request_table<'py>(
    py: Python<'py>,
    ty: *mut ffi::PyObject,
    lease: Arc<RequestLease>,
    which: RequestTable,
) -> PyResult<'py, Obj<'py>> {
    alloc(py, ty, TableSource::Request(lease, which))
}

/// A table object viewing the notes of the connection a connection handler serves.
pub(crate) fn new_handler_connection_notes<'py>(
    py: Python<'py>,
    ty: *mut ffi::PyObject,
    lease: Arc<Lease<DirectConn>>,
) -> PyResult<'py, Obj<'py>> {
    alloc(py, ty, TableSource::HandlerConnectionNotes(lease))
}

/// A table object of its own holding `entries`.
pub(crate) fn new_owned_table<'py, K: AsRef<[u8]>, V: AsRef<[u8]>>(
    py: Python<'py>,
    ty: *mut ffi::PyObject,
    entries: impl IntoIterator<Item = (K, V)>,
) -> PyResult<'py, Obj<'py>> {
    let entries = entries.into_iter();
    let owned = OwnedTable::new(entries.size_hint().0.max(8))
        .map_err(|e| PyErr::runtime_error(py, &format!("cannot create table: {e}")))?;
    for (k, v) in entries {
        owned
            .table()
            .add(k.as_ref(), v.as_ref())
            .map_err(|_| nul(py))?;
    }
    alloc(py, ty, TableSource::Owned(owned))
}

fn nul(py: Python<'_>) -> PyErr<'_> {
    PyErr::value_error(py, "table keys and values cannot contain NUL bytes")
}

fn wire<'py>(py: Python<'py>, o: &Obj<'py>, what: &str) -> PyResult<'py, Vec<u8>> {
    let p = o.as_ptr();
    // SAFETY: type checks on a valid object.
    let ok = unsafe { ffi::PyUnicode_Check(p) != 0 || ffi::PyBytes_Check(p) != 0 };
    if !ok {
        return Err(PyErr::type_error(
            py,
            &format!("table {what} must be str or bytes"),
        ));
    }
    o.to_wire_bytes()
}

/// Argument `i` of a table method as key or value bytes (it must be given, as str or bytes).
/// A key or value given to `update()` or the constructor: str and bytes as they are, anything
/// else as `str(o)` (mod_python 3.5 takes `str()` of both there, so `table({1: 2})` works).
fn merged<'py>(py: Python<'py>, o: &Obj<'py>) -> PyResult<'py, Vec<u8>> {
    let p = o.as_ptr();
    // SAFETY: type checks on a valid object.
    if unsafe { ffi::PyUnicode_Check(p) != 0 || ffi::PyBytes_Check(p) != 0 } {
        return o.to_wire_bytes();
    }
    // SAFETY: PyObject_Str returns a new reference or NULL.
    unsafe { Obj::from_owned(py, ffi::PyObject_Str(p)) }?.to_wire_bytes()
}

/// Each item of the iterable `it` (a new reference from `PyObject_GetIter`), until the end.
fn for_each_item<'py>(
    py: Python<'py>,
    iterable: &Obj<'py>,
    mut f: impl FnMut(Obj<'py>) -> PyResult<'py, ()>,
) -> PyResult<'py, ()> {
    // SAFETY: PyObject_GetIter returns a new iterator or NULL.
    let it = unsafe { Obj::from_owned(py, ffi::PyObject_GetIter(iterable.as_ptr()))? };
    loop {
        // SAFETY: PyIter_Next returns a new reference, or NULL at the end or on error.
        let item = unsafe { ffi::PyIter_Next(it.as_ptr()) };
        if item.is_null() {
            // SAFETY: checking the error indicator.
            if unsafe { !ffi::PyErr_Occurred().is_null() } {
                return Err(PyErr::fetch(py));
            }
            return Ok(());
        }
        // SAFETY: item is a new reference.
        f(unsafe { Obj::from_owned_unchecked(py, item) })?;
    }
}

fn arg_bytes<'py, const N: usize>(
    py: Python<'py>,
    a: &Args<'py, N>,
    i: usize,
    what: &str,
) -> PyResult<'py, Vec<u8>> {
    let o = a
        .get(i)
        .ok_or_else(|| PyErr::type_error(py, &format!("table {what} cannot be None")))?;
    wire(py, o, what)
}

fn values_obj<'py>(py: Python<'py>, t: &Table, key: &[u8]) -> PyResult<'py, Option<Obj<'py>>> {
    let values = t.get_all(key);
    match values.len() {
        0 => Ok(None),
        1 => py.str_from_wire(values[0]).map(Some),
        _ => {
            let items = values
                .iter()
                .map(|v| py.str_from_wire(v))
                .collect::<PyResult<'_, Vec<_>>>()?;
            py.list(items).map(Some)
        }
    }
}

fn key_error<'py>(py: Python<'py>, key: &Obj<'py>) -> PyErr<'py> {
    // SAFETY: PyErr_SetObject with the KeyError class and a valid key object.
    unsafe { ffi::PyErr_SetObject(ffi::PyExc_KeyError, key.as_ptr()) };
    PyErr::fetch(py)
}

unsafe extern "C" fn subscript(
    slf: *mut ffi::PyObject,
    key: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    trampoline(|py| {
        // SAFETY: CPython passes an mp_table and a valid key.
        let (t, key) = unsafe { (table(py, slf)?, Obj::from_borrowed(py, key)) };
        let k = wire(py, &key, "keys")?;
        values_obj(py, t, &k)?.ok_or_else(|| key_error(py, &key))
    })
}

unsafe extern "C" fn ass_subscript(
    slf: *mut ffi::PyObject,
    key: *mut ffi::PyObject,
    value: *mut ffi::PyObject,
) -> c_int {
    trampoline_int(|py| {
        // SAFETY: CPython passes an mp_table and a valid key.
        let (t, key) = unsafe { (table(py, slf)?, Obj::from_borrowed(py, key)) };
        let k = wire(py, &key, "keys")?;
        if value.is_null() {
            t.unset(&k);
        } else {
            // SAFETY: value is a valid object.
            let v = wire(py, &unsafe { Obj::from_borrowed(py, value) }, "values")?;
            t.set(&k, &v).map_err(|_| nul(py))?;
        }
        Ok(0)
    })
}

unsafe extern "C" fn length(slf: *mut ffi::PyObject) -> ffi::Py_ssize_t {
    let mut n = 0;
    let rc = trampoline_int(|py| {
        // SAFETY: CPython passes an mp_table.
        n = unsafe { table(py, slf)? }.len() as ffi::Py_ssize_t;
        Ok(0)
    });
    if rc < 0 {
        -1
    } else {
        n
    }
}

unsafe extern "C" fn contains(slf: *mut ffi::PyObject, key: *mut ffi::PyObject) -> c_int {
    trampoline_int(|py| {
        // SAFETY: CPython passes an mp_table and a valid key.
        let (t, key) = unsafe { (table(py, slf)?, Obj::from_borrowed(py, key)) };
        let k = wire(py, &key, "keys")?;
        Ok(c_int::from(t.get(&k).is_some()))
    })
}

fn keys_list<'py>(py: Python<'py>, t: &Table) -> PyResult<'py, Obj<'py>> {
    let keys = t
        .iter()
        .map(|(k, _)| py.str_from_wire(k))
        .collect::<PyResult<'_, Vec<_>>>()?;
    py.list(keys)
}

unsafe extern "C" fn iter(slf: *mut ffi::PyObject) -> *mut ffi::PyObject {
    trampoline(|py| {
        // SAFETY: CPython passes an mp_table.
        let keys = keys_list(py, unsafe { table(py, slf)? })?;
        // SAFETY: PyObject_GetIter on a list returns a new iterator or NULL.
        unsafe { Obj::from_owned(py, ffi::PyObject_GetIter(keys.as_ptr())) }
    })
}

unsafe extern "C" fn repr(slf: *mut ffi::PyObject) -> *mut ffi::PyObject {
    trampoline(|py| {
        // SAFETY: CPython passes an mp_table.
        let t = unsafe { table(py, slf)? };
        let mut parts = Vec::new();
        for (k, v) in t.iter() {
            let k = py.str_from_wire(k)?;
            let v = py.str_from_wire(v)?;
            // SAFETY: PyObject_Repr returns a new reference or NULL.
            let (kr, vr) = unsafe {
                (
                    Obj::from_owned(py, ffi::PyObject_Repr(k.as_ptr()))?,
                    Obj::from_owned(py, ffi::PyObject_Repr(v.as_ptr()))?,
                )
            };
            parts.push(format!("{}: {}", kr.str_lossy(), vr.str_lossy()));
        }
        py.str(&format!("{{{}}}", parts.join(", ")))
    })
}

unsafe extern "C" fn tp_new(
    ty: *mut ffi::PyTypeObject,
    args: *mut ffi::PyObject,
    _kwargs: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    trampoline(|py| {
        let none: [(&[u8], &[u8]); 0] = [];
        let obj = new_owned_table(py, ty as *mut ffi::PyObject, none)?;
        // SAFETY: args is the positional tuple of the constructor call.
        let n = unsafe { ffi::PyTuple_Size(args) };
        if n > 1 {
            return Err(PyErr::type_error(py, "table() takes at most 1 argument"));
        }
        if n == 1 {
            // SAFETY: index 0 exists; a borrowed item.
            let init = unsafe { Obj::from_borrowed(py, ffi::PyTuple_GetItem(args, 0)) };
            if init.getattr("keys").is_ok() {
                obj.call_method("update", vec![init])?;
            } else {
                // A sequence of (key, value) pairs.
                // SAFETY: obj is the table just made, of an mp_table type.
                let t = unsafe { table(py, obj.as_ptr()) }?;
                for_each_item(py, &init, |item| {
                    // SAFETY: PySequence_GetItem returns new references or NULL.
                    let (k, v) = unsafe {
                        (
                            Obj::from_owned(py, ffi::PySequence_GetItem(item.as_ptr(), 0))?,
                            Obj::from_owned(py, ffi::PySequence_GetItem(item.as_ptr(), 1))?,
                        )
                    };
                    t.set(&merged(py, &k)?, &merged(py, &v)?)
                        .map_err(|_| nul(py))
                })?;
            }
        }
        Ok(obj)
    })
}

unsafe extern "C" fn dealloc(slf: *mut ffi::PyObject) {
    // SAFETY: the last reference is gone: drop the Rust source, free, release the type.
    unsafe {
        ManuallyDrop::drop(&mut crate::native::layout_mut::<TableObject>(slf).source);
        crate::native::free_object(slf);
    }
}

native_methods! {
    METHODS, mod table_methods, |py, slf| table(py, slf);

    get(t, a = ["key", "default"] / 1)
        "get(key, default=None): the first value of key."
    {
        let k = arg_bytes(py, &a, 0, "keys")?;
        match t.get(&k) {
            Some(v) => py.str_from_wire(v),
            None => Ok(a.get(1).cloned().unwrap_or_else(|| py.none())),
        }
    }

    add(t, a = ["key", "value"] / 2)
        "add(key, value): add a value, keeping existing ones."
    {
        let k = arg_bytes(py, &a, 0, "keys")?;
        let v = arg_bytes(py, &a, 1, "values")?;
        t.add(&k, &v).map_err(|_| nul(py))?;
        Ok(py.none())
    }

    keys(t, _a = [] / 0)
        "keys(): all keys in order (repeated keys repeat)."
    {
        keys_list(py, t)
    }

    values(t, _a = [] / 0)
        "values(): all values in order."
    {
        let v = t
            .iter()
            .map(|(_, v)| py.str_from_wire(v))
            .collect::<PyResult<'_, Vec<_>>>()?;
        py.list(v)
    }

    items(t, _a = [] / 0)
        "items(): (key, value) pairs in order."
    {
        let items = t
            .iter()
            .map(|(k, v)| py.tuple(vec![py.str_from_wire(k)?, py.str_from_wire(v)?]))
            .collect::<PyResult<'_, Vec<_>>>()?;
        py.list(items)
    }

    has_key(t, a = ["key"] / 1)
        "has_key(key): whether the key is in the table."
    {
        let k = arg_bytes(py, &a, 0, "keys")?;
        Ok(py.bool(t.get(&k).is_some()))
    }

    popitem(t, _a = [] / 0)
        "popitem(): remove the first (key, value) pair and return it."
    {
        let rest: Vec<(Vec<u8>, Vec<u8>)> =
            t.iter().map(|(k, v)| (k.to_vec(), v.to_vec())).collect();
        let Some((key, value)) = rest.first().cloned() else {
            return Err(PyErr::key_error(py, "popitem(): table is empty"));
        };
        t.clear();
        for (k, v) in &rest[1..] {
            t.add(k, v).map_err(|_| nul(py))?;
        }
        py.tuple(vec![py.str_from_wire(&key)?, py.str_from_wire(&value)?])
    }

    clear(t, _a = [] / 0)
        "clear(): remove everything."
    {
        t.clear();
        Ok(py.none())
    }

    setdefault(t, a = ["key", "default"] / 1)
        "setdefault(key, default=''): the key's value, set to default first if missing."
    {
        let k = arg_bytes(py, &a, 0, "keys")?;
        if let Some(v) = t.get(&k) {
            return py.str_from_wire(v);
        }
        let d = match a.get(1) {
            Some(d) => wire(py, d, "values")?,
            None => Vec::new(),
        };
        t.set(&k, &d).map_err(|_| nul(py))?;
        py.str_from_wire(&d)
    }

    copy(t, _a = [] / 0)
        "copy(): a table of its own with the same entries."
    {
        // The bytes as they are (a non-UTF-8 value stays what it was).
        // SAFETY: slf is an mp_table (or a subclass), whose type makes the copy.
        let table_type = unsafe { ffi::Py_TYPE(slf) } as *mut ffi::PyObject;
        new_owned_table(py, table_type, t.iter())
    }

    update(t, a = ["other"] / 1)
        "update(mapping): set each key of mapping (anything with keys() and [])."
    {
        // As mod_python 3.5: a mapping is required, so None or a list of pairs raises
        // AttributeError for the missing keys().
        let other = match a.get(0) {
            Some(other) => other.clone(),
            None => py.none(),
        };
        let keys = other.call_method("keys", vec![])?;
        for_each_item(py, &keys, |key| {
            let item = ffi::PyObject_GetItem;
            // SAFETY: PyObject_GetItem returns a new reference or NULL.
            let value = unsafe { Obj::from_owned(py, item(other.as_ptr(), key.as_ptr()))? };
            t.set(&merged(py, &key)?, &merged(py, &value)?).map_err(|_| nul(py))
        })?;
        Ok(py.none())
    }
}
native_type! {
    "mp_table", TableObject, "A table of mod_python: an ordered, case-insensitive mapping of strings that keeps repeated keys.",
    instantiable: true, gc: false,
    slots: [
        Py_tp_dealloc => dealloc,
        Py_tp_new => tp_new,
        Py_tp_methods => METHODS.get(),
        Py_tp_iter => iter,
        Py_tp_repr => repr,
        Py_mp_subscript => subscript,
        Py_mp_ass_subscript => ass_subscript,
        Py_mp_length => length,
        Py_sq_contains => contains,
    ]
}
