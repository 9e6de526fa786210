//! The configuration model and its merge rules, copied from mod_python 3.5's
//! `python_merge_config` (one function for server and directory merges), and the
//! resolution of what applies to a request.
//!
//! "Not set" is `None`; defaults are applied only when resolving (one table: each flag's
//! [`Flag::default_value`]), so a merge can tell an explicit `Off` from an inherited value.
//! Every value remembers the file and line it came from, for the explainer.

use crate::context::{Context, DirectoryKind, Origin};
use crate::directive::{Directive, Flag};
use crate::handler::{HandlerLine, HandlerRef};
use crate::phase::HandlerPhase;
use indexmap::IndexMap;
use std::sync::Arc;

/// A value and where it was set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting<T> {
    /// The value.
    pub value: T,
    /// Where it was set.
    pub origin: Origin,
}

/// One configured handler (or filter) with where it was declared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandlerEntry {
    /// What to call.
    pub handler: HandlerRef,
    /// The directory of the declaring section (mod_python prepends it to `sys.path` unless
    /// the section is a `<Location>` or `PythonPath` is set).
    pub directory: Option<String>,
    /// How `directory` is written.
    pub directory_kind: DirectoryKind,
    /// Declared inside a `<Location>`.
    pub is_location: bool,
    /// Missing callables are skipped silently (`PythonHandlerModule`).
    pub silent: bool,
    /// Where it was declared.
    pub origin: Origin,
}

impl HandlerEntry {
    fn new(handler: &HandlerRef, ctx: &Context, silent: bool) -> HandlerEntry {
        HandlerEntry {
            handler: handler.clone(),
            directory: ctx.directory.clone(),
            directory_kind: ctx.directory_kind,
            is_location: ctx.is_location,
            silent,
            origin: ctx.origin.clone(),
        }
    }
}

/// `PythonImport` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportEntry {
    /// What to import (`module` or `module::function`).
    pub module: HandlerRef,
    /// The interpreter to import it in.
    pub interpreter: String,
    /// Where it was declared.
    pub origin: Origin,
}

/// The key of a handler list: the phase, and the extension from `| .ext` if any.
pub type HandlerKey = (HandlerPhase, Option<String>);

/// Configuration of one section (or of the server level).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DirConfig {
    /// The section's path as Apache gives it to `create_dir_config` (`None` at server level).
    pub config_dir: Option<String>,
    /// Handlers of this configuration came from a `<Location>` (mod_python's `d_is_location`,
    /// which lets the module skip map-to-storage).
    pub is_location: bool,
    /// Handler lists per phase (and extension), in declaration order. The maps are shared
    /// (`Arc`) between a configuration and the merges that leave them unchanged: Apache
    /// merges per request, and most merges add nothing to most maps.
    pub handlers: Arc<IndexMap<HandlerKey, Vec<HandlerEntry>>>,
    /// `PythonInputFilter`s by filter name.
    pub input_filters: Arc<IndexMap<String, HandlerEntry>>,
    /// `PythonOutputFilter`s by filter name.
    pub output_filters: Arc<IndexMap<String, HandlerEntry>>,
    /// The boolean directives that were written.
    pub flags: Arc<IndexMap<Flag, Setting<bool>>>,
    /// `PythonInterpreter`.
    pub interpreter: Option<Setting<String>>,
    /// `PythonPath` (a Python expression).
    pub python_path: Option<Setting<String>>,
    /// `PythonOption`s in order; a `None` value marks a removed key.
    pub options: Arc<IndexMap<OptionKey, Setting<Option<String>>>>,
    /// The section's `Require` lines (read alongside mod_authz_core), for `req.requires()`.
    pub requires: Vec<RequireLine>,
    /// `PythonRequestTimeout`, seconds (0: none).
    pub request_timeout: Option<Setting<u64>>,
    /// `PythonRequestTimeoutAction`.
    pub timeout_action: Option<Setting<crate::directive::TimeoutAction>>,
}

/// A `PythonOption` key. Keys compare without regard to case, as in the APR table mod_python
/// keeps them in (a child's `PythonOption bar` removes the parent's `BAR`); a key shows as it
/// was first written.
#[derive(Debug, Clone)]
pub struct OptionKey(pub String);

impl PartialEq for OptionKey {
    fn eq(&self, other: &OptionKey) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}

impl Eq for OptionKey {}

