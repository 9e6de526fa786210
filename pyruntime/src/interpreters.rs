//! Named Python interpreters and the one way into them.
//!
//! Interpreters are created lazily per process, keyed by name, and never destroyed, as in
//! mod_python; `main_interpreter` is the main one. Entering an interpreter
//! ([`Interpreter::enter`]) is the only place a [`Py`] token is made:
//! * the main interpreter uses the simplified GIL API (`PyGILState_Ensure`), so C extensions
//!   that rely on it keep working there;
//! * a named sub-interpreter uses one thread state per (interpreter, OS thread), created once
//!   and reused, never shared between threads;
//! * entering while already attached (a nested call, e.g. a destructor) swaps thread states
//!   and swaps back.
//!
//! [`detach`] releases the GIL around work that can block inside Apache.
//!
//! Locks: the registry mutex is only held for short lookups, never while waiting for the
//! GIL; the creation mutex is only waited for with the GIL released.

use crate::error::RuntimeError;
use crate::py::{Obj, Py};
use pyo3_ffi as ffi;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// The name of the main interpreter.
pub const MAIN_INTERPRETER: &str = "main_interpreter";

/// A named interpreter of this process.
pub struct Interpreter {
    name: String,
    index: usize,
    state: *mut ffi::PyInterpreterState,
    /// `_apache` as imported in this interpreter (a strong reference, never released).
    apache_module: AtomicPtr<ffi::PyObject>,
    /// `mod_python.apache` of this interpreter (a strong reference, never released).
    apache_py: AtomicPtr<ffi::PyObject>,
}

// SAFETY: the interpreter state pointer is only used with the GIL held; the object pointers
// are only dereferenced while attached to this very interpreter.
unsafe impl Send for Interpreter {}
// SAFETY: as above; all mutation goes through atomics.
unsafe impl Sync for Interpreter {}

#[derive(Default)]
struct Registry {
    by_name: HashMap<String, Arc<Interpreter>>,
    by_index: Vec<Arc<Interpreter>>,
}

fn registry() -> &'static Mutex<Registry> {
    static REGISTRY: OnceLock<Mutex<Registry>> = OnceLock::new();
    REGISTRY.get_or_init(Default::default)
}

static CREATION: Mutex<()> = Mutex::new(());

thread_local! {
    /// This thread's state for each sub-interpreter, by interpreter index.
    static THREAD_STATES: RefCell<Vec<*mut ffi::PyThreadState>> = const { RefCell::new(Vec::new()) };
    /// The interpreter this thread is attached to through us, if any.
    static ATTACHED: Cell<Option<usize>> = const { Cell::new(None) };
}

fn lookup(name: &str) -> Option<Arc<Interpreter>> {
    registry()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .by_name
        .get(name)
        .cloned()
}

fn by_index(index: usize) -> Option<Arc<Interpreter>> {
    registry()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .by_index
        .get(index)
        .cloned()
}

/// The interpreter named `name`, created and set up on first use.
///
/// # Errors
/// When Python is not initialised, the interpreter cannot be created, or `mod_python.apache`
/// fails to import in it.
pub fn acquire(name: &str) -> Result<Arc<Interpreter>, RuntimeError> {
    if let Some(i) = lookup(name) {
        return Ok(i);
    }
    if !crate::init::is_initialized() {
        return Err(RuntimeError::NotInitialized);
    }
    with_main_attached(|py| {
        let _creating = detach(py, || CREATION.lock().unwrap_or_else(|p| p.into_inner()));
        if let Some(i) = lookup(name) {
            return Ok(i);
        }
        create(py, name)
    })
}

/// Runs `f` attached to the main interpreter (creating this thread's state if needed).
fn with_main_attached<R>(f: impl for<'py> FnOnce(Py<'py>) -> R) -> R {
    match ATTACHED.get() {
        None => {
            // PyGILState_Release below undoes exactly this.
            // SAFETY: not attached through us; PyGILState_Ensure attaches to the main interpreter.
            let gil = unsafe { ffi::PyGILState_Ensure() };
            finally(
                // SAFETY: attached now until PyGILState_Release, which `finally` always runs.
                || f(unsafe { Py::assume() }),
                // SAFETY: releases exactly the PyGILState_Ensure above.
                || unsafe { ffi::PyGILState_Release(gil) },
            )
        }
        Some(_) => {
            // SAFETY: we hold the GIL; swap to this thread's main-interpreter state and back.
            unsafe {
                let main = main_thread_state();
                let previous = ffi::PyThreadState_Swap(main);
                let saved = ATTACHED.replace(None);
                finally(
                    || f(Py::assume()),
                    || {
                        ATTACHED.set(saved);
                        ffi::PyThreadState_Swap(previous);
                    },
                )
            }
        }
    }
}

