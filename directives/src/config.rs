//! The configuration model and its merge rules, copied from mod_python 3.5's
//! `python_merge_config` (one function for server and directory merges).
//!
//! "Not set" is `None`; defaults are applied only when resolving, so a merge can tell an
//! explicit `Off` from an inherited value.

use crate::handler::{HandlerLine, HandlerRef};
use crate::phase::HandlerPhase;
use indexmap::IndexMap;

/// One configured handler with where it was declared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandlerEntry {
    /// What to call.
    pub handler: HandlerRef,
    /// The directory of the section that declared it (goes onto `sys.path`); `None` for
    /// `<Location>` and server level.
    pub directory: Option<String>,
    /// Declared inside a `<Location>`.
    pub is_location: bool,
    /// Missing callables are skipped silently (`PythonHandlerModule`).
    pub silent: bool,
}

/// The key of a handler list: the phase, and the extension from `| .ext` if any.
pub type HandlerKey = (HandlerPhase, Option<String>);

/// Configuration of one section (or of the server level).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DirConfig {
    /// The section's directory (with a trailing `/`), or `None` for a `<Location>` / server.
    pub directory: Option<String>,
    /// The section is a `<Location>`.
    pub is_location: bool,
    /// Handler lists per phase (and extension), in declaration order.
    pub handlers: IndexMap<HandlerKey, Vec<HandlerEntry>>,
    /// `PythonDebug`.
    pub debug: Option<bool>,
    /// `PythonAutoReload`.
    pub auto_reload: Option<bool>,
    /// `PythonInterpreter`.
    pub interpreter: Option<String>,
    /// `PythonPath` (a Python expression).
    pub python_path: Option<String>,
    /// `PythonOption`s in order; `None` marks a removed key.
    pub options: IndexMap<String, Option<String>>,
}

impl DirConfig {
    /// A fresh config for a section at `path` (`None` at server level).
    pub fn for_section(path: Option<&str>, is_location: bool) -> DirConfig {
        let directory = match path {
            Some(p) if !is_location => Some(if p.ends_with('/') {
                p.to_string()
            } else {
                format!("{p}/")
            }),
            _ => None,
        };
        DirConfig {
            directory,
            is_location,
            ..DirConfig::default()
        }
    }

    /// Appends the handlers of one directive line: repeated directives in one section
    /// append, as in mod_python; each `| .ext` gets its own list.
    pub fn add_handlers(&mut self, phase: HandlerPhase, line: &HandlerLine, silent: bool) {
        let entries: Vec<HandlerEntry> = line
            .handlers
            .iter()
            .map(|h| HandlerEntry {
                handler: h.clone(),
                directory: self.directory.clone(),
                is_location: self.is_location,
                silent,
            })
            .collect();
        let keys: Vec<Option<String>> = if line.extensions.is_empty() {
            vec![None]
        } else {
            line.extensions.iter().cloned().map(Some).collect()
        };
        for ext in keys {
            self.handlers
                .entry((phase, ext))
                .or_default()
                .extend(entries.iter().cloned());
        }
    }

    /// Sets (`Some`) or removes (`None`) a `PythonOption`.
    pub fn set_option(&mut self, key: &str, value: Option<&str>) {
        let value = value.filter(|v| !v.is_empty()).map(str::to_string);
        self.options.insert(key.to_string(), value);
    }

    /// Merges `child` (a more specific section) over `self` (its parent).
    pub fn merge(&self, child: &DirConfig) -> DirConfig {
        DirConfig {
            directory: child_or_parent(&child.directory, &self.directory),
            is_location: if child.handlers.is_empty() {
                self.is_location
            } else {
                child.is_location
            },
            handlers: replace_handler_lists(&self.handlers, &child.handlers),
            debug: child_or_parent(&child.debug, &self.debug),
            auto_reload: child_or_parent(&child.auto_reload, &self.auto_reload),
            interpreter: child_or_parent(&child.interpreter, &self.interpreter),
            python_path: child_or_parent(&child.python_path, &self.python_path),
            options: overlay_options(&self.options, &child.options),
        }
    }

