//! Named Python interpreters and the one way into them.
//!
//! Interpreters are created lazily per process, keyed by name, and never destroyed, as in
//! mod_python; `main_interpreter` is the main one. Entering an interpreter
//! ([`Interpreter::enter`]) is the only place a [`Python`] token is made:
//! * every OS thread has one thread state per interpreter it enters, created once and kept
//!   until the thread ends (never shared between threads);
//! * its main-interpreter thread state is made first, before any sub-interpreter state, so
//!   it is the thread's PyGILState state: C extensions that call back through
//!   `PyGILState_Ensure` (sqlite3, ctypes) run in the main interpreter on every thread, never
//!   in whichever sub-interpreter first used the thread;
//! * entering while already attached (a nested call, a destructor, or a thread Python
//!   created, which holds the GIL without us) swaps thread states and swaps back.
//!
//! [`detach`] releases the GIL around work that can block inside Apache.
//!
//! Locks: the registry mutex is only held for short lookups, never while waiting for the
//! GIL; the creation mutex is only waited for with the GIL released.

use crate::error::RuntimeError;
use crate::py::{Obj, Python};
use pyo3_ffi as ffi;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

pub use directives::MAIN_INTERPRETER;

/// A named interpreter of this process.
pub struct Interpreter {
    name: String,
    state: *mut ffi::PyInterpreterState,
    /// `_apache` as imported in this interpreter (a strong reference, never released).
    native_module: AtomicPtr<ffi::PyObject>,
    /// `mod_python.apache` of this interpreter (a strong reference, never released).
    apache_package: AtomicPtr<ffi::PyObject>,
    /// Its entry on this child's status board, once looked up.
    status_entry: OnceLock<usize>,
}

// SAFETY: the interpreter state pointer is only used with the GIL held; the object pointers
// are only dereferenced while attached to this very interpreter.
unsafe impl Send for Interpreter {}
// SAFETY: as above; all mutation goes through atomics.
unsafe impl Sync for Interpreter {}

#[derive(Default)]
struct Registry {
    by_name: HashMap<String, Arc<Interpreter>>,
    /// In creation order.
    all: Vec<Arc<Interpreter>>,
}

fn registry() -> &'static Mutex<Registry> {
    static REGISTRY: OnceLock<Mutex<Registry>> = OnceLock::new();
    REGISTRY.get_or_init(Default::default)
}

static CREATION: Mutex<()> = Mutex::new(());

/// Threads inside [`Interpreter::enter`] (attached, or detached for a blocking call).
static BUSY: AtomicUsize = AtomicUsize::new(0);

/// Thread states of threads that have ended, waiting to be deleted: (interpreter state,
/// thread state). An ending thread only hands its states over here; the next thread that
/// enters an interpreter deletes them, holding the GIL then anyway, so a thread's end never
/// waits for the GIL (mod_http2 ends idle workers from its own code, where waiting could meet
/// a thread that holds the GIL and waits for that worker).
static RETIRED: Mutex<Vec<(usize, usize)>> = Mutex::new(Vec::new());
/// How many states [`RETIRED`] holds (read without the lock on every entry).
static RETIRED_COUNT: AtomicUsize = AtomicUsize::new(0);

/// Deletes every retired thread state, each while attached to its own interpreter (this
/// thread's state for it swapped in, then the one for `current` back).
///
/// # Safety
/// The GIL is held, attached to `current`.
unsafe fn delete_retired(current: *mut ffi::PyInterpreterState) {
    if RETIRED_COUNT.load(Ordering::Relaxed) == 0 {
        return;
    }
    let retired = {
        let mut retired = RETIRED.lock().unwrap_or_else(|p| p.into_inner());
        RETIRED_COUNT.store(0, Ordering::Relaxed);
        std::mem::take(&mut *retired)
    };
    for (interp, ts) in retired {
        let interp = interp as *mut ffi::PyInterpreterState;
        let ts = ts as *mut ffi::PyThreadState;
        // A state of an ended thread is current nowhere; clearing it may run Python code
        // of its interpreter, so that interpreter is entered first.
        // SAFETY: the GIL is held (contract); each state is cleared and deleted once.
        unsafe {
            let previous =
                (interp != current).then(|| ffi::PyThreadState_Swap(thread_state(interp)));
            ffi::PyThreadState_Clear(ts);
            ffi::PyThreadState_Delete(ts);
            if let Some(previous) = previous {
                ffi::PyThreadState_Swap(previous);
            }
        }
    }
}