impl std::hash::Hash for OptionKey {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        for b in self.0.bytes() {
            h.write_u8(b.to_ascii_lowercase());
        }
    }
}

impl std::fmt::Display for OptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One `Require` line as written, with the methods it applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequireLine {
    /// Everything after `Require` (`valid-user`, `user spam eggs`).
    pub text: String,
    /// Bit mask by Apache method number (`<Limit>` sections narrow it).
    pub method_mask: i64,
}

impl DirConfig {
    /// A fresh config for a section at `path` (`None` at server level).
    pub fn for_section(path: Option<&str>) -> DirConfig {
        DirConfig {
            config_dir: path.map(str::to_string),
            ..DirConfig::default()
        }
    }

    fn add_handlers(
        &mut self,
        phase: HandlerPhase,
        line: &HandlerLine,
        ctx: &Context,
        silent: bool,
    ) {
        let entries: Vec<HandlerEntry> = line
            .handlers
            .iter()
            .map(|h| HandlerEntry::new(h, ctx, silent))
            .collect();
        let keys: Vec<Option<String>> = if line.extensions.is_empty() {
            vec![None]
        } else {
            line.extensions.iter().cloned().map(Some).collect()
        };
        let handlers = Arc::make_mut(&mut self.handlers);
        for ext in keys {
            handlers
                .entry((phase, ext))
                .or_default()
                .extend(entries.iter().cloned());
        }
        self.is_location = ctx.is_location;
    }

    /// Applies a per-directory directive written at `ctx` (server-only directives such as
    /// `PythonImport` are ignored here: see [`apply_directive`]).
    pub fn apply(&mut self, directive: &Directive, ctx: &Context) {
        let set = |value: &String| Setting {
            value: value.clone(),
            origin: ctx.origin.clone(),
        };
        match directive {
            Directive::Handler { phase, line } => self.add_handlers(*phase, line, ctx, false),
            Directive::HandlerModule(line) => {
                for phase in HandlerPhase::ALL {
                    self.add_handlers(phase, line, ctx, true);
                }
            }
            Directive::InputFilter { handler, name } => {
                Arc::make_mut(&mut self.input_filters)
                    .insert(name.clone(), HandlerEntry::new(handler, ctx, false));
            }
            Directive::OutputFilter { handler, name } => {
                Arc::make_mut(&mut self.output_filters)
                    .insert(name.clone(), HandlerEntry::new(handler, ctx, false));
            }
            Directive::Path(p) => self.python_path = Some(set(p)),
            Directive::Interpreter(n) => self.interpreter = Some(set(n)),
            Directive::Flag(Flag::Optimize, _) | Directive::Limit(..) => {}
            Directive::RequestTimeout(n) => {
                self.request_timeout = Some(Setting {
                    value: *n,
                    origin: ctx.origin.clone(),
                })
            }
            Directive::RequestTimeoutAction(a) => {
                self.timeout_action = Some(Setting {
                    value: *a,
                    origin: ctx.origin.clone(),
                })
            }
            Directive::Flag(f, on) => {
                Arc::make_mut(&mut self.flags).insert(
                    *f,
                    Setting {
                        value: *on,
                        origin: ctx.origin.clone(),
                    },
                );
            }
            Directive::Option { key, value } => {
                let value = Setting {
                    value: value.clone(),
                    origin: ctx.origin.clone(),
                };
                Arc::make_mut(&mut self.options).insert(OptionKey(key.clone()), value);
            }
            Directive::ConnectionHandler(_) | Directive::Import { .. } => {}
        }
    }

    /// Merges `child` (a more specific section) over `self` (its parent).
    pub fn merge(&self, child: &DirConfig) -> DirConfig {
        DirConfig {
            config_dir: child.config_dir.clone().or_else(|| self.config_dir.clone()),
            is_location: location_flag(self, child),
            handlers: replace_by_key(&self.handlers, &child.handlers),
            input_filters: replace_by_key(&self.input_filters, &child.input_filters),
            output_filters: replace_by_key(&self.output_filters, &child.output_filters),
            flags: replace_by_key(&self.flags, &child.flags),
            interpreter: child_or_parent(&child.interpreter, &self.interpreter),
            python_path: child_or_parent(&child.python_path, &self.python_path),
            options: replace_by_key(&self.options, &child.options),
            // As Apache 2.2's core merged them: a section with Require lines replaces them.
            requires: if child.requires.is_empty() {
                self.requires.clone()
            } else {
                child.requires.clone()
            },
            request_timeout: child_or_parent(&child.request_timeout, &self.request_timeout),
            timeout_action: child_or_parent(&child.timeout_action, &self.timeout_action),
        }
    }