    /// The handlers to run for `phase` on a file with extension `ext` (e.g. `.py`): the
    /// extension's own list first, else the plain list (mod_python's `phase+ext` lookup).
    pub fn handlers_for(&self, phase: HandlerPhase, ext: Option<&str>) -> &[HandlerEntry] {
        if let Some(ext) = ext {
            if let Some(list) = self.handlers.get(&(phase, Some(ext.to_string()))) {
                return list;
            }
        }
        self.handlers.get(&(phase, None)).map_or(&[], Vec::as_slice)
    }

    /// `PythonDebug`, default Off.
    pub fn debug(&self) -> bool {
        self.debug.unwrap_or(false)
    }

    /// `PythonAutoReload`, default On.
    pub fn auto_reload(&self) -> bool {
        self.auto_reload.unwrap_or(true)
    }

    /// The effective `PythonOption`s, removed keys left out.
    pub fn effective_options(&self) -> impl Iterator<Item = (&str, &str)> {
        self.options
            .iter()
            .filter_map(|(k, v)| v.as_deref().map(|v| (k.as_str(), v)))
    }

    /// The interpreter for a request on a server named `server_name`: `PythonInterpreter`
    /// if set, else the virtual host's server name (mod_python's default).
    pub fn interpreter_name<'a>(&'a self, server_name: &'a str) -> &'a str {
        self.interpreter.as_deref().unwrap_or(server_name)
    }

    /// The non-handler directives as mod_python's `req.get_config()` table shows them
    /// (flags as `"1"`/`"0"`).
    pub fn config_table(&self) -> Vec<(&'static str, String)> {
        let flag = |b: bool| if b { "1".to_string() } else { "0".to_string() };
        let mut out = Vec::new();
        if let Some(d) = self.debug {
            out.push(("PythonDebug", flag(d)));
        }
        if let Some(a) = self.auto_reload {
            out.push(("PythonAutoReload", flag(a)));
        }
        if let Some(i) = &self.interpreter {
            out.push(("PythonInterpreter", i.clone()));
        }
        if let Some(p) = &self.python_path {
            out.push(("PythonPath", p.clone()));
        }
        out
    }
}

/// Per-server configuration: what was written outside any section, so that
/// `server.get_config()` / `get_options()` see it, as mod_python does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerConfig {
    /// Server-level settings.
    pub settings: DirConfig,
}

impl ServerConfig {
    /// Merges a virtual host (`child`) over the main server (`self`).
    pub fn merge(&self, child: &ServerConfig) -> ServerConfig {
        ServerConfig {
            settings: self.settings.merge(&child.settings),
        }
    }
}

/// Scalar settings: the child's value when it set one, else the parent's (mod_python
/// overlays its string table, child wins per key).
fn child_or_parent<T: Clone>(child: &Option<T>, parent: &Option<T>) -> Option<T> {
    child.clone().or_else(|| parent.clone())
}

/// Handler lists: a section that mentions a phase (and extension) replaces the whole
/// inherited list for that key; keys it does not mention are inherited (mod_python's
/// `hlists` hash overlay).
fn replace_handler_lists(
    parent: &IndexMap<HandlerKey, Vec<HandlerEntry>>,
    child: &IndexMap<HandlerKey, Vec<HandlerEntry>>,
) -> IndexMap<HandlerKey, Vec<HandlerEntry>> {
    let mut merged = parent.clone();
    for (key, list) in child {
        merged.insert(key.clone(), list.clone());
    }
    merged
}