/// One thread's Python thread states, by interpreter; the ones we created are retired when
/// the thread ends (mod_http2 starts and stops worker threads) and deleted by the next
/// thread to enter their interpreter.
struct ThreadStates {
    /// (interpreter state, thread state, created by us).
    states: RefCell<Vec<(usize, usize, bool)>>,
}

impl ThreadStates {
    fn find(&self, interp: *mut ffi::PyInterpreterState) -> Option<*mut ffi::PyThreadState> {
        let states = self.states.borrow();
        let found = states.iter().find(|(i, _, _)| *i == interp as usize);
        found.map(|(_, ts, _)| *ts as *mut ffi::PyThreadState)
    }

    fn insert(
        &self,
        interp: *mut ffi::PyInterpreterState,
        ts: *mut ffi::PyThreadState,
        ours: bool,
    ) {
        let mut states = self.states.borrow_mut();
        states.retain(|(i, _, _)| *i != interp as usize);
        states.push((interp as usize, ts as usize, ours));
    }
}

impl Drop for ThreadStates {
    fn drop(&mut self) {
        let states = std::mem::take(self.states.get_mut());
        // The process's main thread ends with exit(), with the process: nothing to hand over.
        // SAFETY: getpid and gettid have no preconditions.
        if unsafe { libc::getpid() == libc::gettid() } {
            return;
        }
        let ours = states.into_iter().filter(|(_, _, ours)| *ours);
        let mut retired = RETIRED.lock().unwrap_or_else(|p| p.into_inner());
        retired.extend(ours.map(|(interp, ts, _)| (interp, ts)));
        RETIRED_COUNT.store(retired.len(), Ordering::Relaxed);
    }
}

thread_local! {
    static THREAD_STATES: ThreadStates = const { ThreadStates { states: RefCell::new(Vec::new()) } };
    /// The interpreter state this thread is attached to through us, if any.
    static ATTACHED: Cell<usize> = const { Cell::new(0) };
}

fn lookup(name: &str) -> Option<Arc<Interpreter>> {
    // The interpreter this thread used last: most requests of a thread run in the same one,
    // and interpreters are never removed, so a hit needs no lock.
    thread_local! {
        static LAST: RefCell<Option<Arc<Interpreter>>> = const { RefCell::new(None) };
    }
    let hit = LAST.with(|last| last.borrow().as_ref().filter(|i| i.name() == name).cloned());
    if hit.is_some() {
        return hit;
    }
    let found = lookup_shared(name);
    if let Some(i) = &found {
        LAST.with(|last| *last.borrow_mut() = Some(i.clone()));
    }
    found
}

fn lookup_shared(name: &str) -> Option<Arc<Interpreter>> {
    registry()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .by_name
        .get(name)
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
    // SAFETY: the main interpreter exists for the life of the process once initialised.
    let main = unsafe { ffi::PyInterpreterState_Main() };
    enter_state(main, |py| {
        let _creating = detach(py, (), |()| {
            CREATION.lock().unwrap_or_else(|p| p.into_inner())
        });
        if let Some(i) = lookup(name) {
            return Ok(i);
        }
        create(py, name)
    })
}