    /// `PythonRequestTimeout` as a duration, and whether to retire the child past it.
    pub fn request_timeout(&self) -> Option<(std::time::Duration, bool)> {
        let seconds = self.request_timeout.as_ref().map_or(0, |s| s.value);
        (seconds > 0).then(|| {
            let restart = self.timeout_action.as_ref().map(|s| s.value)
                == Some(crate::directive::TimeoutAction::Restart);
            (std::time::Duration::from_secs(seconds), restart)
        })
    }

    /// The `Require` lines that apply to a request with method number `method`.
    pub fn requires_for(&self, method: i32) -> Vec<&str> {
        let bit = 1i64.checked_shl(method.clamp(0, 63) as u32).unwrap_or(0);
        self.requires
            .iter()
            .filter(|r| r.method_mask & bit != 0)
            .map(|r| r.text.as_str())
            .collect()
    }

    /// The handlers to run for `phase` on a file with extension `ext` (e.g. `.py`): the
    /// extension's own list first, else the plain list (mod_python's `phase+ext` lookup).
    pub fn handlers_for(&self, phase: HandlerPhase, ext: Option<&str>) -> &[HandlerEntry] {
        self.handlers_with_ext(phase, ext).0
    }

    /// True when some handler of `phase` is configured (for any extension): the cheap
    /// question every request phase asks first.
    pub fn has_handlers(&self, phase: HandlerPhase) -> bool {
        self.handlers.keys().any(|(p, _)| *p == phase)
    }

    /// Whether `phase` has a list for some extension (`| .ext`), so the request's extension
    /// decides which list runs.
    pub fn has_extension_handlers(&self, phase: HandlerPhase) -> bool {
        self.handlers
            .keys()
            .any(|(p, e)| *p == phase && e.is_some())
    }

    /// Like [`DirConfig::handlers_for`], also telling whether the extension's own list was
    /// used (mod_python then sets `req.extension`).
    pub fn handlers_with_ext(
        &self,
        phase: HandlerPhase,
        ext: Option<&str>,
    ) -> (&[HandlerEntry], bool) {
        // A handful of keys: a scan, without making a String to look one up.
        let mut plain: &[HandlerEntry] = &[];
        for ((p, e), list) in self.handlers.iter() {
            if *p != phase {
                continue;
            }
            match (e.as_deref(), ext) {
                (Some(e), Some(ext)) if e == ext => return (list, true),
                (None, _) => plain = list,
                _ => {}
            }
        }
        (plain, false)
    }

    /// The value of a flag, its default when never written.
    pub fn flag(&self, f: Flag) -> bool {
        self.flags.get(&f).map_or(f.default_value(), |s| s.value)
    }

    /// `PythonDebug`.
    pub fn debug(&self) -> bool {
        self.flag(Flag::Debug)
    }

    /// `PythonAutoReload`.
    pub fn auto_reload(&self) -> bool {
        self.flag(Flag::AutoReload)
    }

    /// How many global locks to create (`PythonOption mod_python.mutex_locks N`, 1 to 1024,
    /// 8 when not set or not a number), as mod_python reads it at start-up.
    pub fn mutex_locks(&self) -> usize {
        self.options
            .get(&OptionKey("mod_python.mutex_locks".into()))
            .and_then(|v| v.value.as_deref())
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(8)
            .clamp(1, 1024)
    }

    /// The `PythonPath` expression, if one applies.
    pub fn python_path(&self) -> Option<&str> {
        self.python_path.as_ref().map(|p| p.value.as_str())
    }

    /// The effective `PythonOption`s in order, removed keys left out.
    pub fn effective_options(&self) -> impl Iterator<Item = (&str, &str)> {
        self.options
            .iter()
            .filter_map(|(k, v)| v.value.as_deref().map(|v| (k.0.as_str(), v)))
    }

