//! Running a phase's handler list: collect the configured handlers (with mod_python's
//! `| .ext` lookup) and those `req.add_handler` added, pick the interpreter, enter it, get the
//! request object, and hand the list to `mod_python.apache._dispatch`, which imports,
//! resolves and calls each handler with mod_python's rules. The result comes back as a
//! [`HookResult`].
//!
//! `call_python` is the one way from a hook into Python, for request phases, filters,
//! connection handlers and `PythonImport`: every failure outside the handlers' own code (no
//! interpreter, a broken dispatcher) is logged the same way, each line naming where the call
//! came from as the Python dispatcher names a handler in its tracebacks
//! (`PythonHandler mymodule: ...`).

use crate::interpreters::{self, Interpreter};
use crate::py::{Obj, PyResult, Python};
use bindings::{rlog, HookResult, LogLevel, Request, RequestField};
use directives::{request_extension, DirConfig, HandlerEntry, HandlerPhase};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

/// Where a call into Python comes from: what every line logged about it starts with (the
/// directive and the handler, as in `PythonHandler mymodule`), and the log it goes to.
pub(crate) struct CallSite<'a> {
    /// Writes the context: into the status board's fixed-size entry on every call (no
    /// allocation), into a string only when something is logged.
    pub(crate) context: &'a dyn Fn(&mut dyn std::fmt::Write) -> std::fmt::Result,
    pub(crate) log: LogTo<'a>,
    /// `PythonRequestTimeout` (and whether to retire the child past it), if set here.
    pub(crate) timeout: Option<(std::time::Duration, bool)>,
    /// What the call is for, as the status board counts it.
    pub(crate) kind: status::Kind,
}

/// Whether a call's result counts as a failure on the status board.
pub(crate) trait CallOutcome {
    /// True when the call failed (beyond raising, which always counts).
    fn failed(&self) -> bool;
}

impl CallOutcome for () {
    fn failed(&self) -> bool {
        false
    }
}

impl CallOutcome for i32 {
    fn failed(&self) -> bool {
        *self == 500
    }
}

impl CallOutcome for i64 {
    fn failed(&self) -> bool {
        *self == 500
    }
}

/// A call that reports its own failure (a filter that raised, then was disabled).
pub(crate) struct Failed(pub(crate) bool);

impl CallOutcome for Failed {
    fn failed(&self) -> bool {
        self.0
    }
}

/// The error log a call's lines go to.
pub(crate) enum LogTo<'a> {
    /// The request's (with its client).
    Request(&'a Request),
    /// A server's.
    Server(&'a bindings::Server),
}

impl CallSite<'_> {
    /// The context as a string.
    pub(crate) fn context_string(&self) -> String {
        let mut s = String::new();
        let _ = (self.context)(&mut s);
        s
    }

    fn log(&self, line: &str) {
        let context = self.context_string();
        match self.log {
            LogTo::Request(r) => rlog!(r, LogLevel::Err, "{context}: {line}"),
            LogTo::Server(s) => bindings::slog!(Some(s), LogLevel::Err, "{context}: {line}"),
        }
    }
}

thread_local! {
    /// How many calls into Python this thread is inside (nested for subrequests).
    static IN_CALL: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// True when a pool cleanup runs because the child is being killed in the middle of a
/// call into Python on this thread (prefork ends a child from its SIGHUP/SIGTERM handler,
/// destroying its pools right there): Python must not be entered again then, since the
/// interrupted call still owns it. The process is about to exit; what Python would have
/// released is left to it.
pub(crate) fn killed_mid_call() -> bool {
    IN_CALL.with(|c| c.get() > 0) && bindings::module::mpm_stopping()
}

/// Enters the interpreter `name` (made on first use) and runs `call`, which calls into that
/// interpreter's `mod_python.apache`. A failure (no interpreter, or an exception out of the
/// dispatcher itself) is logged for `site`, `MPY0020` and the interpreter first, then the
/// error or the traceback one line at a time, and gives `None`.
pub(crate) fn call_python<R: CallOutcome>(
    name: &str,
    site: &CallSite<'_>,
    call: impl for<'py> FnOnce(Python<'py>, &Arc<Interpreter>) -> PyResult<'py, R>,
) -> Option<R> {
    IN_CALL.with(|c| c.set(c.get() + 1));
    let result = call_python_counted(name, site, call);
    IN_CALL.with(|c| c.set(c.get().saturating_sub(1)));
    result
}