/// This thread's main-interpreter thread state: the thread's PyGILState state, made (and
/// bound as such) before any sub-interpreter state of the thread.
fn main_thread_state() -> *mut ffi::PyThreadState {
    // SAFETY: the main interpreter exists for the life of the process once initialised.
    let main = unsafe { ffi::PyInterpreterState_Main() };
    THREAD_STATES.with(|states| {
        if let Some(ts) = states.find(main) {
            return ts;
        }
        // The thread that initialised Python (and its forked copies) already has one.
        // SAFETY: reads this thread's PyGILState slot; no GIL needed.
        let bound = unsafe { ffi::PyGILState_GetThisThreadState() };
        // SAFETY: a non-NULL bound state is alive; reading its interpreter needs no GIL.
        if !bound.is_null() && unsafe { ffi::PyThreadState_GetInterpreter(bound) } == main {
            states.insert(main, bound, false);
            return bound;
        }
        // PyThreadState_New takes the runtime's own lock, not the GIL, and binds the new
        // state to the thread's empty PyGILState slot.
        // SAFETY: main is a live interpreter.
        let ts = unsafe { ffi::PyThreadState_New(main) };
        states.insert(main, ts, true);
        ts
    })
}

/// This thread's thread state for `interp`, made on first use (after the main one).
fn thread_state(interp: *mut ffi::PyInterpreterState) -> *mut ffi::PyThreadState {
    if let Some(ts) = THREAD_STATES.with(|states| states.find(interp)) {
        return ts;
    }
    let main = main_thread_state();
    // SAFETY: reading the interpreter of a live thread state needs no GIL.
    if interp == unsafe { ffi::PyThreadState_GetInterpreter(main) } {
        return main;
    }
    // SAFETY: interp is a live interpreter; no GIL needed (as for the main state).
    let ts = unsafe { ffi::PyThreadState_New(interp) };
    THREAD_STATES.with(|states| states.insert(interp, ts, true));
    ts
}

/// Runs `f` attached to the interpreter `interp` on this thread, then restores what the
/// thread had before.
fn enter_state<R>(
    interp: *mut ffi::PyInterpreterState,
    f: impl for<'py> FnOnce(Python<'py>) -> R,
) -> R {
    let attached = ATTACHED.get();
    if attached == interp as usize {
        // SAFETY: already attached to this interpreter on this thread.
        return f(unsafe { Python::assume() });
    }
    let ts = thread_state(interp);
    // A thread attached through us, or one Python made (threading.Thread) that holds the
    // GIL with a state of its own: swap states, and swap back afterwards.
    if attached != 0 || holds_gil_on_its_own() {
        // SAFETY: this thread holds the GIL (it has a current thread state).
        let previous = unsafe { ffi::PyThreadState_Swap(ts) };
        ATTACHED.set(interp as usize);
        return finally(
            // SAFETY: attached to interp until the swap back.
            || f(unsafe { Python::assume() }),
            || {
                ATTACHED.set(attached);
                // SAFETY: restores the state this thread had, still holding the GIL.
                unsafe { ffi::PyThreadState_Swap(previous) };
            },
        );
    }
    BUSY.fetch_add(1, Ordering::AcqRel);
    // SAFETY: ts belongs to this thread and interp and is not attached; we hold no GIL.
    unsafe { ffi::PyEval_RestoreThread(ts) };
    debug_assert_eq!(
        // SAFETY: attached now.
        unsafe { ffi::PyThreadState_GetInterpreter(ffi::PyThreadState_Get()) },
        interp,
        "entered the wrong interpreter"
    );
    ATTACHED.set(interp as usize);
    // SAFETY: attached to interp, holding the GIL.
    unsafe { delete_retired(interp) };
    finally(
        // SAFETY: attached until PyEval_SaveThread.
        || f(unsafe { Python::assume() }),
        || {
            ATTACHED.set(0);
            // SAFETY: releases the GIL taken with PyEval_RestoreThread above.
            unsafe { ffi::PyEval_SaveThread() };
            BUSY.fetch_sub(1, Ordering::AcqRel);
        },
    )
}