/// This thread's thread state for the main interpreter (the GIL-state one).
///
/// # Safety
/// The GIL is held.
unsafe fn main_thread_state() -> *mut ffi::PyThreadState {
    // SAFETY: the GIL is held; a new state binds itself to this thread's GIL-state slot.
    unsafe {
        let ts = ffi::PyGILState_GetThisThreadState();
        if ts.is_null() {
            ffi::PyThreadState_New(ffi::PyInterpreterState_Main())
        } else {
            ts
        }
    }
}

fn create(py: Py<'_>, name: &str) -> Result<Arc<Interpreter>, RuntimeError> {
    let index = registry()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .by_index
        .len();
    let interp = if name == MAIN_INTERPRETER {
        // SAFETY: the GIL is held; the main interpreter exists for the life of the process.
        let state = unsafe { ffi::PyInterpreterState_Main() };
        let interp = Interpreter::new(name, index, state);
        interp.setup(py)?;
        interp
    } else {
        // Py_NewInterpreter attaches this thread to the new interpreter; we swap back afterwards.
        // SAFETY: the GIL is held (main interpreter).
        unsafe {
            let main = ffi::PyThreadState_Get();
            let ts = ffi::Py_NewInterpreter();
            if ts.is_null() {
                ffi::PyThreadState_Swap(main);
                return Err(RuntimeError::InterpreterCreation(name.to_string()));
            }
            let interp = Interpreter::new(name, index, ffi::PyThreadState_GetInterpreter(ts));
            set_thread_state(index, ts);
            let saved = ATTACHED.replace(Some(index));
            let result = interp.setup(Py::assume());
            ATTACHED.set(saved);
            ffi::PyThreadState_Swap(main);
            result?;
            interp
        }
    };
    let interp = Arc::new(interp);
    let mut reg = registry().lock().unwrap_or_else(|p| p.into_inner());
    reg.by_name.insert(name.to_string(), interp.clone());
    reg.by_index.push(interp.clone());
    Ok(interp)
}

fn set_thread_state(index: usize, ts: *mut ffi::PyThreadState) {
    THREAD_STATES.with_borrow_mut(|v| {
        if v.len() <= index {
            v.resize(index + 1, std::ptr::null_mut());
        }
        v[index] = ts;
    });
}

fn thread_state(index: usize) -> Option<*mut ffi::PyThreadState> {
    THREAD_STATES.with_borrow(|v| v.get(index).copied().filter(|p| !p.is_null()))
}

impl Interpreter {
    fn new(name: &str, index: usize, state: *mut ffi::PyInterpreterState) -> Interpreter {
        Interpreter {
            name: name.to_string(),
            index,
            state,
            apache_module: AtomicPtr::new(std::ptr::null_mut()),
            apache_py: AtomicPtr::new(std::ptr::null_mut()),
        }
    }

