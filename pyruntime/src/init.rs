//! Starting CPython once per process, where mod_python does: in the parent's `post_config`
//! (not during the configuration-test pass), then `PyOS_AfterFork_Child` in every child.
//!
//! Python is configured with `PyConfig`: home and program name point at the Python the module
//! was built for, signal handlers stay Apache's, the user site directory is off, and `_apache`
//! is registered as a built-in module with multi-phase init so every interpreter builds its
//! own copy. Python is never finalised (mod_python's MODPYTHON-109: user threads may run).

use crate::error::RuntimeError;
use pyo3_ffi as ffi;
use std::ffi::{CStr, CString};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicPtr, Ordering};
use std::sync::Mutex;

/// The Python version the module was built against.
pub const PYTHON_VERSION: &str = env!("MP_PYTHON_VERSION");
/// That Python's prefix, used as `PyConfig.home`.
pub const PYTHON_HOME: &str = env!("MP_PYTHON_HOME");
/// That Python's executable, used as `PyConfig.program_name`.
pub const PYTHON_EXECUTABLE: &str = env!("MP_PYTHON_EXECUTABLE");

static INITIALIZED: AtomicBool = AtomicBool::new(false);
static INIT_LOCK: Mutex<()> = Mutex::new(());
/// The thread state the initialising thread released; the child re-attaches it after fork.
static INIT_TSTATE: AtomicPtr<ffi::PyThreadState> = AtomicPtr::new(std::ptr::null_mut());
/// The process that initialised Python (to tell a forked child from a one-process server).
static INIT_PID: AtomicI32 = AtomicI32::new(0);

/// True once Python runs in this process.
pub fn is_initialized() -> bool {
    INITIALIZED.load(Ordering::Acquire)
}

/// # Safety
/// `field` points to a string field of `*config`, an initialised PyConfig.
unsafe fn set_config_string(
    config: *mut ffi::PyConfig,
    field: *mut *mut libc::wchar_t,
    value: &str,
) -> Result<(), String> {
    let c = CString::new(value).map_err(|_| "NUL in path".to_string())?;
    // SAFETY: field points into `config`; PyConfig_SetBytesString decodes and copies value.
    let status = unsafe { ffi::PyConfig_SetBytesString(config, field as _, c.as_ptr()) };
    status_result(status)
}

fn status_result(status: ffi::PyStatus) -> Result<(), String> {
    // SAFETY: PyStatus_Exception only reads the struct; err_msg is a static C string or NULL.
    unsafe {
        if ffi::PyStatus_Exception(status) == 0 {
            return Ok(());
        }
        let msg = if status.err_msg.is_null() {
            "unknown error".to_string()
        } else {
            CStr::from_ptr(status.err_msg)
                .to_string_lossy()
                .into_owned()
        };
        Err(msg)
    }
}

/// Whether Python was started with `PythonOptimize On` (optimisation level 2, as `-OO`).
static OPTIMIZED: AtomicBool = AtomicBool::new(false);

/// True when the running Python was started optimised (`PythonOptimize On`); the level
/// cannot change until Apache is fully restarted.
pub fn running_optimized() -> bool {
    OPTIMIZED.load(Ordering::Acquire)
}

/// Initialises Python in this process if it is not yet running, leaving the GIL released;
/// `optimize` (`PythonOptimize On`) starts it at optimisation level 2, as mod_python does
/// (asserts and docstrings dropped). Idempotent (a graceful restart calls it again).
///
/// # Errors
/// [`RuntimeError::Init`] with CPython's message, e.g. when the standard library is missing.
pub fn initialize(optimize: bool) -> Result<(), RuntimeError> {
    let _guard = INIT_LOCK.lock().unwrap_or_else(|p| p.into_inner());
    if is_initialized() {
        return Ok(());
    }
    let home = std::env::var("PYTHONHOME").unwrap_or_else(|_| PYTHON_HOME.to_string());
    let fail = |message: String| RuntimeError::Init {
        version: PYTHON_VERSION,
        home: home.clone(),
        message,
    };
    // SAFETY: Python is not running yet; we own `config` until PyConfig_Clear.
    unsafe {
        if ffi::Py_IsInitialized() != 0 {
            // Someone else in the process (another embedding module) started Python.
            return Err(fail(
                "Python was already initialised by another module (mod_wsgi?)".into(),
            ));
        }
        if ffi::PyImport_AppendInittab(
            c"_apache".as_ptr(),
            Some(crate::apache_module::init_apache_module),
        ) != 0
        {
            return Err(fail("cannot register the _apache module".into()));
        }
        if ffi::PyImport_AppendInittab(
            c"_apache_diagnostics".as_ptr(),
            Some(crate::diagnostics::init_module),
        ) != 0
        {
            return Err(fail(
                "cannot register the _apache_diagnostics module".into(),
            ));
        }
        if ffi::PyImport_AppendInittab(c"_psp".as_ptr(), Some(crate::psp_module::init_module)) != 0
        {
            return Err(fail("cannot register the _psp module".into()));
        }
        let mut config = std::mem::MaybeUninit::<ffi::PyConfig>::zeroed();
        ffi::PyConfig_InitPythonConfig(config.as_mut_ptr());
        let config = config.as_mut_ptr();
        (*config).install_signal_handlers = 0;
        (*config).parse_argv = 0;
        (*config).user_site_directory = 0;
        if optimize {
            (*config).optimization_level = 2;
        }
        let result = (|| {
            set_config_string(config, std::ptr::addr_of_mut!((*config).home), &home)?;
            set_config_string(
                config,
                std::ptr::addr_of_mut!((*config).program_name),
                PYTHON_EXECUTABLE,
            )?;
            status_result(ffi::Py_InitializeFromConfig(config))
        })();
        ffi::PyConfig_Clear(config);
        result.map_err(fail)?;
        OPTIMIZED.store(optimize, Ordering::Release);
        INIT_PID.store(libc::getpid(), Ordering::Release);
        INIT_TSTATE.store(ffi::PyEval_SaveThread(), Ordering::Release);
    }
    INITIALIZED.store(true, Ordering::Release);
    Ok(())
}

/// In a new child process: lets Python know it was forked (`PyOS_AfterFork_Child`), with the
/// thread state the parent released. Does nothing in the process that initialised Python.
pub fn after_fork() {
    if !is_initialized() {
        return;
    }
    // SAFETY: getpid has no preconditions.
    if unsafe { libc::getpid() } == INIT_PID.load(Ordering::Acquire) {
        return;
    }
    let tstate = INIT_TSTATE.load(Ordering::Acquire);
    if tstate.is_null() {
        return;
    }
    // This is the forked copy of the parent's only Python thread: re-attach, reinitialise,
    // release again.
    // SAFETY: the parent released this thread state before forking.
    unsafe {
        ffi::PyEval_RestoreThread(tstate);
        ffi::PyOS_AfterFork_Child();
        ffi::PyEval_SaveThread();
    }
}

/// The Python version string of the running interpreter, e.g. `3.11.2`.
pub fn runtime_version() -> String {
    // SAFETY: Py_GetVersion returns a static string and may be called any time.
    let v = unsafe { CStr::from_ptr(ffi::Py_GetVersion()) };
    v.to_string_lossy()
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_string()
}