/// True when this thread holds the GIL through a thread state it did not get from us: a
/// thread Python started (`threading.Thread`), whose state is its PyGILState state.
fn holds_gil_on_its_own() -> bool {
    // On Python 3.11 this is the state of whichever thread holds the GIL (3.12 made it
    // per-thread), so it is compared with this thread's own.
    // SAFETY: reading the current thread state without requiring one.
    let current = unsafe { ffi::compat::PyThreadState_GetUnchecked() };
    // SAFETY: reads this thread's PyGILState slot; no GIL needed.
    !current.is_null() && current == unsafe { ffi::PyGILState_GetThisThreadState() }
}

/// True while any thread of the process is inside an interpreter (attached, or detached
/// around a blocking call).
pub fn busy() -> bool {
    BUSY.load(Ordering::Acquire) != 0
}

fn create(py: Python<'_>, name: &str) -> Result<Arc<Interpreter>, RuntimeError> {
    let interp = if name == MAIN_INTERPRETER {
        // SAFETY: the GIL is held; the main interpreter exists for the life of the process.
        let state = unsafe { ffi::PyInterpreterState_Main() };
        let interp = Interpreter::new(name, state);
        interp.setup(py)?;
        interp
    } else {
        // Py_NewInterpreter attaches this thread to the new interpreter; we swap back
        // afterwards. Its thread state is kept as this thread's state for it, keyed by the
        // interpreter, so a failed setup leaves nothing another interpreter could pick up.
        // It is never deleted, not even when this thread ends: on Python 3.11, once every
        // state of an interpreter is deleted, the next PyThreadState_New aborts ("thread
        // state already initialized", it reuses the interpreter's first state).
        // SAFETY: the GIL is held (main interpreter).
        unsafe {
            let main = ffi::PyThreadState_Get();
            let ts = ffi::Py_NewInterpreter();
            if ts.is_null() {
                ffi::PyThreadState_Swap(main);
                return Err(RuntimeError::InterpreterCreation(name.to_string()));
            }
            let state = ffi::PyThreadState_GetInterpreter(ts);
            THREAD_STATES.with(|states| states.insert(state, ts, false));
            let interp = Interpreter::new(name, state);
            let saved = ATTACHED.replace(state as usize);
            let result = interp.setup(Python::assume());
            ATTACHED.set(saved);
            ffi::PyThreadState_Swap(main);
            result?;
            interp
        }
    };
    let interp = Arc::new(interp);
    let mut reg = registry().lock().unwrap_or_else(|p| p.into_inner());
    reg.by_name.insert(name.to_string(), interp.clone());
    reg.all.push(interp.clone());
    Ok(interp)
}

impl Interpreter {
    fn new(name: &str, state: *mut ffi::PyInterpreterState) -> Interpreter {
        Interpreter {
            name: name.to_string(),
            state,
            native_module: AtomicPtr::new(std::ptr::null_mut()),
            apache_package: AtomicPtr::new(std::ptr::null_mut()),
            status_entry: OnceLock::new(),
        }
    }

    /// The interpreter's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its entry on this child's status board.
    pub(crate) fn status_entry(&self, slot: &status::ChildSlot<'_>) -> usize {
        *self
            .status_entry
            .get_or_init(|| slot.interpreter(self.name.as_bytes()))
    }

    /// Imports what every interpreter needs: our embedded `mod_python` package, `_apache` and
    /// `mod_python.apache`; sets `sys.argv` as mod_python does.
    fn setup(&self, py: Python<'_>) -> Result<(), RuntimeError> {
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
        let name = py.str(&self.name).map_err(fail)?;
        native.setattr("interpreter", &name).map_err(fail)?;
        // `req.interpreter`: each interpreter has its own request type, so the name is a
        // class attribute of it, not one more entry in every request's __dict__.
        native
            .getattr("mp_request")
            .and_then(|t| t.setattr("interpreter", &name))
            .map_err(fail)?;
        let apache = py.import("mod_python.apache").map_err(fail)?;
        apache
            .setattr("interpreter", &py.str(&self.name).map_err(fail)?)
            .map_err(fail)?;
        self.native_module
            .store(native.into_ptr(), Ordering::Release);
        self.apache_package
            .store(apache.into_ptr(), Ordering::Release);
        Ok(())
    }

