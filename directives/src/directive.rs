//! Every `Python*` directive: its typed value, its parser (from the text after the directive
//! name, as Apache hands it over), its printer, and where it may be written.

use crate::error::DirectiveError;
use crate::handler::{parse_handler_line, HandlerLine, HandlerRef};
use crate::phase::HandlerPhase;
use crate::words::{quote_word, split_words};
use std::ffi::CStr;

/// Where a directive may be written (Apache's `req_override`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// `RSRC_CONF`: server config and `<VirtualHost>` only.
    Server,
    /// `RSRC_CONF|ACCESS_CONF`: also `<Directory>`, `<Location>`, `<Files>`; not `.htaccess`.
    ServerAndSections,
    /// `OR_ALL`: anywhere, `.htaccess` included (when `AllowOverride` is not `None`).
    Anywhere,
}

/// A boolean directive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flag {
    /// `PythonDebug`
    Debug,
    /// `PythonEnablePdb`
    EnablePdb,
    /// `PythonAutoReload`
    AutoReload,
    /// `PythonOptimize`
    Optimize,
    /// `PythonInterpPerDirectory`
    InterpPerDirectory,
    /// `PythonInterpPerDirective`
    InterpPerDirective,
}

impl Flag {
    /// All flags.
    pub const ALL: [Flag; 6] = [
        Flag::Debug,
        Flag::EnablePdb,
        Flag::AutoReload,
        Flag::Optimize,
        Flag::InterpPerDirectory,
        Flag::InterpPerDirective,
    ];

    /// The directive name.
    pub fn directive(self) -> &'static str {
        match self {
            Flag::Debug => "PythonDebug",
            Flag::EnablePdb => "PythonEnablePdb",
            Flag::AutoReload => "PythonAutoReload",
            Flag::Optimize => "PythonOptimize",
            Flag::InterpPerDirectory => "PythonInterpPerDirectory",
            Flag::InterpPerDirective => "PythonInterpPerDirective",
        }
    }

    /// The value when the directive is not written anywhere.
    pub fn default_value(self) -> bool {
        matches!(self, Flag::AutoReload)
    }
}

/// A per-child limit after which the child retires (ours; mod_python 3.5 has none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Limit {
    /// `PythonMaxRequestsPerChild N`: requests a child serves.
    MaxRequestsPerChild,
    /// `PythonMemoryLimit MiB`: the child's resident memory, checked between requests.
    MemoryLimit,
}

impl Limit {
    /// Both limits.
    pub const ALL: [Limit; 2] = [Limit::MaxRequestsPerChild, Limit::MemoryLimit];

    /// The directive's name.
    pub fn directive(self) -> &'static str {
        match self {
            Limit::MaxRequestsPerChild => "PythonMaxRequestsPerChild",
            Limit::MemoryLimit => "PythonMemoryLimit",
        }
    }
}

/// What `PythonRequestTimeoutAction` asks for once a call has run past its timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimeoutAction {
    /// Log the call's Python stack (always done).
    #[default]
    Log,
    /// Also retire the child gracefully once its other requests are done.
    Restart,
}

/// A parsed directive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Directive {
    /// One of the twelve `Python*Handler` directives.
    Handler {
        /// The phase.
        phase: HandlerPhase,
        /// Handlers and `| .ext` extensions.
        line: HandlerLine,
    },
    /// `PythonHandlerModule module`: the module's handlers for every phase, silently skipped
    /// where it has none.
    HandlerModule(HandlerLine),
    /// `PythonInputFilter handler [name]`.
    InputFilter {
        /// The filter callable.
        handler: HandlerRef,
        /// The filter name (defaults to the handler string).
        name: String,
    },
    /// `PythonOutputFilter handler [name]`.
    OutputFilter {
        /// The filter callable.
        handler: HandlerRef,
        /// The filter name (defaults to the handler string).
        name: String,
    },
    /// `PythonConnectionHandler handler`.
    ConnectionHandler(HandlerLine),
    /// `PythonImport module[::function] interpreter`.
    Import {
        /// What to import (and call).
        module: HandlerRef,
        /// The interpreter to import it in.
        interpreter: String,
    },
    /// `PythonPath expression`.
    Path(String),
    /// `PythonInterpreter name`.
    Interpreter(String),
    /// A boolean directive.
    Flag(Flag, bool),
    /// `PythonMaxRequestsPerChild N` or `PythonMemoryLimit MiB`; 0 is no limit.
    Limit(Limit, u64),
    /// `PythonRequestTimeout SECONDS`: how long a handler, filter or connection handler may
    /// run before its Python stack is logged; 0 is no limit.
    RequestTimeout(u64),
    /// `PythonRequestTimeoutAction log|restart`: what else happens past the timeout.
    RequestTimeoutAction(TimeoutAction),
    /// `PythonOption key [value]`; no (or an empty) value removes the key.
    Option {
        /// The key.
        key: String,
        /// The value; `None` removes the key.
        value: Option<String>,
    },
}