fn call_python_counted<R: CallOutcome>(
    name: &str,
    site: &CallSite<'_>,
    call: impl for<'py> FnOnce(Python<'py>, &Arc<Interpreter>) -> PyResult<'py, R>,
) -> Option<R> {
    let interp = match interpreters::acquire(name) {
        Ok(i) => i,
        Err(e) => {
            for line in e.to_string().lines() {
                site.log(line);
            }
            return None;
        }
    };
    let _watched = site.timeout.and_then(|(limit, restart)| {
        let mut what = site.context_string();
        if let LogTo::Request(r) = site.log {
            let line = r
                .the_request()
                .map(String::from_utf8_lossy)
                .unwrap_or_default();
            what = format!("{what} for \"{line}\"");
        }
        crate::watchdog::watch(limit, restart, what, interp.name())
    });
    let request = match site.log {
        LogTo::Request(r) => r.the_request().unwrap_or_default(),
        LogTo::Server(_) => &[],
    };
    let counted = crate::metrics::begin(&interp, site.kind, site.context, request);
    let result = interp.enter(|py| {
        let result = match call(py, &interp) {
            Ok(r) => Some(r),
            Err(e) => {
                site.log(&format!(
                    "MPY0020: dispatcher failed in interpreter '{}'",
                    interp.name()
                ));
                for line in e.traceback_lines() {
                    site.log(&line);
                }
                None
            }
        };
        if let Some(c) = &counted {
            c.note_modules(py);
        }
        result
    });
    if let Some(c) = counted {
        c.finish(result.as_ref().is_none_or(CallOutcome::failed));
    }
    result
}

/// One phase to run for a request.
struct PhaseCall<'a> {
    phase: HandlerPhase,
    handlers: &'a [HandlerEntry],
    config: &'a DirConfig,
    interpreter: &'a str,
    extension: Option<&'a str>,
}

/// The directory of the request's file (with a trailing `/`), if it has one.
fn file_directory(filename: &str) -> Option<String> {
    filename.rfind('/').map(|i| filename[..=i].to_string())
}

/// The interpreter for a handler list of `r`, by mod_python's rules.
pub fn interpreter_for(r: &Request, config: &DirConfig, handlers: &[HandlerEntry]) -> String {
    let server_name = r
        .server()
        .server_hostname()
        .map(String::from_utf8_lossy)
        .unwrap_or_default();
    // Only PythonInterpPerDirectory looks at the file's directory: work it out only then.
    let file_dir = if config.flag(directives::Flag::InterpPerDirectory) {
        let filename = r.field(RequestField::Filename).map(String::from_utf8_lossy);
        // A request for a directory itself (`/p/c`) runs in that directory's interpreter,
        // as mod_python names it (with the trailing slash).
        match filename {
            Some(f) if !f.ends_with('/') && r.finfo().is_directory() => Some(format!("{f}/")),
            f => f.as_deref().and_then(file_directory),
        }
    } else {
        None
    };
    let handler_dir = handlers.first().and_then(|h| h.directory.as_deref());
    config.interpreter_name(&server_name, file_dir.as_deref(), handler_dir)
}

/// Runs the handlers of `phase` for `r`: `DECLINED` when there are none.
pub fn run_handlers(r: &Request, phase: HandlerPhase) -> HookResult {
    // A phase nothing in this process was ever given a handler for: nothing to look at.
    if !phase_possible(phase) {
        return HookResult::Declined;
    }
    let Some(config) = crate::dir_config(r) else {
        return HookResult::Declined;
    };
    // Most phases of most requests have nothing to run: answer before any work.
    if !config.has_handlers(phase) && !crate::request::has_dynamic_handlers(r, phase) {
        return HookResult::Declined;
    }
    let filename = r.field(RequestField::Filename).map(String::from_utf8_lossy);
    // The file's extension matters only to a `| .ext` list.
    let ext = if config.has_extension_handlers(phase) {
        filename.as_deref().and_then(request_extension)
    } else {
        None
    };
    let (configured, used_ext) = config.handlers_with_ext(phase, ext.as_deref());
    let dynamic = crate::request::dynamic_handlers(r, phase);
    if configured.is_empty() && dynamic.is_empty() {
        return HookResult::Declined;
    }
    // The configured list as it is, unless the request added handlers or a wildcard or
    // regex section's directory must be resolved (then a copy).
    let plain = |h: &HandlerEntry| h.directory_kind == directives::DirectoryKind::Plain;
    let mut handlers = std::borrow::Cow::Borrowed(configured);
    if !dynamic.is_empty() || !configured.iter().all(plain) {
        let list = handlers.to_mut();
        list.extend(dynamic);
        // A handler from a wildcard or regex section gets the directory the section matched.
        if let Some(filename) = filename.as_deref() {
            directives::resolve_handler_directories(list, filename);
        }
    }
    let interpreter = interpreter_for(r, config, &handlers);
    let call = PhaseCall {
        phase,
        handlers: &handlers,
        config,
        interpreter: &interpreter,
        extension: if used_ext { ext.as_deref() } else { None },
    };
    run_phase(r, &call)
}

/// Phases (bits by `HandlerPhase` order) that a directive read by this process, or a
/// `req.add_handler` run in it, gave a handler: only those can have anything to run.
static POSSIBLE_PHASES: AtomicU32 = AtomicU32::new(0);

fn phase_bit(phase: HandlerPhase) -> u32 {
    1 << (phase as u32)
}

/// Records that `phase` may have handlers from now on (a handler directive was read, or a
/// handler added to a request).
pub fn note_phase_possible(phase: HandlerPhase) {
    POSSIBLE_PHASES.fetch_or(phase_bit(phase), Ordering::Relaxed);
}

