//! `_apache`, the native module every interpreter imports, built with multi-phase
//! initialisation (PEP 489): each interpreter gets its own module object, and its own heap
//! types (`PyType_FromModuleAndSpec`) kept in the module's state (PEP 573). Nothing here is
//! a process-global Python object, so it is sound under named sub-interpreters.
//!
//! Its state holds the six native types (`mp_request`, `mp_table`, `mp_server`, `mp_conn`,
//! `mp_filter`, `mp_multipart`), the `SERVER_RETURN` exception and `RustPanic`; its functions are in the
//! `MODULE_FUNCTIONS` table below (logging, server queries, the global locks, `apr_stat`,
//! the parsed configuration tree).

use crate::native::native_methods;
use crate::native::Static;
use crate::py::{Obj, Python};
use bindings::LogLevel;
use pyo3_ffi as ffi;
use std::ffi::{c_int, c_void};

/// Per-interpreter state of `_apache` (strong references, released in `m_clear`).
#[repr(C)]
pub(crate) struct ModuleState {
    pub(crate) request_type: *mut ffi::PyObject,
    pub(crate) table_type: *mut ffi::PyObject,
    pub(crate) server_type: *mut ffi::PyObject,
    pub(crate) conn_type: *mut ffi::PyObject,
    pub(crate) filter_type: *mut ffi::PyObject,
    pub(crate) multipart_type: *mut ffi::PyObject,
    pub(crate) server_return: *mut ffi::PyObject,
    pub(crate) rust_panic: *mut ffi::PyObject,
    /// `server.get_options()` tables, one per server record, kept so that what a
    /// `PythonImport` writes there is seen by later requests, as in mod_python.
    pub(crate) server_options: *mut ffi::PyObject,
}

impl ModuleState {
    /// Every reference the state holds, for GC traversal and clearing.
    fn fields(&mut self) -> [&mut *mut ffi::PyObject; 9] {
        let ModuleState {
            request_type,
            table_type,
            server_type,
            conn_type,
            filter_type,
            multipart_type,
            server_return,
            rust_panic,
            server_options,
        } = self;
        [
            request_type,
            table_type,
            server_type,
            conn_type,
            filter_type,
            multipart_type,
            server_return,
            rust_panic,
            server_options,
        ]
    }
}

