//! The embedded CPython runtime of mod_python: starting Python ([`init`]), named
//! interpreters ([`interpreters`]), the `_apache` native objects, and handler dispatch
//! ([`dispatch`]), plus our own `mod_python` Python package compiled in ([`embedded`]).
//!
//! Only [`interpreters`] attaches threads to Python; everything that touches a Python object
//! takes the [`py::Py`] token it hands out. No Python object lives in a Rust `static`.

mod apache_module;
pub mod dispatch;
pub mod embedded;
pub mod error;
pub mod init;
pub mod interpreters;
mod native;
pub mod py;
mod request;
mod table;

pub use dispatch::{run_phase, PhaseCall};
pub use error::RuntimeError;

use bindings::Request;
use directives::DirConfig;
use std::sync::OnceLock;

/// Finds the merged mod_python configuration of a request (the module provides it).
pub type ConfigLookup = for<'a> fn(&'a Request) -> Option<&'a DirConfig>;

static CONFIG_LOOKUP: OnceLock<ConfigLookup> = OnceLock::new();

/// Tells the runtime how to find a request's configuration (for `req.get_config()`).
pub fn set_config_lookup(f: ConfigLookup) {
    let _ = CONFIG_LOOKUP.set(f);
}

pub(crate) fn config_lookup(r: &Request) -> Option<&DirConfig> {
    CONFIG_LOOKUP.get().and_then(|f| f(r))
}