/// Name, scope, syntax, default and one line of help for a directive.
#[derive(Debug, Clone, Copy)]
pub struct DirectiveInfo {
    /// The directive's name.
    pub name: &'static str,
    /// The name as a C string (for Apache's command table).
    pub c_name: &'static CStr,
    /// Where it may be written.
    pub scope: Scope,
    /// Its syntax.
    pub syntax: &'static str,
    /// `name syntax` as a C string (Apache shows it on misuse).
    pub c_usage: &'static CStr,
    /// What applies when it is not written.
    pub default: &'static str,
    /// One line of help.
    pub help: &'static str,
}

const fn c_str(with_nul: &'static str) -> &'static CStr {
    match CStr::from_bytes_with_nul(with_nul.as_bytes()) {
        Ok(c) => c,
        Err(_) => panic!("not a C string"),
    }
}

macro_rules! info {
    ($name:literal, $scope:expr, $syntax:expr, $default:literal, $help:literal) => {
        DirectiveInfo {
            name: $name,
            c_name: c_str(concat!($name, "\0")),
            scope: $scope,
            syntax: $syntax,
            c_usage: c_str(concat!($name, " ", $syntax, "\0")),
            default: $default,
            help: $help,
        }
    };
}

/// Every directive mod_python 3.5 has, with its scope as in mod_python's command table.
pub const DIRECTIVES: &[DirectiveInfo] = &[
    info!(
        "PythonPostReadRequestHandler",
        Scope::Server,
        "handler [handler ...]",
        "none",
        "Handlers run as soon as the request has been read, before its URL means anything."
    ),
    info!(
        "PythonTransHandler",
        Scope::Server,
        "handler [handler ...]",
        "none",
        "Handlers that turn the request's URL into a file name (or decline and let Apache do it)."
    ),
    info!(
        "PythonHeaderParserHandler",
        Scope::Anywhere,
        "handler [handler ...] [| .ext [.ext ...]]",
        "none",
        "Handlers run once the section of the request is known, to look at its headers early."
    ),
    info!(
        "PythonInitHandler",
        Scope::Anywhere,
        "handler [handler ...] [| .ext [.ext ...]]",
        "none",
        "Handlers that start each request: post-read-request at server level, header-parser in a section."
    ),
    info!(
        "PythonAccessHandler",
        Scope::Anywhere,
        "handler [handler ...] [| .ext [.ext ...]]",
        "none",
        "Handlers that decide on access without knowing the user (by address, time, headers...)."
    ),
    info!(
        "PythonAuthenHandler",
        Scope::Anywhere,
        "handler [handler ...] [| .ext [.ext ...]]",
        "none",
        "Handlers that check who the user is (set req.user and return OK, or ask for credentials)."
    ),
    info!(
        "PythonAuthzHandler",
        Scope::Anywhere,
        "handler [handler ...] [| .ext [.ext ...]]",
        "none",
        "Handlers that decide whether the authenticated user may have the resource."
    ),
    info!(
        "PythonTypeHandler",
        Scope::Anywhere,
        "handler [handler ...] [| .ext [.ext ...]]",
        "none",
        "Handlers that set the response's content type and other type information."
    ),
    info!(
        "PythonFixupHandler",
        Scope::Anywhere,
        "handler [handler ...] [| .ext [.ext ...]]",
        "none",
        "Handlers run last before the content handler, to adjust the request."
    ),
    info!(
        "PythonHandler",
        Scope::Anywhere,
        "handler [handler ...] [| .ext [.ext ...]]",
        "none",
        "The content handlers: they write the response (with SetHandler or AddHandler mod_python)."
    ),
    info!(
        "PythonLogHandler",
        Scope::Anywhere,
        "handler [handler ...] [| .ext [.ext ...]]",
        "none",
        "Handlers run after the response has been sent, to log it."
    ),
    info!(
        "PythonCleanupHandler",
        Scope::Anywhere,
        "handler [handler ...] [| .ext [.ext ...]]",
        "none",
        "Handlers run when the request's memory is released, whatever happened before."
    ),
    info!(
        "PythonHandlerModule",
        Scope::Anywhere,
        "module",
        "none",
        "A module whose functions named after the phases are the handlers of every phase it defines."
    ),
    info!(
        "PythonInputFilter",
        Scope::ServerAndSections,
        "handler [name]",
        "none",
        "Declares an input filter written in Python under a name SetInputFilter/AddInputFilter can use."
    ),
    info!(
        "PythonOutputFilter",
        Scope::ServerAndSections,
        "handler [name]",
        "none",
        "Declares an output filter written in Python under a name SetOutputFilter/AddOutputFilter can use."
    ),
    info!(
        "PythonConnectionHandler",
        Scope::Server,
        "handler",
        "none",
        "A handler that takes the whole connection instead of HTTP (another protocol on its own Listen port)."
    ),
    info!(
        "PythonImport",
        Scope::Server,
        "module[::function] interpreter_name",
        "none",
        "A module imported (and a function of it called) in a named interpreter when each child starts."
    ),
    info!(
        "PythonPath",
        Scope::Anywhere,
        "\"python list expression\"",
        "sys.path",
        "A Python expression whose value (a list) becomes sys.path."
    ),
    info!(
        "PythonInterpreter",
        Scope::Anywhere,
        "name",
        "the virtual host's ServerName",
        "The name of the interpreter handlers here run in (main_interpreter: the main one)."
    ),
    info!(
        "PythonInterpPerDirectory",
        Scope::Anywhere,
        "On|Off",
        "Off",
        "Names the interpreter after the directory of the requested file."
    ),
    info!(
        "PythonInterpPerDirective",
        Scope::Anywhere,
        "On|Off",
        "Off",
        "Names the interpreter after the directory of the section the handler was written in."
    ),
    info!(
        "PythonDebug",
        Scope::Anywhere,
        "On|Off",
        "Off",
        "Shows the traceback of a failing handler to the client too (for development only)."
    ),
    info!(
        "PythonEnablePdb",
        Scope::Anywhere,
        "On|Off",
        "Off",
        "Steps through handlers in the Python debugger when httpd runs as one process in a terminal."
    ),
    info!(
        "PythonAutoReload",
        Scope::Anywhere,
        "On|Off",
        "On",
        "Re-imports a handler's module when its file has changed."
    ),
    info!(
        "PythonOptimize",
        Scope::Server,
        "On|Off",
        "Off",
        "Runs Python optimised (as with -OO: no asserts, no docstrings)."
    ),
    info!(
        "PythonMaxRequestsPerChild",
        Scope::Server,
        "N",
        "0 (no limit)",
        "Requests a child serves before it retires gracefully (prefork; worker and event through MaxConnectionsPerChild)."
    ),
    info!(
        "PythonMemoryLimit",
        Scope::Server,
        "MiB",
        "0 (no limit)",
        "Resident memory, checked between requests, above which a child retires gracefully."
    ),
    info!(
        "PythonRequestTimeout",
        Scope::Anywhere,
        "SECONDS",
        "0 (no limit)",
        "How long a Python handler, filter or connection handler may run before its stack is logged."
    ),
    info!(
        "PythonRequestTimeoutAction",
        Scope::Anywhere,
        "log|restart",
        "log",
        "After logging a stuck call's stack: nothing more (log) or retire the child gracefully (restart)."
    ),
    info!(
        "PythonOption",
        Scope::Anywhere,
        "key [value]",
        "none",
        "A key and value handlers read with req.get_options(); without a value it removes the key."
    ),
];

/// The entry of `DIRECTIVES` for `name` (case-insensitive, as Apache matches).
pub fn directive_info(name: &str) -> Option<&'static DirectiveInfo> {
    DIRECTIVES
        .iter()
        .find(|d| d.name.eq_ignore_ascii_case(name))
}