    /// The interpreter name for a request, in mod_python's order: `PythonInterpreter`, then
    /// `PythonInterpPerDirectory` (the directory of the request's file, `main_interpreter`
    /// while no file is known), then `PythonInterpPerDirective` (the handler's directory),
    /// then the virtual host's server name.
    pub fn interpreter_name(
        &self,
        server_name: &str,
        file_directory: Option<&str>,
        handler_directory: Option<&str>,
    ) -> String {
        if let Some(i) = &self.interpreter {
            return i.value.clone();
        }
        if self.flag(Flag::InterpPerDirectory) {
            return file_directory
                .unwrap_or(crate::MAIN_INTERPRETER)
                .to_string();
        }
        if self.flag(Flag::InterpPerDirective) {
            // A handler written outside every directory section runs in the main interpreter.
            return handler_directory
                .filter(|d| !d.is_empty())
                .unwrap_or(crate::MAIN_INTERPRETER)
                .to_string();
        }
        server_name.to_string()
    }

    /// The non-handler directives as mod_python's `req.get_config()` table holds them:
    /// flags as `"1"`/`"0"`, in the order they were first set.
    pub fn config_table(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self
            .flags
            .iter()
            .map(|(f, s)| {
                (
                    f.directive().to_string(),
                    if s.value { "1" } else { "0" }.to_string(),
                )
            })
            .collect();
        if let Some(i) = &self.interpreter {
            out.push(("PythonInterpreter".into(), i.value.clone()));
        }
        if let Some(p) = &self.python_path {
            out.push(("PythonPath".into(), p.value.clone()));
        }
        out
    }
}

/// The extension mod_python matches `| .ext` lists against: everything after the *first*
/// dot of the file's base name, with the dot (`a.tar.gz` → `.tar.gz`); `None` without one.
pub fn request_extension(filename: &str) -> Option<String> {
    let base = filename.rsplit('/').next().unwrap_or(filename);
    let dot = base.find('.')?;
    let ext = &base[dot + 1..];
    (!ext.is_empty()).then(|| format!(".{ext}"))
}

/// Per-server configuration: what was written outside any section (so `server.get_config()`
/// and `get_options()` see it, as mod_python does), connection handlers and imports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerConfig {
    /// Server-level settings.
    pub settings: DirConfig,
    /// `PythonConnectionHandler`s.
    pub connection_handlers: Vec<HandlerEntry>,
    /// `PythonImport`s, in declaration order.
    pub imports: Vec<ImportEntry>,
    /// `PythonOptimize`.
    pub optimize: Option<Setting<bool>>,
    /// `PythonMaxRequestsPerChild` (0: none).
    pub max_requests_per_child: Option<Setting<u64>>,
    /// `PythonMemoryLimit`, MiB (0: none).
    pub memory_limit_mib: Option<Setting<u64>>,
}

impl ServerConfig {
    /// Applies what a directive means for the server configuration.
    pub fn apply(&mut self, directive: &Directive, ctx: &Context) {
        match directive {
            Directive::ConnectionHandler(line) => {
                self.connection_handlers = line
                    .handlers
                    .iter()
                    .map(|h| HandlerEntry::new(h, ctx, false))
                    .collect();
            }
            Directive::Import {
                module,
                interpreter,
            } => self.imports.push(ImportEntry {
                module: module.clone(),
                interpreter: interpreter.clone(),
                origin: ctx.origin.clone(),
            }),
            Directive::Flag(Flag::Optimize, on) => {
                self.optimize = Some(Setting {
                    value: *on,
                    origin: ctx.origin.clone(),
                });
            }
            Directive::Limit(limit, value) => {
                let setting = Some(Setting {
                    value: *value,
                    origin: ctx.origin.clone(),
                });
                match limit {
                    crate::directive::Limit::MaxRequestsPerChild => {
                        self.max_requests_per_child = setting
                    }
                    crate::directive::Limit::MemoryLimit => self.memory_limit_mib = setting,
                }
            }
            // mod_python copies server-level settings into the server config, except
            // PythonInterpPerDirectory, and never handlers or filters.
            Directive::Flag(Flag::InterpPerDirectory, _)
            | Directive::Handler { .. }
            | Directive::HandlerModule(_)
            | Directive::InputFilter { .. }
            | Directive::OutputFilter { .. } => {}
            Directive::Path(_)
            | Directive::Interpreter(_)
            | Directive::Flag(..)
            | Directive::RequestTimeout(_)
            | Directive::RequestTimeoutAction(_)
            | Directive::Option { .. } => {
                if !ctx.in_section {
                    self.settings.apply(directive, ctx);
                }
            }
        }
    }