/// `PythonOption`: overlay key by key in order, the child wins; a child's removal marker
/// stays so it also hides the key from further merges (mod_python's `""` value).
fn overlay_options(
    parent: &IndexMap<String, Option<String>>,
    child: &IndexMap<String, Option<String>>,
) -> IndexMap<String, Option<String>> {
    let mut merged = parent.clone();
    for (k, v) in child {
        merged.insert(k.clone(), v.clone());
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handler::parse_handler_line;

    fn with_handler(path: Option<&str>, line: &str) -> DirConfig {
        let mut c = DirConfig::for_section(path, false);
        c.add_handlers(
            HandlerPhase::Handler,
            &parse_handler_line(line).expect("line"),
            false,
        );
        c
    }

    fn names(list: &[HandlerEntry]) -> Vec<String> {
        list.iter().map(|e| e.handler.to_string()).collect()
    }

    #[test]
    fn child_handler_list_replaces_parent_list() {
        let parent = with_handler(Some("/a"), "one two");
        let child = with_handler(Some("/a/b"), "three");
        let merged = parent.merge(&child);
        assert_eq!(
            names(merged.handlers_for(HandlerPhase::Handler, None)),
            ["three"]
        );
        assert_eq!(
            merged.handlers_for(HandlerPhase::Handler, None)[0]
                .directory
                .as_deref(),
            Some("/a/b/")
        );
    }

    #[test]
    fn repeated_directive_in_one_section_appends() {
        let mut c = with_handler(Some("/a"), "one");
        c.add_handlers(
            HandlerPhase::Handler,
            &parse_handler_line("two").expect("line"),
            false,
        );
        assert_eq!(
            names(c.handlers_for(HandlerPhase::Handler, None)),
            ["one", "two"]
        );
    }

    #[test]
    fn extension_list_wins_over_plain_list() {
        let parent = with_handler(Some("/a"), "pyonly | .py");
        let child = with_handler(Some("/a/b"), "plain");
        let merged = parent.merge(&child);
        assert_eq!(
            names(merged.handlers_for(HandlerPhase::Handler, Some(".py"))),
            ["pyonly"]
        );
        assert_eq!(
            names(merged.handlers_for(HandlerPhase::Handler, Some(".txt"))),
            ["plain"]
        );
        assert_eq!(
            names(merged.handlers_for(HandlerPhase::Handler, None)),
            ["plain"]
        );
    }

    #[test]
    fn option_without_value_removes_inherited_key() {
        let mut parent = DirConfig::default();
        parent.set_option("a", Some("1"));
        parent.set_option("b", Some("2"));
        let mut child = DirConfig::default();
        child.set_option("a", None);
        child.set_option("c", Some("3"));
        let merged = parent.merge(&child);
        let opts: Vec<_> = merged.effective_options().collect();
        assert_eq!(opts, vec![("b", "2"), ("c", "3")]);
    }

    #[test]
    fn flags_inherit_when_unset_and_child_wins_when_set() {
        let parent = DirConfig {
            debug: Some(true),
            ..DirConfig::default()
        };
        let unset = DirConfig::default();
        assert!(parent.merge(&unset).debug());
        let off = DirConfig {
            debug: Some(false),
            ..DirConfig::default()
        };
        assert!(!parent.merge(&off).debug());
        assert!(!unset.debug());
        assert!(unset.auto_reload());
    }

    #[test]
    fn merging_with_empty_config_changes_nothing() {
        let mut c = with_handler(Some("/x"), "h | .py");
        c.debug = Some(true);
        c.interpreter = Some("i".into());
        c.set_option("k", Some("v"));
        let empty = DirConfig::default();
        assert_eq!(c.merge(&empty).handlers, c.handlers);
        assert_eq!(c.merge(&empty).options, c.options);
        assert_eq!(empty.merge(&c).handlers, c.handlers);
        assert_eq!(empty.merge(&c).debug, c.debug);
    }

    #[test]
    fn interpreter_defaults_to_server_name() {
        let c = DirConfig::default();
        assert_eq!(c.interpreter_name("example.com"), "example.com");
        let forced = DirConfig {
            interpreter: Some("main_interpreter".into()),
            ..c
        };
        assert_eq!(forced.interpreter_name("example.com"), "main_interpreter");
    }

    #[test]
    fn location_sections_have_no_directory() {
        let c = DirConfig::for_section(Some("/app"), true);
        assert_eq!(c.directory, None);
        assert_eq!(
            DirConfig::for_section(Some("/srv"), false)
                .directory
                .as_deref(),
            Some("/srv/")
        );
    }
}