/// Records that every phase may have handlers (`PythonHandlerModule`).
pub fn note_every_phase_possible() {
    POSSIBLE_PHASES.store(u32::MAX, Ordering::Relaxed);
}

/// Whether `phase` may have handlers in this process.
pub fn phase_possible(phase: HandlerPhase) -> bool {
    POSSIBLE_PHASES.load(Ordering::Relaxed) & phase_bit(phase) != 0
}

fn run_phase(r: &Request, call: &PhaseCall<'_>) -> HookResult {
    let context = |w: &mut dyn std::fmt::Write| {
        w.write_str(call.phase.directive())?;
        call.handlers
            .iter()
            .try_for_each(|h| write!(w, " {}", h.handler))
    };
    let site = CallSite {
        context: &context,
        log: LogTo::Request(r),
        timeout: call.config.request_timeout(),
        kind: match call.phase {
            HandlerPhase::Handler => status::Kind::Handler,
            _ => status::Kind::Phase,
        },
    };
    call_python(call.interpreter, &site, |py, interp| {
        dispatch(py, interp, r, call)
    })
    .map_or(HookResult::SERVER_ERROR, HookResult::from_raw)
}

/// The tuple `_dispatch` reads for one handler:
/// `(module, object or None, directory or None, is_location, silent)`.
pub(crate) fn handler_tuple<'py>(py: Python<'py>, h: &HandlerEntry) -> PyResult<'py, Obj<'py>> {
    py.tuple(vec![
        py.str(&h.handler.module)?,
        match &h.handler.object {
            Some(o) => py.str(o)?,
            None => py.none(),
        },
        match &h.directory {
            Some(d) => py.str(d)?,
            None => py.none(),
        },
        py.bool(h.is_location),
        py.bool(h.silent),
    ])
}

fn dispatch<'py>(
    py: Python<'py>,
    interp: &Arc<Interpreter>,
    r: &Request,
    call: &PhaseCall<'_>,
) -> PyResult<'py, i32> {
    let req = crate::request::request_object(py, interp, r)?;
    let phase = py.str(call.phase.directive())?;
    let handlers = call
        .handlers
        .iter()
        .map(|h| handler_tuple(py, h))
        .collect::<PyResult<'py, Vec<Obj<'py>>>>()?;
    let python_path = py.opt_str(call.config.python_path())?;
    let extension = py.opt_str(call.extension)?;
    let result = interp.apache_package(py).call_method(
        "_dispatch",
        vec![
            req,
            phase,
            py.list(handlers)?,
            py.bool(call.config.debug()),
            py.bool(call.config.auto_reload()),
            python_path,
            extension,
            py.bool(pdb_enabled(call.config)),
        ],
    )?;
    Ok(result
        .to_i64()?
        .clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32)
}

/// `PythonEnablePdb On` steps through handlers with pdb, as in mod_python only when httpd
/// runs in one process in the foreground (`-X`, `-DONE_PROCESS`), where a terminal is there.
fn pdb_enabled(config: &DirConfig) -> bool {
    config.flag(directives::Flag::EnablePdb)
        && bindings::module::config_define_exists("ONE_PROCESS")
}

/// Runs the `PythonImport` entries at child start, each in its interpreter: the module is
/// imported (with the main server's `PythonPath`) and its function, if named, called. Errors
/// are logged with the directive's file and line; they do not stop the child.
pub fn run_imports(
    s: &bindings::Server,
    imports: &[directives::ImportEntry],
    python_path: Option<&str>,
) {
    for entry in imports {
        let context = |w: &mut dyn std::fmt::Write| {
            write!(w, "PythonImport {} ({})", entry.module, entry.origin)
        };
        let site = CallSite {
            context: &context,
            log: LogTo::Server(s),
            timeout: None,
            kind: status::Kind::Import,
        };
        call_python(&entry.interpreter, &site, |py, interp| {
            let apache = interp.apache_package(py);
            if let Some(p) = python_path {
                apache.call_method("_set_path", vec![py.str(p)?, py.none(), py.bool(false)])?;
            }
            let function = py.opt_str(entry.module.object.as_deref())?;
            apache.call_method(
                "_import_dispatch",
                vec![py.str(&entry.module.module)?, function],
            )?;
            Ok(())
        });
    }
}

/// At child exit: runs `apache.register_cleanup` callables in every interpreter.
///
/// Skipped when the child is stopped in the middle of Python (prefork destroys the child's
/// pool from its SIGTERM handler, which may interrupt a handler): running Python there could
/// deadlock on the GIL or the registry, or re-enter the interrupted interpreter.
pub fn run_child_cleanups() {
    if interpreters::busy() || killed_mid_call() {
        return;
    }
    for interp in interpreters::all_if_free().unwrap_or_default() {
        interp.enter(|py| {
            let _ = interp
                .apache_package(py)
                .call_method("_run_child_cleanups", vec![]);
        });
    }
}