fn one_word(name: &'static str, what: &'static str, args: &str) -> Result<String, DirectiveError> {
    let mut words = split_words(args);
    if words.len() != 1 {
        return Err(DirectiveError::Arguments {
            directive: name,
            expected: what,
        });
    }
    Ok(words.remove(0))
}

fn flag(name: &'static str, args: &str) -> Result<bool, DirectiveError> {
    let words = split_words(args);
    match words.as_slice() {
        [w] if w.eq_ignore_ascii_case("on") => Ok(true),
        [w] if w.eq_ignore_ascii_case("off") => Ok(false),
        _ => Err(DirectiveError::Flag(name)),
    }
}

fn filter(name: &'static str, args: &str) -> Result<(HandlerRef, String), DirectiveError> {
    let words = split_words(args);
    let (handler, filter_name) = match words.as_slice() {
        [h] => (h.clone(), h.clone()),
        [h, n] => (h.clone(), n.clone()),
        _ => {
            return Err(DirectiveError::Arguments {
                directive: name,
                expected: "a handler and an optional filter name",
            })
        }
    };
    if filter_name.is_empty() {
        return Err(DirectiveError::Arguments {
            directive: name,
            expected: "a non-empty filter name",
        });
    }
    Ok((HandlerRef::parse(&handler)?, filter_name))
}