    /// `_apache` of this interpreter.
    pub(crate) fn native_module<'py>(&self, py: Python<'py>) -> Obj<'py> {
        // We are attached to this interpreter (the caller holds its Python token).
        // SAFETY: set once in setup, before the interpreter is published, and never released.
        unsafe { Obj::from_borrowed(py, self.native_module.load(Ordering::Acquire)) }
    }

    /// `mod_python.apache` of this interpreter.
    pub(crate) fn apache_package<'py>(&self, py: Python<'py>) -> Obj<'py> {
        // SAFETY: as for native_module.
        unsafe { Obj::from_borrowed(py, self.apache_package.load(Ordering::Acquire)) }
    }

    /// Runs `f` attached to this interpreter, then restores whatever the thread had before.
    pub fn enter<R>(&self, f: impl for<'py> FnOnce(Python<'py>) -> R) -> R {
        enter_state(self.state, f)
    }
}

/// The interpreter this thread is attached to, if attached through [`Interpreter::enter`].
pub fn current(_py: Python<'_>) -> Option<Arc<Interpreter>> {
    let attached = ATTACHED.get();
    let reg = registry().lock().unwrap_or_else(|p| p.into_inner());
    let found = reg.all.iter().find(|i| i.state as usize == attached);
    found.cloned()
}

/// What a detached section ([`detach`]) may be handed besides what its closure captures:
/// views of Apache's objects, which are not `Send` (they stay on this thread, as the section
/// does) and hold no Python object.
///
/// # Safety
/// An implementor holds no Python object and no [`Python`] token.
pub unsafe trait Ungil {}

// SAFETY: none of these holds anything of Python's.
unsafe impl Ungil for () {}
// SAFETY: as above.
unsafe impl Ungil for &bindings::Request {}
// SAFETY: as above.
unsafe impl Ungil for Option<&bindings::Request> {}
// SAFETY: as above.
unsafe impl Ungil for &bindings::Filter {}
// SAFETY: as above.
unsafe impl Ungil for &bindings::Connection {}
// SAFETY: as above.
unsafe impl Ungil for Option<&bindings::Server> {}
// SAFETY: as above.
unsafe impl Ungil for &bindings::Server {}
// SAFETY: as above.
unsafe impl Ungil for &mut bindings::Brigade {}
// SAFETY: a pair of values that hold nothing of Python's holds nothing of Python's.
unsafe impl<A: Ungil, B: Ungil> Ungil for (A, B) {}

/// Releases the GIL around `f` (work that may block inside Apache, given `args`) and
/// re-attaches after. `f` can reach no Python object: what it captures must be `Send`,
/// which neither [`Python`] nor a Python object is, and `args` are [`Ungil`].
pub fn detach<A: Ungil, R>(_py: Python<'_>, args: A, f: impl FnOnce(A) -> R + Send) -> R {
    let saved = ATTACHED.replace(0);
    // RestoreThread below takes the same thread state back.
    // SAFETY: `_py` proves we hold the GIL; SaveThread releases it.
    let ts = unsafe { ffi::PyEval_SaveThread() };
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(args)));
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

/// The interpreters created so far in this process; `None` when the registry is locked
/// (a caller that may interrupt a thread, like a signal handler, must not wait for it).
pub fn all_if_free() -> Option<Vec<Arc<Interpreter>>> {
    let reg = registry().try_lock().ok()?;
    Some(reg.all.clone())
}