native_methods! {
    MODULE_FUNCTIONS, mod module_functions, |py, module| Ok::<_, crate::py::PyErr<'_>>(module);

    exists_config_define(_, a = ["name"] / 1)
        "exists_config_define(name): True if httpd ran with -D name."
    {
        let name = a.get(0).map(Obj::str_lossy).unwrap_or_default();
        Ok(py.bool(bindings::module::config_define_exists(&name)))
    }

    mpm_query(_, a = ["code"] / 1)
        "mpm_query(code): ask the MPM (AP_MPMQ_* codes)."
    {
        let code = a.int_or(0, 0)? as i32;
        py.int(i64::from(bindings::module::mpm_query(code).unwrap_or(0)))
    }

    server_root(_, _a = [] / 0)
        "server_root(): ServerRoot."
    {
        match crate::process::main_server() {
            Some(s) => py.str(&s.server_root()),
            None => Ok(py.none()),
        }
    }

    _main_server(_, _a = [] / 0)
        "_main_server(): the main server object."
    {
        match crate::process::main_server() {
            Some(s) => {
                // SAFETY: `module` is this interpreter's _apache module.
                let ty = unsafe { module_state(module) }.server_type;
                crate::server::new_server_object(py, ty, s)
            }
            None => Ok(py.none()),
        }
    }

    _stat(_, a = ["fname", "wanted"] / 2)
        "_stat(fname, wanted): apr_stat as a tuple (see apache.stat)."
    {
        let fname = a
            .get(0)
            .map(Obj::to_wire_bytes)
            .transpose()?
            .unwrap_or_default();
        let wanted = a.int_or(1, 0)? as i32;
        match bindings::finfo::stat(&fname, wanted) {
            Ok(f) => crate::finfo::finfo_tuple(py, &f),
            Err(e) => Err(crate::py::PyErr::os_error(
                py,
                &format!("stat {}: {e}", String::from_utf8_lossy(&fname)),
            )),
        }
    }

    parse_qs(_, a = ["qs", "keep_blank_values", "strict_parsing"] / 1)
        "parse_qs(qs, keep_blank_values=0, strict_parsing=0): {name: [values]} of a query string."
    {
        let (fields, text) = query_fields(py, &a)?;
        let dict = py.dict()?;
        for f in fields {
            let name = query_part(py, &f.name, text)?;
            let value = query_part(py, &f.value, text)?;
            let list = dict.call_method("setdefault", vec![name, py.list(vec![])?])?;
            list.call_method("append", vec![value])?;
        }
        Ok(dict)
    }

    multipart_parser(module, a = ["boundary", "max_header_bytes", "max_parts"] / 1)
        "multipart_parser(boundary, max_header_bytes=65536, max_parts=100000): a streaming parser of a multipart/form-data body."
    {
        let boundary = a
            .get(0)
            .ok_or_else(|| crate::py::PyErr::type_error(py, "a boundary is required"))?
            .to_wire_bytes()?;
        let defaults = forms::multipart::Limits::default();
        let limits = forms::multipart::Limits {
            max_header_bytes: a.int_or(1, defaults.max_header_bytes as i64)?.max(0) as usize,
            max_parts: a.int_or(2, defaults.max_parts as i64)?.max(0) as usize,
        };
        // SAFETY: the module's state, set up by exec_module.
        let ty = unsafe { module_state(module).multipart_type };
        crate::multipart::new_parser_object(py, ty, &boundary, limits)
    }

    parse_qsl(_, a = ["qs", "keep_blank_values", "strict_parsing"] / 1)
        "parse_qsl(qs, keep_blank_values=0, strict_parsing=0): [(name, value)] of a query string."
    {
        let (fields, text) = query_fields(py, &a)?;
        let pairs = fields
            .iter()
            .map(|f| py.tuple(vec![query_part(py, &f.name, text)?, query_part(py, &f.value, text)?]))
            .collect::<crate::py::PyResult<'_, Vec<_>>>()?;
        py.list(pairs)
    }

    config_tree(_, _a = [] / 0)
        "config_tree(): the parsed configuration as tuples and lists."
    {
        config_list(py, &bindings::module::config_tree())
    }

    _global_lock(_, a = ["server", "key", "index"] / 2)
        "_global_lock(server, key, index=-1): take a lock shared by all processes."
    {
        let index = lock_index(a.get(1), a.int_or(2, -1)?);
        let locked = crate::interpreters::detach(py, (), |()| {
            crate::process::with_lock(index, |m| m.lock())
        });
        lock_result(py, "_global_lock", "Failed to acquire global mutex lock", locked)?;
        Ok(py.none())
    }

    _global_trylock(_, a = ["server", "key", "index"] / 2)
        "_global_trylock(server, key, index=-1): take it if free."
    {
        let index = lock_index(a.get(1), a.int_or(2, -1)?);
        let taken = crate::process::with_lock(index, |m| m.try_lock());
        let what = "Failed to acquire global mutex lock";
        Ok(py.bool(lock_result(py, "_global_trylock", what, taken)?))
    }

    _global_unlock(_, a = ["server", "key", "index"] / 2)
        "_global_unlock(server, key, index=-1): release it."
    {
        let index = lock_index(a.get(1), a.int_or(2, -1)?);
        let released = crate::process::with_lock(index, |m| m.unlock());
        let what = "Failed to release global mutex lock";
        lock_result(py, "_global_unlock", what, released)?;
        Ok(py.none())
    }

    _count_reload(_, _a = [] / 0)
        "_count_reload(): counts a module reloaded by PythonAutoReload (for mod_python-status)."
    {
        crate::metrics::count_reload();
        Ok(py.none())
    }

    log_error(_, a = ["message", "level", "server"] / 1)
        "log_error(message, level=APLOG_ERR, server=None)"
    {
        let message = a.get(0).map(Obj::str_lossy).unwrap_or_default();
        let level = LogLevel::from_mod_python(a.int_or(1, 3)?);
        // Without a server, log as the main server (so its LogLevel applies).
        let server = match a.get(2) {
            Some(obj) => crate::server::server_of(py, obj),
            None => crate::process::main_server(),
        };
        crate::interpreters::detach(py, server, |server| {
            for line in message.split('\n') {
                bindings::slog!(server, level, "{line}");
            }
        });
        Ok(py.none())
    }
}
/// mod_python's layout: each node as `(directive, args)`, followed by a list of its
/// children when it is a section.
fn config_list<'py>(
    py: Python<'py>,
    nodes: &[bindings::module::ConfigNode],
) -> crate::py::PyResult<'py, Obj<'py>> {
    let mut items = Vec::new();
    for n in nodes {
        items.push(py.tuple(vec![
            py.str_from_wire(&n.directive)?,
            py.str_from_wire(&n.args)?,
        ])?);
        if !n.children.is_empty() {
            items.push(config_list(py, &n.children)?);
        }
    }
    py.list(items)
}