/// Parses directive `name` with its arguments `args` (the rest of the line).
///
/// # Errors
/// A [`DirectiveError`] naming the directive and what it expected; [`DirectiveError::Unknown`]
/// for a name that is not a mod_python directive.
pub fn parse_directive(name: &str, args: &str) -> Result<Directive, DirectiveError> {
    let info = directive_info(name).ok_or_else(|| DirectiveError::Unknown(name.to_string()))?;
    let name = info.name;
    if let Some(phase) = HandlerPhase::from_directive(name) {
        let line = parse_handler_line(args)?;
        if !phase.accepts_extensions() && !line.extensions.is_empty() {
            return Err(DirectiveError::ExtensionsNotAllowed);
        }
        return Ok(Directive::Handler { phase, line });
    }
    if let Some(f) = Flag::ALL.into_iter().find(|f| f.directive() == name) {
        return Ok(Directive::Flag(f, flag(name, args)?));
    }
    if name == "PythonRequestTimeout" {
        let words = split_words(args);
        return match words.as_slice() {
            [w] => w.parse::<u64>().ok(),
            _ => None,
        }
        .map(Directive::RequestTimeout)
        .ok_or(DirectiveError::Arguments {
            directive: name,
            expected: "a number of seconds (0 for no limit)",
        });
    }
    if name == "PythonRequestTimeoutAction" {
        let words = split_words(args);
        return match words.as_slice() {
            [w] if w.eq_ignore_ascii_case("log") => {
                Ok(Directive::RequestTimeoutAction(TimeoutAction::Log))
            }
            [w] if w.eq_ignore_ascii_case("restart") => {
                Ok(Directive::RequestTimeoutAction(TimeoutAction::Restart))
            }
            _ => Err(DirectiveError::Arguments {
                directive: name,
                expected: "log or restart",
            }),
        };
    }
    if let Some(l) = Limit::ALL.into_iter().find(|l| l.directive() == name) {
        let words = split_words(args);
        let value = match words.as_slice() {
            [w] => w.parse::<u64>().ok(),
            _ => None,
        };
        return value
            .map(|v| Directive::Limit(l, v))
            .ok_or(DirectiveError::Arguments {
                directive: name,
                expected: "one whole number (0 for no limit)",
            });
    }
    Ok(match name {
        "PythonHandlerModule" => {
            let line = parse_handler_line(args)?;
            if !line.extensions.is_empty() {
                return Err(DirectiveError::ExtensionsNotAllowed);
            }
            Directive::HandlerModule(line)
        }
        "PythonConnectionHandler" => {
            let line = parse_handler_line(args)?;
            if !line.extensions.is_empty() {
                return Err(DirectiveError::ExtensionsNotAllowed);
            }
            Directive::ConnectionHandler(line)
        }
        "PythonInputFilter" => {
            let (handler, name) = filter(name, args)?;
            Directive::InputFilter { handler, name }
        }
        "PythonOutputFilter" => {
            let (handler, name) = filter(name, args)?;
            Directive::OutputFilter { handler, name }
        }
        "PythonImport" => {
            let words = split_words(args);
            let [module, interpreter] = words.as_slice() else {
                return Err(DirectiveError::Arguments {
                    directive: name,
                    expected: "a module (module::function) and an interpreter name",
                });
            };
            Directive::Import {
                module: HandlerRef::parse(module)?,
                interpreter: interpreter.clone(),
            }
        }
        "PythonPath" => Directive::Path(one_word(
            name,
            "one argument, a Python expression such as \"sys.path + ['/srv/app']\"",
            args,
        )?),
        "PythonInterpreter" => {
            let n = one_word(name, "one argument, the interpreter name", args)?;
            if n.is_empty() {
                return Err(DirectiveError::Arguments {
                    directive: name,
                    expected: "a non-empty interpreter name",
                });
            }
            Directive::Interpreter(n)
        }
        "PythonOption" => {
            let words = split_words(args);
            match words.as_slice() {
                [k] => Directive::Option {
                    key: k.clone(),
                    value: None,
                },
                [k, v] => Directive::Option {
                    key: k.clone(),
                    value: (!v.is_empty()).then(|| v.clone()),
                },
                _ => {
                    return Err(DirectiveError::Arguments {
                        directive: name,
                        expected: "key [value]",
                    })
                }
            }
        }
        other => return Err(DirectiveError::Unknown(other.to_string())),
    })
}