    /// The interpreter's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn is_main(&self) -> bool {
        self.name == MAIN_INTERPRETER
    }

    /// Imports what every interpreter needs: our embedded `mod_python` package, `_apache` and
    /// `mod_python.apache`; sets `sys.argv` as mod_python does.
    fn setup(&self, py: Py<'_>) -> Result<(), RuntimeError> {
        let fail = |e: crate::py::PyErr<'_>| RuntimeError::Setup {
            name: self.name.clone(),
            message: e.traceback_lines().join("\n"),
        };
        crate::embedded::install(py).map_err(fail)?;
        let sys = py.import("sys").map_err(fail)?;
        let argv = py
            .list(vec![py.str("mod_python").map_err(fail)?])
            .map_err(fail)?;
        sys.setattr("argv", &argv).map_err(fail)?;
        let native = py.import("_apache").map_err(fail)?;
        native
            .setattr("interpreter", &py.str(&self.name).map_err(fail)?)
            .map_err(fail)?;
        let apache = py.import("mod_python.apache").map_err(fail)?;
        apache
            .setattr("interpreter", &py.str(&self.name).map_err(fail)?)
            .map_err(fail)?;
        self.apache_module
            .store(native.into_ptr(), Ordering::Release);
        self.apache_py.store(apache.into_ptr(), Ordering::Release);
        Ok(())
    }

    /// `_apache` of this interpreter.
    pub(crate) fn apache_module<'py>(&self, py: Py<'py>) -> Obj<'py> {
        // We are attached to this interpreter (the caller holds its Py token).
        // SAFETY: set once in setup, before the interpreter is published, and never released.
        unsafe { Obj::from_borrowed(py, self.apache_module.load(Ordering::Acquire)) }
    }

    /// `mod_python.apache` of this interpreter.
    pub(crate) fn apache_py<'py>(&self, py: Py<'py>) -> Obj<'py> {
        // SAFETY: as for apache_module.
        unsafe { Obj::from_borrowed(py, self.apache_py.load(Ordering::Acquire)) }
    }

    /// Runs `f` attached to this interpreter, then restores whatever the thread had before.
    pub fn enter<R>(&self, f: impl for<'py> FnOnce(Py<'py>) -> R) -> R {
        match ATTACHED.get() {
            Some(current) if current == self.index => {
                // SAFETY: already attached to this interpreter on this thread.
                f(unsafe { Py::assume() })
            }
            Some(_) => {
                // We swap back before returning.
                // SAFETY: we hold the GIL (attached elsewhere), so swapping thread states is sound.
                unsafe {
                    let ts = self.thread_state_for_swap();
                    let previous = ffi::PyThreadState_Swap(ts);
                    let saved = ATTACHED.replace(Some(self.index));
                    finally(
                        || f(Py::assume()),
                        || {
                            ATTACHED.set(saved);
                            ffi::PyThreadState_Swap(previous);
                        },
                    )
                }
            }
            None if self.is_main() => {
                // SAFETY: not attached; the simplified GIL API attaches to the main interpreter.
                let gil = unsafe { ffi::PyGILState_Ensure() };
                ATTACHED.set(Some(self.index));
                finally(
                    // SAFETY: attached until PyGILState_Release.
                    || f(unsafe { Py::assume() }),
                    || {
                        ATTACHED.set(None);
                        // SAFETY: pairs with the Ensure above.
                        unsafe { ffi::PyGILState_Release(gil) };
                    },
                )
            }
            None => {
                let ts = match thread_state(self.index) {
                    Some(ts) => ts,
                    None => {
                        // SAFETY: PyThreadState_New only needs a live interpreter state.
                        let ts = unsafe { ffi::PyThreadState_New(self.state) };
                        set_thread_state(self.index, ts);
                        ts
                    }
                };
                // SAFETY: ts belongs to this thread and this interpreter and is not attached.
                unsafe { ffi::PyEval_RestoreThread(ts) };
                ATTACHED.set(Some(self.index));
                finally(
                    // SAFETY: attached until PyEval_SaveThread.
                    || f(unsafe { Py::assume() }),
                    || {
                        ATTACHED.set(None);
                        // SAFETY: releases the GIL we took with PyEval_RestoreThread.
                        unsafe { ffi::PyEval_SaveThread() };
                    },
                )
            }
        }
    }

    /// A thread state of this interpreter for this thread, for a swap with the GIL held.
    ///
    /// # Safety
    /// The GIL is held.
    unsafe fn thread_state_for_swap(&self) -> *mut ffi::PyThreadState {
        if self.is_main() {
            // SAFETY: the GIL is held (caller's contract).
            return unsafe { main_thread_state() };
        }
        thread_state(self.index).unwrap_or_else(|| {
            // SAFETY: the GIL is held; a new state for this thread and interpreter.
            let ts = unsafe { ffi::PyThreadState_New(self.state) };
            set_thread_state(self.index, ts);
            ts
        })
    }
}

/// The interpreter this thread is attached to, if attached through [`Interpreter::enter`].
pub fn current(_py: Py<'_>) -> Option<Arc<Interpreter>> {
    ATTACHED.get().and_then(by_index)
}

/// Releases the GIL around `f` (work that may block inside Apache) and re-attaches after.
pub fn detach<R>(_py: Py<'_>, f: impl FnOnce() -> R) -> R {
    let saved = ATTACHED.replace(None);
    // RestoreThread below takes the same thread state back.
    // SAFETY: `_py` proves we hold the GIL; SaveThread releases it.
    let ts = unsafe { ffi::PyEval_SaveThread() };
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    // SAFETY: pairs with the SaveThread above, also when `f` panicked.
    unsafe { ffi::PyEval_RestoreThread(ts) };
    ATTACHED.set(saved);
    r.unwrap_or_else(|p| std::panic::resume_unwind(p))
}

/// Runs `f`, then `restore`, also when `f` panics (the panic continues afterwards).
fn finally<R>(f: impl FnOnce() -> R, restore: impl FnOnce()) -> R {
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    restore();
    r.unwrap_or_else(|p| std::panic::resume_unwind(p))
}

/// Names of the interpreters created so far in this process.
pub fn names() -> Vec<String> {
    let reg = registry().lock().unwrap_or_else(|p| p.into_inner());
    reg.by_index.iter().map(|i| i.name.clone()).collect()
}