/// Which global mutex a key uses: `index` when given, else a hash of the key (index 0 is
/// reserved for dbm sessions, as in mod_python).
fn lock_index(key: Option<&Obj<'_>>, index: i64) -> usize {
    let n = crate::process::lock_count().max(1);
    if index >= 0 {
        return usize::try_from(index).unwrap_or(0) % n;
    }
    // SAFETY: PyObject_Hash on a valid object; an unhashable key's error is cleared (hash 0).
    let h = key.map_or(0, |k| unsafe {
        let h = ffi::PyObject_Hash(k.as_ptr());
        ffi::PyErr_Clear();
        h
    });
    if n == 1 {
        0
    } else {
        1 + h.unsigned_abs() % (n - 1)
    }
}

/// What a global-lock call did, as Python sees it: `OSError` saying `failure` when the mutex
/// failed, `ValueError` naming `function` when the process has no global mutexes.
fn lock_result<'py, T>(
    py: Python<'py>,
    function: &str,
    failure: &str,
    outcome: Option<Result<T, bindings::AprError>>,
) -> crate::py::PyResult<'py, T> {
    match outcome {
        Some(Ok(v)) => Ok(v),
        Some(Err(e)) => Err(crate::py::PyErr::os_error(py, &format!("{failure}: {e}"))),
        None => Err(crate::py::PyErr::value_error(
            py,
            &format!("{function}: no global mutexes in this process"),
        )),
    }
}

static MODULE_SLOTS: Static<[ffi::PyModuleDef_Slot; 2]> = Static::new([
    ffi::PyModuleDef_Slot {
        slot: ffi::Py_mod_exec,
        value: exec_module as *mut c_void,
    },
    ffi::PyModuleDef_Slot {
        slot: 0,
        value: std::ptr::null_mut(),
    },
]);

static MODULE_DEF: Static<ffi::PyModuleDef> = Static::new(ffi::PyModuleDef {
    m_base: ffi::PyModuleDef_HEAD_INIT,
    m_name: c"_apache".as_ptr(),
    m_doc: c"Native objects of mod_python (per interpreter).".as_ptr(),
    m_size: std::mem::size_of::<ModuleState>() as ffi::Py_ssize_t,
    m_methods: std::ptr::null_mut(),
    m_slots: std::ptr::null_mut(),
    m_traverse: Some(traverse_module),
    m_clear: Some(clear_module),
    m_free: None,
});

/// The `PyInit__apache` function registered with `PyImport_AppendInittab`.
pub(crate) unsafe extern "C" fn init_apache_module() -> *mut ffi::PyObject {
    // SAFETY: called by the import system with the GIL held, before any other use.
    unsafe { crate::native::init_module_def(&MODULE_DEF, &MODULE_FUNCTIONS, &MODULE_SLOTS) }
}

/// The state of a `_apache` module object.
///
/// # Safety
/// `module` is an `_apache` module object created from `MODULE_DEF`.
pub(crate) unsafe fn module_state<'a>(module: *mut ffi::PyObject) -> &'a mut ModuleState {
    // SAFETY: the module was created from MODULE_DEF, whose m_size is a ModuleState.
    unsafe { &mut *(ffi::PyModule_GetState(module) as *mut ModuleState) }
}

/// The state of `_apache` for the type of `obj` (one of our heap types).
///
/// # Safety
/// `obj`'s type was created by `PyType_FromModuleAndSpec` with an `_apache` module.
pub(crate) unsafe fn state_of<'a>(obj: *mut ffi::PyObject) -> &'a ModuleState {
    // SAFETY: our types carry their defining module; its state is a ModuleState.
    unsafe { &*(ffi::PyType_GetModuleState(ffi::Py_TYPE(obj)) as *const ModuleState) }
}

/// The fields `parse_qs`/`parse_qsl` keep of their arguments, and whether the query string
/// was text (then names and values are `str`, else `bytes`).
fn query_fields<'py, const N: usize>(
    py: Python<'py>,
    a: &crate::native::Args<'py, N>,
) -> crate::py::PyResult<'py, (Vec<forms::querystring::Field>, bool)> {
    let qs = a
        .get(0)
        .ok_or_else(|| crate::py::PyErr::type_error(py, "a query string is required"))?;
    // SAFETY: a type check on a valid object.
    let text = unsafe { ffi::PyUnicode_Check(qs.as_ptr()) != 0 };
    let bytes = qs.to_wire_bytes()?;
    let keep_blank = a.int_or(1, 0)? != 0;
    let strict = a.int_or(2, 0)? != 0;
    let fields = forms::querystring::parse(&bytes, keep_blank, strict)
        .map_err(|e| crate::py::PyErr::value_error(py, &e))?;
    Ok((fields, text))
}

/// A decoded name or value: `str` (invalid UTF-8 replaced, as urllib does) or `bytes`.
fn query_part<'py>(py: Python<'py>, b: &[u8], text: bool) -> crate::py::PyResult<'py, Obj<'py>> {
    if text {
        py.str(&String::from_utf8_lossy(b))
    } else {
        py.bytes(b)
    }
}