fn handler_line_text(line: &HandlerLine) -> String {
    let mut out: Vec<String> = line.handlers.iter().map(ToString::to_string).collect();
    if !line.extensions.is_empty() {
        out.push("|".into());
        out.extend(line.extensions.iter().cloned());
    }
    out.join(" ")
}

impl Directive {
    /// The directive's name.
    pub fn name(&self) -> &'static str {
        match self {
            Directive::Handler { phase, .. } => phase.directive(),
            Directive::HandlerModule(_) => "PythonHandlerModule",
            Directive::InputFilter { .. } => "PythonInputFilter",
            Directive::OutputFilter { .. } => "PythonOutputFilter",
            Directive::ConnectionHandler(_) => "PythonConnectionHandler",
            Directive::Import { .. } => "PythonImport",
            Directive::Path(_) => "PythonPath",
            Directive::Interpreter(_) => "PythonInterpreter",
            Directive::Flag(f, _) => f.directive(),
            Directive::Limit(l, _) => l.directive(),
            Directive::RequestTimeout(_) => "PythonRequestTimeout",
            Directive::RequestTimeoutAction(_) => "PythonRequestTimeoutAction",
            Directive::Option { .. } => "PythonOption",
        }
    }

    /// The directive's arguments, printed so that [`parse_directive`] reads them back.
    pub fn args(&self) -> String {
        match self {
            Directive::Handler { line, .. }
            | Directive::HandlerModule(line)
            | Directive::ConnectionHandler(line) => handler_line_text(line),
            Directive::InputFilter { handler, name }
            | Directive::OutputFilter { handler, name } => {
                format!("{} {}", quote_word(&handler.to_string()), quote_word(name))
            }
            Directive::Import {
                module,
                interpreter,
            } => {
                format!(
                    "{} {}",
                    quote_word(&module.to_string()),
                    quote_word(interpreter)
                )
            }
            Directive::Path(p) => quote_word(p),
            Directive::Interpreter(n) => quote_word(n),
            Directive::Flag(_, on) => if *on { "On" } else { "Off" }.to_string(),
            Directive::Limit(_, n) => n.to_string(),
            Directive::RequestTimeout(n) => n.to_string(),
            Directive::RequestTimeoutAction(TimeoutAction::Log) => "log".to_string(),
            Directive::RequestTimeoutAction(TimeoutAction::Restart) => "restart".to_string(),
            Directive::Option { key, value } => match value {
                Some(v) => format!("{} {}", quote_word(key), quote_word(v)),
                None => quote_word(key),
            },
        }
    }
}

