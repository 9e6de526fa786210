//! Errors of the Python runtime, as values: the module turns each into a status and one log
//! line naming the interpreter.

/// What can go wrong outside of Python code itself.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RuntimeError {
    /// Python could not be initialised.
    #[error("MPY0010: cannot initialise Python {version} (home {home}): {message}")]
    Init {
        /// The Python version the module was built for.
        version: &'static str,
        /// The home directory tried.
        home: String,
        /// CPython's own message.
        message: String,
    },
    /// A request arrived but Python was never initialised in this process.
    #[error("MPY0011: Python is not initialised in this process")]
    NotInitialized,
    /// `Py_NewInterpreter` failed.
    #[error("MPY0012: cannot create Python interpreter '{0}'")]
    InterpreterCreation(String),
    /// Setting up an interpreter (importing mod_python.apache) failed.
    #[error("MPY0013: interpreter '{name}' could not load mod_python: {message}")]
    Setup {
        /// The interpreter.
        name: String,
        /// The Python exception.
        message: String,
    },
}
