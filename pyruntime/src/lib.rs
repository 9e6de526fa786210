//! The embedded CPython runtime of mod_python: starting Python ([`init`]), named
//! interpreters ([`interpreters`]), the `_apache` native objects, and handler dispatch
//! ([`dispatch`]), plus our own `mod_python` Python package compiled in ([`embedded`]).
//!
//! Only [`interpreters`] attaches threads to Python; everything that touches a Python object
//! takes the [`py::Python`] token it hands out. No Python object lives in a Rust `static`.

mod apache_module;
mod connection;
mod diagnostics;
pub mod dispatch;
pub mod embedded;
pub mod error;
mod filter;
mod finfo;
pub mod init;
pub mod interpreters;
pub mod metrics;
pub mod mod_filter;
mod multipart;
mod native;
pub mod process;
mod psp_module;
pub mod py;
mod request;
mod server;
mod table;
mod watchdog;

pub use connection::run_connection_handler;
pub use dispatch::{
    interpreter_for, note_every_phase_possible, note_phase_possible, phase_possible,
    run_child_cleanups, run_handlers, run_imports,
};
pub use error::RuntimeError;
pub use filter::{run_include_directive, run_input_filter, run_output_filter, DYNAMIC_FILTER};

use bindings::{Request, Server};
use directives::{DirConfig, ServerConfig};
use std::sync::OnceLock;

/// How the runtime finds the merged mod_python configuration (the module provides it).
#[derive(Clone, Copy)]
pub struct ConfigAccess {
    /// The per-directory configuration of a request.
    pub dir: for<'a> fn(&'a Request) -> Option<&'a DirConfig>,
    /// The configuration of a (virtual) server.
    pub server: for<'a> fn(&'a Server) -> Option<&'a ServerConfig>,
}

static CONFIG_ACCESS: OnceLock<ConfigAccess> = OnceLock::new();

/// Tells the runtime how to find configurations (for `get_config()` and `get_options()`).
pub fn set_config_access(access: ConfigAccess) {
    let _ = CONFIG_ACCESS.set(access);
}

/// The per-directory configuration of `r`. Also valid in the request's end-of-request work
/// (`PythonCleanupHandler`, `req.register_cleanup`), which runs while the request is whole.
pub(crate) fn dir_config(r: &Request) -> Option<&DirConfig> {
    CONFIG_ACCESS.get().and_then(|a| (a.dir)(r))
}

pub(crate) fn server_config(s: &Server) -> Option<&ServerConfig> {
    CONFIG_ACCESS.get().and_then(|a| (a.server)(s))
}