unsafe extern "C" fn exec_module(module: *mut ffi::PyObject) -> c_int {
    crate::native::trampoline_int(|py| {
        // SAFETY: `module` is the new _apache module being executed, with zeroed state.
        let state = unsafe { module_state(module) };
        // SAFETY: the module is a valid object for the duration of exec.
        let m = unsafe { Obj::from_borrowed(py, module) };
        let request_type = crate::request::create_type(py, &m)?;
        let table_type = crate::table::create_type(py, &m)?;
        let server_type = crate::server::create_type(py, &m)?;
        let conn_type = crate::connection::create_type(py, &m)?;
        let filter_type = crate::filter::create_type(py, &m)?;
        let multipart_type = crate::multipart::create_type(py, &m)?;
        // SAFETY: PyErr_NewException returns a new exception class or NULL.
        let server_return = unsafe {
            Obj::from_owned(
                py,
                ffi::PyErr_NewException(
                    c"_apache.SERVER_RETURN".as_ptr(),
                    std::ptr::null_mut(),
                    std::ptr::null_mut(),
                ),
            )?
        };
        // SAFETY: as above, a subclass of BaseException so `except Exception` lets it pass.
        let rust_panic = unsafe {
            Obj::from_owned(
                py,
                ffi::PyErr_NewException(
                    c"_apache.RustPanic".as_ptr(),
                    ffi::PyExc_BaseException,
                    std::ptr::null_mut(),
                ),
            )?
        };
        m.setattr("mp_request", &request_type)?;
        m.setattr("table", &table_type)?;
        m.setattr("mp_server", &server_type)?;
        m.setattr("mp_conn", &conn_type)?;
        m.setattr("mp_filter", &filter_type)?;
        m.setattr("SERVER_RETURN", &server_return)?;
        m.setattr("RustPanic", &rust_panic)?;
        // The httpd this module was built against, as mod_python reports it.
        let (major, minor) = bindings::module::module_magic_number();
        m.setattr("MODULE_MAGIC_NUMBER_MAJOR", &py.int(i64::from(major))?)?;
        m.setattr("MODULE_MAGIC_NUMBER_MINOR", &py.int(i64::from(minor))?)?;
        state.request_type = request_type.into_ptr();
        state.table_type = table_type.into_ptr();
        state.server_type = server_type.into_ptr();
        state.conn_type = conn_type.into_ptr();
        state.filter_type = filter_type.into_ptr();
        state.multipart_type = multipart_type.into_ptr();
        state.server_return = server_return.into_ptr();
        state.rust_panic = rust_panic.into_ptr();
        state.server_options = py.dict()?.into_ptr();
        Ok(0)
    })
}

unsafe extern "C" fn traverse_module(
    module: *mut ffi::PyObject,
    visit: ffi::visitproc,
    arg: *mut c_void,
) -> c_int {
    // SAFETY: called by the GC on our module; visiting each held reference.
    unsafe {
        let state = ffi::PyModule_GetState(module) as *mut ModuleState;
        match state.as_mut() {
            Some(state) => crate::native::visit_refs(state.fields().map(|f| *f), visit, arg),
            None => 0,
        }
    }
}

unsafe extern "C" fn clear_module(module: *mut ffi::PyObject) -> c_int {
    // SAFETY: called with the GIL held on our module; each reference is released once.
    unsafe {
        let state = ffi::PyModule_GetState(module) as *mut ModuleState;
        if let Some(state) = state.as_mut() {
            crate::native::release_refs(state.fields());
        }
    }
    0
}

/// `_apache.RustPanic` of the current interpreter (or `SystemError` outside ours).
pub(crate) fn rust_panic_type(py: Python<'_>) -> *mut ffi::PyObject {
    match crate::interpreters::current(py) {
        Some(interp) => {
            let m = interp.native_module(py);
            // SAFETY: m is this interpreter's _apache module; the type lives in its state.
            unsafe { module_state(m.as_ptr()).rust_panic }
        }
        // SAFETY: reading a builtin exception class.
        None => unsafe { ffi::PyExc_SystemError },
    }
}

/// Writes each line of `message` as its own log entry, with the GIL released while Apache
/// writes (a piped error log can block).
pub(crate) fn log_lines(
    py: Python<'_>,
    r: Option<&bindings::Request>,
    level: LogLevel,
    message: &str,
) {
    crate::interpreters::detach(py, r, |r| {
        for line in message.split('\n') {
            match r {
                Some(r) => bindings::rlog!(r, level, "{line}"),
                None => bindings::slog!(None, level, "{line}"),
            }
        }
    });
}
