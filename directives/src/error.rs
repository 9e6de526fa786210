//! Errors a directive's arguments can have. Each message names what was expected; Apache adds
//! the directive's file and line when it refuses the configuration.

/// A directive whose arguments do not fit its syntax.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DirectiveError {
    /// No handler was given.
    #[error("expected at least one handler (module or module::object)")]
    MissingHandler,
    /// A handler word is not `module[::object]`.
    #[error("'{0}' is not a handler: expected module or module::object (e.g. mymodule::handler)")]
    BadHandler(String),
    /// `| ` was given without extensions.
    #[error("expected file extensions after '|' (e.g. '| .py .psp')")]
    MissingExtensions,
    /// An extension does not start with a dot.
    #[error("'{0}' is not a file extension: expected it to start with '.'")]
    BadExtension(String),
    /// The phase does not accept `| .ext`.
    #[error("'| .ext' is not allowed here: the file is not known yet in this phase")]
    ExtensionsNotAllowed,
    /// The wrong number or kind of arguments.
    #[error("{directive} takes {expected}")]
    Arguments {
        /// The directive.
        directive: &'static str,
        /// What it takes.
        expected: &'static str,
    },
    /// A flag that is neither On nor Off (Apache's own wording).
    #[error("{0} must be On or Off")]
    Flag(&'static str),
    /// Not one of mod_python's directives.
    #[error("'{0}' is not a mod_python directive")]
    Unknown(String),
}