    /// Merges a virtual host (`child`) over the main server (`self`).
    pub fn merge(&self, child: &ServerConfig) -> ServerConfig {
        ServerConfig {
            settings: self.settings.merge(&child.settings),
            connection_handlers: if child.connection_handlers.is_empty() {
                self.connection_handlers.clone()
            } else {
                child.connection_handlers.clone()
            },
            imports: self.imports.iter().chain(&child.imports).cloned().collect(),
            optimize: child_or_parent(&child.optimize, &self.optimize),
            max_requests_per_child: child_or_parent(
                &child.max_requests_per_child,
                &self.max_requests_per_child,
            ),
            memory_limit_mib: child_or_parent(&child.memory_limit_mib, &self.memory_limit_mib),
        }
    }
}

/// Applies `directive`, written at `ctx`, to the section's config and the server's config.
pub fn apply_directive(
    dir: &mut DirConfig,
    server: &mut ServerConfig,
    directive: &Directive,
    ctx: &Context,
) {
    dir.apply(directive, ctx);
    server.apply(directive, ctx);
}

/// Scalar settings: the child's value when it set one, else the parent's (mod_python
/// overlays its string table, child wins per key).
fn child_or_parent<T: Clone>(child: &Option<T>, parent: &Option<T>) -> Option<T> {
    child.clone().or_else(|| parent.clone())
}

/// Keyed values (handler lists per phase and extension, filters by name, flags, options):
/// the child's entry replaces the parent's for each key it has; keys it does not mention are
/// inherited, in the parent's order. A removed option is kept as a `None` marker so it also
/// hides the key from later merges (mod_python's `""` value).
fn replace_by_key<K: Clone + std::hash::Hash + Eq, V: Clone>(
    parent: &Arc<IndexMap<K, V>>,
    child: &Arc<IndexMap<K, V>>,
) -> Arc<IndexMap<K, V>> {
    // Either side empty: the merge is the other side, shared as it is.
    if child.is_empty() {
        return Arc::clone(parent);
    }
    if parent.is_empty() {
        return Arc::clone(child);
    }
    let mut merged = (**parent).clone();
    for (k, v) in child.iter() {
        merged.insert(k.clone(), v.clone());
    }
    Arc::new(merged)
}

