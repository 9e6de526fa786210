//! The meaning of every `Python*` directive: parsing the words Apache hands over (nom),
//! merging configurations as mod_python 3.5 merges them, and resolving what applies to a
//! request. Pure Rust: no Apache, no Python; testable anywhere.
//!
//! Three steps, each a pure function over plain data:
//! * **parse** ([`handler`]): the words of a directive become typed values;
//! * **merge** ([`config`]): a parent and a more specific child become the effective config;
//! * **resolve** ([`config::DirConfig::handlers_for`], [`config::DirConfig::interpreter_name`]):
//!   the effective config plus request facts give a decision.

pub mod config;
pub mod context;
pub mod directive;
pub mod error;
pub mod handler;
pub mod httpdconf;
pub mod matched_dir;
pub mod phase;
pub mod reference;
pub mod words;

pub use config::{
    apply_directive, request_extension, DirConfig, HandlerEntry, ImportEntry, OptionKey,
    RequireLine, ServerConfig, Setting,
};

/// The name of the main interpreter.
pub const MAIN_INTERPRETER: &str = "main_interpreter";
pub use context::{Context, DirectoryKind, Origin, Section};
pub use directive::{
    directive_info, parse_directive, Directive, DirectiveInfo, Flag, Limit, Scope, TimeoutAction,
    DIRECTIVES,
};
pub use error::DirectiveError;
pub use handler::{parse_handler_line, HandlerLine, HandlerRef};
pub use matched_dir::{matched_directory, resolve_handler_directories};
pub use phase::HandlerPhase;