impl std::fmt::Display for Directive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.name(), self.args())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(name: &str, args: &str) -> Directive {
        parse_directive(name, args).unwrap_or_else(|e| panic!("{name} {args}: {e}"))
    }

    fn err(name: &str, args: &str) -> String {
        match parse_directive(name, args) {
            Ok(d) => panic!("{name} {args:?} was accepted as {d:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn every_directive_has_an_accepted_form() {
        let samples = [
            ("PythonPostReadRequestHandler", "m"),
            ("PythonTransHandler", "m::trans"),
            ("PythonHeaderParserHandler", "m | .py"),
            ("PythonInitHandler", "m"),
            ("PythonAccessHandler", "a b"),
            ("PythonAuthenHandler", "m::auth"),
            ("PythonAuthzHandler", "m"),
            ("PythonTypeHandler", "m"),
            ("PythonFixupHandler", "m"),
            ("PythonHandler", "mod_python.publisher | .py"),
            ("PythonLogHandler", "m"),
            ("PythonCleanupHandler", "m"),
            ("PythonHandlerModule", "m"),
            ("PythonInputFilter", "m::f GUNZIP"),
            ("PythonOutputFilter", "m"),
            ("PythonConnectionHandler", "echo"),
            ("PythonImport", "mymod::init example.com"),
            ("PythonPath", "\"sys.path + ['/srv/app']\""),
            ("PythonInterpreter", "main_interpreter"),
            ("PythonInterpPerDirectory", "On"),
            ("PythonInterpPerDirective", "off"),
            ("PythonDebug", "ON"),
            ("PythonEnablePdb", "Off"),
            ("PythonAutoReload", "Off"),
            ("PythonOptimize", "On"),
            ("PythonMaxRequestsPerChild", "1000"),
            ("PythonMemoryLimit", "512"),
            ("PythonRequestTimeout", "30"),
            ("PythonRequestTimeoutAction", "restart"),
            ("PythonOption", "key \"a value\""),
        ];
        assert_eq!(samples.len(), DIRECTIVES.len());
        for (name, args) in samples {
            let d = ok(name, args);
            assert_eq!(d.name(), name);
            // Printing and parsing again gives the same value.
            assert_eq!(parse_directive(d.name(), &d.args()).as_ref(), Ok(&d), "{d}");
        }
    }

    #[test]
    fn names_are_case_insensitive_like_apache() {
        assert_eq!(ok("pythondebug", "on"), Directive::Flag(Flag::Debug, true));
        assert_eq!(ok("PYTHONHANDLER", "m").name(), "PythonHandler");
    }

    #[test]
    fn option_forms() {
        assert_eq!(
            ok("PythonOption", "k"),
            Directive::Option {
                key: "k".into(),
                value: None
            }
        );
        assert_eq!(
            ok("PythonOption", "k \"\""),
            Directive::Option {
                key: "k".into(),
                value: None
            }
        );
        assert_eq!(
            ok(
                "PythonOption",
                "'mod_python.session.cookie_name' \"my sid\""
            ),
            Directive::Option {
                key: "mod_python.session.cookie_name".into(),
                value: Some("my sid".into())
            }
        );
    }

    #[test]
    fn filter_name_defaults_to_handler() {
        assert_eq!(
            ok("PythonOutputFilter", "gz::outputfilter"),
            Directive::OutputFilter {
                handler: HandlerRef::parse("gz::outputfilter").expect("handler"),
                name: "gz::outputfilter".into()
            }
        );
    }

    #[test]
    fn rejected_forms_name_the_directive_and_what_was_expected() {
        let cases = [
            ("PythonDebug", "", "PythonDebug must be On or Off"),
            ("PythonDebug", "yes", "PythonDebug must be On or Off"),
            ("PythonDebug", "on off", "PythonDebug must be On or Off"),
            ("PythonPath", "", "PythonPath takes one argument"),
            ("PythonPath", "a b", "PythonPath takes one argument"),
            (
                "PythonInterpreter",
                "\"\"",
                "PythonInterpreter takes a non-empty interpreter name",
            ),
            ("PythonOption", "", "PythonOption takes key [value]"),
            ("PythonOption", "a b c", "PythonOption takes key [value]"),
            ("PythonImport", "onlymodule", "PythonImport takes a module"),
            ("PythonImport", "1bad interp", "'1bad' is not a handler"),
            ("PythonInputFilter", "", "PythonInputFilter takes a handler"),
            (
                "PythonInputFilter",
                "m n extra",
                "PythonInputFilter takes a handler",
            ),
            (
                "PythonTransHandler",
                "m | .py",
                "'| .ext' is not allowed here",
            ),
            (
                "PythonPostReadRequestHandler",
                "m | .py",
                "'| .ext' is not allowed here",
            ),
            (
                "PythonHandlerModule",
                "m | .py",
                "'| .ext' is not allowed here",
            ),
            ("PythonHandler", "", "expected at least one handler"),
            ("PythonHandler", "bad-name", "'bad-name' is not a handler"),
            ("PythonNothing", "x", "not a mod_python directive"),
        ];
        for (name, args, expected) in cases {
            let e = err(name, args);
            assert!(
                e.contains(expected),
                "{name} {args:?}: {e:?} lacks {expected:?}"
            );
        }
    }

    #[test]
    fn hostile_input_is_refused_or_kept_not_crashing() {
        let long = "x".repeat(1 << 20);
        assert!(parse_directive("PythonPath", &long).is_ok());
        assert!(parse_directive("PythonHandler", "mod\0ule").is_err());
        assert!(parse_directive("PythonOption", "\"unbalanced").is_ok());
        assert!(parse_directive("PythonDebug", "\"On").is_ok());
        assert!(parse_directive("PythonHandler", "модуль::функция").is_ok());
        assert!(parse_directive("PythonHandler", "| | |").is_err());
    }
}