/// mod_python's `d_is_location`: a section (one with a `config_dir`) brings its own flag;
/// the server level inherits.
fn location_flag(parent: &DirConfig, child: &DirConfig) -> bool {
    if child.config_dir.is_some() {
        child.is_location
    } else {
        parent.is_location
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::Section;
    use crate::directive::parse_directive;

    fn ctx_dir(path: &str) -> Context {
        Context::determine(
            &[Section {
                name: "<Directory".into(),
                args: format!("{path}>"),
            }],
            None,
            Origin {
                file: "httpd.conf".into(),
                line: 7,
            },
        )
    }

    #[test]
    fn option_keys_compare_without_case() {
        let option = |c: &mut DirConfig, words: &str| {
            let d = parse_directive("PythonOption", words).expect("directive");
            c.apply(&d, &ctx_dir("/"));
        };
        let mut parent = DirConfig::for_section(Some("/a"));
        option(&mut parent, "BAR 1");
        option(&mut parent, "Keep 2");
        let mut child = DirConfig::for_section(Some("/a/b"));
        option(&mut child, "bar");
        option(&mut child, "KEEP 3");
        let merged = parent.merge(&child);
        let opts: Vec<_> = merged.effective_options().collect();
        assert_eq!(opts, [("Keep", "3")]);
    }

    #[test]
    fn mutex_locks_default_to_8_and_stay_between_1_and_1024() {
        let with = |value: &str| {
            let mut c = DirConfig::for_section(None);
            let d = parse_directive("PythonOption", &format!("mod_python.mutex_locks {value}"))
                .expect("directive");
            c.apply(&d, &ctx_dir("/"));
            c.mutex_locks()
        };
        assert_eq!(DirConfig::for_section(None).mutex_locks(), 8);
        assert_eq!(with("4"), 4);
        assert_eq!(with("0"), 1);
        assert_eq!(with("5000"), 1024);
        assert_eq!(with("many"), 8);
    }

    #[test]
    fn require_lines_replace_the_parents_and_follow_limit_masks() {
        let line = |text: &str, method_mask| RequireLine {
            text: text.into(),
            method_mask,
        };
        let mut parent = DirConfig::for_section(Some("/a"));
        parent.requires = vec![line("valid-user", -1)];
        let empty = DirConfig::for_section(Some("/a/b"));
        assert_eq!(parent.merge(&empty).requires_for(0), ["valid-user"]);
        let mut child = DirConfig::for_section(Some("/a/b"));
        // M_GET is 0, M_POST is 2: a <Limit POST> line applies to POST only.
        child.requires = vec![line("user spam", -1), line("group admin", 1 << 2)];
        let merged = parent.merge(&child);
        assert_eq!(merged.requires_for(0), ["user spam"]);
        assert_eq!(merged.requires_for(2), ["user spam", "group admin"]);
        assert!(DirConfig::default().requires_for(99).is_empty());
    }

    fn section(path: &str, lines: &[(&str, &str)]) -> DirConfig {
        let mut c = DirConfig::for_section(Some(path));
        for (name, args) in lines {
            let d = parse_directive(name, args).expect("directive");
            c.apply(&d, &ctx_dir(path));
        }
        c
    }

    fn names(list: &[HandlerEntry]) -> Vec<String> {
        list.iter().map(|e| e.handler.to_string()).collect()
    }

    #[test]
    fn child_handler_list_replaces_parent_list() {
        let parent = section("/a", &[("PythonHandler", "one two")]);
        let child = section("/a/b", &[("PythonHandler", "three")]);
        let merged = parent.merge(&child);
        assert_eq!(
            names(merged.handlers_for(HandlerPhase::Handler, None)),
            ["three"]
        );
        let entry = &merged.handlers_for(HandlerPhase::Handler, None)[0];
        assert_eq!(entry.directory.as_deref(), Some("/a/b/"));
        assert_eq!(entry.origin.to_string(), "httpd.conf:7");
    }

    #[test]
    fn phases_not_mentioned_are_inherited() {
        let parent = section("/a", &[("PythonHandler", "h"), ("PythonFixupHandler", "f")]);
        let child = section("/a/b", &[("PythonHandler", "h2")]);
        let merged = parent.merge(&child);
        assert_eq!(names(merged.handlers_for(HandlerPhase::Fixup, None)), ["f"]);
    }

    #[test]
    fn repeated_directive_in_one_section_appends() {
        let c = section(
            "/a",
            &[("PythonHandler", "one"), ("PythonHandler", "two three")],
        );
        assert_eq!(
            names(c.handlers_for(HandlerPhase::Handler, None)),
            ["one", "two", "three"]
        );
    }

    #[test]
    fn extension_list_wins_over_plain_list() {
        let parent = section("/a", &[("PythonHandler", "pyonly | .py")]);
        let child = section("/a/b", &[("PythonHandler", "plain")]);
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
    fn extension_is_everything_after_the_first_dot() {
        assert_eq!(request_extension("/srv/x/index.py").as_deref(), Some(".py"));
        assert_eq!(
            request_extension("/srv/x/a.tar.gz").as_deref(),
            Some(".tar.gz")
        );
        assert_eq!(request_extension("/srv/x.d/noext"), None);
        assert_eq!(request_extension("/srv/x/trailing."), None);
    }

    #[test]
    fn handler_module_fills_every_phase_silently() {
        let c = section("/a", &[("PythonHandlerModule", "app")]);
        for phase in HandlerPhase::ALL {
            let list = c.handlers_for(phase, None);
            assert_eq!(names(list), ["app"], "{phase:?}");
            assert!(list[0].silent);
        }
    }

    #[test]
    fn option_without_value_removes_inherited_key() {
        let parent = section("/a", &[("PythonOption", "a 1"), ("PythonOption", "b 2")]);
        let child = section("/a/b", &[("PythonOption", "a"), ("PythonOption", "c 3")]);
        let merged = parent.merge(&child);
        let opts: Vec<_> = merged.effective_options().collect();
        assert_eq!(opts, vec![("b", "2"), ("c", "3")]);
        // A deeper section can set the key again.
        let again = merged.merge(&section("/a/b/c", &[("PythonOption", "a back")]));
        assert_eq!(again.effective_options().next(), Some(("a", "back")));
    }

    #[test]
    fn flags_inherit_when_unset_and_child_wins_when_set() {
        let parent = section("/a", &[("PythonDebug", "On")]);
        let unset = DirConfig::default();
        assert!(parent.merge(&unset).debug());
        let off = section("/a/b", &[("PythonDebug", "Off")]);
        assert!(!parent.merge(&off).debug());
        assert!(!unset.debug());
        assert!(unset.auto_reload());
    }

    #[test]
    fn filters_merge_by_name() {
        let parent = section(
            "/a",
            &[
                ("PythonOutputFilter", "a::f UP"),
                ("PythonOutputFilter", "b::f DOWN"),
            ],
        );
        let child = section("/a/b", &[("PythonOutputFilter", "c::f UP")]);
        let merged = parent.merge(&child);
        let view: Vec<_> = merged
            .output_filters
            .iter()
            .map(|(k, v)| (k.as_str(), v.handler.to_string()))
            .collect();
        assert_eq!(
            view,
            vec![("UP", "c::f".to_string()), ("DOWN", "b::f".to_string())]
        );
    }

    #[test]
    fn interpreter_resolution_order() {
        let plain = DirConfig::default();
        assert_eq!(
            plain.interpreter_name("example.com", Some("/srv/"), Some("/srv")),
            "example.com"
        );
        let per_dir = section("/a", &[("PythonInterpPerDirectory", "On")]);
        assert_eq!(
            per_dir.interpreter_name("h", Some("/srv/app/"), None),
            "/srv/app/"
        );
        assert_eq!(
            per_dir.interpreter_name("h", None, None),
            "main_interpreter"
        );
        let per_directive = section("/a", &[("PythonInterpPerDirective", "On")]);
        assert_eq!(
            per_directive.interpreter_name("h", Some("/x/"), Some("/a")),
            "/a"
        );
        assert_eq!(
            per_directive.interpreter_name("h", Some("/x/"), None),
            "main_interpreter"
        );
        let forced = section(
            "/a",
            &[
                ("PythonInterpreter", "main_interpreter"),
                ("PythonInterpPerDirectory", "On"),
            ],
        );
        assert_eq!(
            forced.interpreter_name("h", Some("/x/"), None),
            "main_interpreter"
        );
    }

    #[test]
    fn config_table_shows_flags_as_digits() {
        let c = section(
            "/a",
            &[
                ("PythonDebug", "On"),
                ("PythonAutoReload", "Off"),
                ("PythonPath", "\"['/x']\""),
            ],
        );
        assert_eq!(
            c.config_table(),
            vec![
                ("PythonDebug".to_string(), "1".to_string()),
                ("PythonAutoReload".to_string(), "0".to_string()),
                ("PythonPath".to_string(), "['/x']".to_string()),
            ]
        );
    }

    #[test]
    fn server_level_directives_reach_the_server_config() {
        let mut dir = DirConfig::default();
        let mut server = ServerConfig::default();
        let top = Context::default();
        for (name, args) in [
            ("PythonOption", "k v"),
            ("PythonDebug", "On"),
            ("PythonInterpPerDirectory", "On"),
            ("PythonImport", "m::init example.com"),
            ("PythonConnectionHandler", "echo"),
            ("PythonHandler", "h"),
        ] {
            apply_directive(
                &mut dir,
                &mut server,
                &parse_directive(name, args).expect("d"),
                &top,
            );
        }
        assert_eq!(
            server.settings.effective_options().collect::<Vec<_>>(),
            vec![("k", "v")]
        );
        assert!(server.settings.debug());
        assert!(
            !server.settings.flag(Flag::InterpPerDirectory),
            "not copied, as in mod_python"
        );
        assert!(server.settings.handlers.is_empty());
        assert_eq!(server.imports.len(), 1);
        assert_eq!(server.connection_handlers.len(), 1);
        // Inside a section, nothing reaches the server config.
        let mut inner = ServerConfig::default();
        apply_directive(
            &mut dir,
            &mut inner,
            &parse_directive("PythonOption", "x y").expect("d"),
            &ctx_dir("/a"),
        );
        assert_eq!(inner.settings.options.len(), 0);
    }

    #[test]
    fn merging_with_empty_config_changes_nothing() {
        let c = section(
            "/x",
            &[
                ("PythonHandler", "h | .py"),
                ("PythonDebug", "On"),
                ("PythonOption", "k v"),
            ],
        );
        let empty = DirConfig::default();
        assert_eq!(c.merge(&empty), c);
        let mut expected = c.clone();
        expected.config_dir = Some("/x".into());
        assert_eq!(empty.merge(&c), expected);
    }
}
