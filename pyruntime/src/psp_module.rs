//! `_psp`, the built-in module `mod_python.psp` translates pages with: the `psp` crate's
//! translator, as mod_python 3.5's `_psp` offers it. `parse(filename, dir=None)` translates
//! the file `dir + filename` (includes resolved against `dir`), `parsestring(text)` a page
//! given as a string (includes against the current directory). A page that cannot be
//! translated raises `SyntaxError` naming its file and line; an include that cannot be read
//! too, with the reason.

use crate::native::{native_methods, Static};
use crate::py::{Obj, PyErr, PyResult, Python};
use pyo3_ffi as ffi;
use std::path::{Path, PathBuf};

/// A page's bytes as text: UTF-8 when valid, else Latin-1 byte for byte.
fn page_text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes)
        .unwrap_or_else(|e| e.into_bytes().iter().map(|&b| char::from(b)).collect())
}

/// Translates `text`; includes are read relative to `dir`.
fn translate<'py>(
    py: Python<'py>,
    text: &str,
    name: &str,
    dir: Option<&Path>,
) -> PyResult<'py, Obj<'py>> {
    let mut load = |file: &str| {
        let path = match dir {
            Some(d) if !Path::new(file).is_absolute() => d.join(file),
            _ => PathBuf::from(file),
        };
        std::fs::read(&path)
            .map(page_text)
            .map_err(|e| format!("{}: {e}", path.display()))
    };
    let translated =
        crate::interpreters::detach(py, (), |()| psp::translate(text, name, &mut load));
    match translated {
        Ok(code) => py.str(&code),
        Err(e) => Err(syntax_error(py, &e)),
    }
}

/// `SyntaxError(message, (file, line, 0, ""))`, so tracebacks point into the page.
fn syntax_error<'py>(py: Python<'py>, e: &psp::Error) -> PyErr<'py> {
    let made = (|| {
        let class = py.import("builtins")?.getattr("SyntaxError")?;
        let location = py.tuple(vec![
            py.str(&e.file)?,
            py.int(e.line as i64)?,
            py.int(0)?,
            py.str("")?,
        ])?;
        class.call(vec![py.str(&e.message)?, location])
    })();
    match made {
        Ok(instance) => PyErr::from_instance(instance),
        Err(err) => err,
    }
}

native_methods! {
    FUNCTIONS, mod functions, |py, module| Ok::<_, PyErr<'_>>(module);

    parse(_, a = ["filename", "dir"] / 1)
        "parse(filename, dir=None): the Python code of the page dir + filename."
    {
        let filename = a.get(0).map(Obj::str_lossy).unwrap_or_default();
        let dir = a.get(1).filter(|d| !d.is_none()).map(Obj::str_lossy);
        let path = match &dir {
            Some(d) => PathBuf::from(format!("{d}{filename}")),
            None => PathBuf::from(&filename),
        };
        let bytes = crate::interpreters::detach(py, (), |()| std::fs::read(&path))
            .map_err(|e| PyErr::os_error(py, &format!("{}: {e}", path.display())))?;
        let base = path.parent().map(Path::to_path_buf);
        translate(py, &page_text(bytes), &path.display().to_string(), base.as_deref())
    }

    parsestring(_, a = ["text"] / 1)
        "parsestring(text): the Python code of a page given as a string."
    {
        let text = a.get(0).map(Obj::str_lossy).unwrap_or_default();
        translate(py, &text, "<string>", None)
    }
}

static MODULE_DEF: Static<ffi::PyModuleDef> = Static::new(ffi::PyModuleDef {
    m_base: ffi::PyModuleDef_HEAD_INIT,
    m_name: c"_psp".as_ptr(),
    m_doc: c"Python Server Pages translated into Python code.".as_ptr(),
    m_size: 0,
    m_methods: std::ptr::null_mut(),
    m_slots: std::ptr::null_mut(),
    m_traverse: None,
    m_clear: None,
    m_free: None,
});

static SLOTS: Static<[ffi::PyModuleDef_Slot; 1]> = Static::new([ffi::PyModuleDef_Slot {
    slot: 0,
    value: std::ptr::null_mut(),
}]);

/// The `PyInit__psp` function registered with `PyImport_AppendInittab`.
pub(crate) unsafe extern "C" fn init_module() -> *mut ffi::PyObject {
    // SAFETY: called by the import system with the GIL held, before any other use.
    unsafe { crate::native::init_module_def(&MODULE_DEF, &FUNCTIONS, &SLOTS) }
}
