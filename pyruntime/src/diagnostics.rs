//! `_apache_diagnostics`, a built-in module apart from `_apache` for measuring the module
//! itself (tests and the figures in docs/design.md); nothing an application needs.

use crate::native::{native_methods, Static};
use crate::py::Obj;
use pyo3_ffi as ffi;

native_methods! {
    FUNCTIONS, mod functions, |py, module| Ok::<_, crate::py::PyErr<'_>>(module);

    interpreter_switch_cost(_, a = ["name", "n"] / 1)
        "interpreter_switch_cost(name, n): seconds per switch (nested, fresh)."
    {
        // Measures what entering another interpreter costs: while attached (a thread-state
        // swap), and from a detached thread (taking the GIL with this thread's state for it).
        let name = a.get(0).map(Obj::str_lossy).unwrap_or_default();
        let n = u32::try_from(a.int_or(1, 10_000)?.max(1)).unwrap_or(10_000);
        let target = crate::interpreters::acquire(&name)
            .map_err(|e| crate::py::PyErr::runtime_error(py, &e.to_string()))?;
        let start = std::time::Instant::now();
        for _ in 0..n {
            target.enter(|_| ());
        }
        let nested = start.elapsed().as_secs_f64() / f64::from(n);
        let fresh = crate::interpreters::detach(py, (), |()| {
            let start = std::time::Instant::now();
            for _ in 0..n {
                target.enter(|_| ());
            }
            start.elapsed().as_secs_f64() / f64::from(n)
        });
        py.tuple(vec![py.float(nested)?, py.float(fresh)?])
    }
}

static SLOTS: Static<[ffi::PyModuleDef_Slot; 1]> = Static::new([ffi::PyModuleDef_Slot {
    slot: 0,
    value: std::ptr::null_mut(),
}]);

static MODULE_DEF: Static<ffi::PyModuleDef> = Static::new(ffi::PyModuleDef {
    m_base: ffi::PyModuleDef_HEAD_INIT,
    m_name: c"_apache_diagnostics".as_ptr(),
    m_doc: c"Measurements of mod_python itself.".as_ptr(),
    m_size: 0,
    m_methods: std::ptr::null_mut(),
    m_slots: std::ptr::null_mut(),
    m_traverse: None,
    m_clear: None,
    m_free: None,
});

/// The `PyInit__apache_diagnostics` function registered with `PyImport_AppendInittab`.
pub(crate) unsafe extern "C" fn init_module() -> *mut ffi::PyObject {
    // SAFETY: called by the import system with the GIL held, before any other use.
    unsafe { crate::native::init_module_def(&MODULE_DEF, &FUNCTIONS, &SLOTS) }
}
