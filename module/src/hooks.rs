//! The hooks: start Python in the parent after configuration, re-initialise it after fork,
//! and run `PythonHandler` in the content phase for `SetHandler mod_python`.

use crate::PythonModule;
use bindings::module::{self, Phase};
use bindings::{rlog, slog, HookResult, LogLevel, Pool, Request, RequestField, Server};
use directives::{DirConfig, HandlerEntry, HandlerPhase};
use pyruntime::{init, PhaseCall};

/// `post_config`: start Python (once per process; not in the configuration-test pass).
pub fn post_config(pconf: &Pool, s: &Server) -> HookResult {
    if module::in_config_test_pass() {
        return HookResult::Ok;
    }
    if module::module_loaded("mod_wsgi.c") {
        slog!(
            Some(s),
            LogLevel::Crit,
            "MPY0003: mod_python and mod_wsgi cannot run in one Apache: both embed Python. \
             Load only one of them."
        );
        return HookResult::SERVER_ERROR;
    }
    module::add_version_component(pconf, "mod_python/3.5.0-rs");
    pyruntime::set_config_access(pyruntime::ConfigAccess {
        dir: module::dir_config::<PythonModule>,
        server: module::server_config::<PythonModule>,
    });
    match init::initialize() {
        Ok(()) => {
            module::add_version_component(pconf, &format!("Python/{}", init::runtime_version()));
            slog!(
                Some(s),
                LogLevel::Info,
                "mod_python: Python {} initialised (home {})",
                init::runtime_version(),
                init::PYTHON_HOME
            );
            HookResult::Ok
        }
        Err(e) => {
            slog!(Some(s), LogLevel::Crit, "{e}");
            HookResult::SERVER_ERROR
        }
    }
}

/// `child_init`: tell Python it now runs in a forked child.
pub fn child_init() {
    init::after_fork();
}

/// True when the request is for us: `SetHandler mod_python` / `AddHandler mod_python .py`,
/// or the legacy name `python-program`.
fn is_ours(r: &Request) -> bool {
    matches!(
        r.field(RequestField::Handler),
        Some(b"mod_python") | Some(b"python-program")
    )
}

/// The extension of the request's file (`.py`), for `| .ext` handler lists.
fn file_extension(r: &Request) -> Option<String> {
    let filename = r.field(RequestField::Filename)?;
    let base = filename.rsplit(|&b| b == b'/').next()?;
    let dot = base.iter().rposition(|&b| b == b'.')?;
    std::str::from_utf8(&base[dot..]).ok().map(str::to_string)
}

/// A request phase.
pub fn request_phase(phase: Phase, r: &Request) -> HookResult {
    match phase {
        Phase::Handler => content_handler(r),
        _ => HookResult::Declined,
    }
}

fn content_handler(r: &Request) -> HookResult {
    if !is_ours(r) {
        return HookResult::Declined;
    }
    let Some(config) = module::dir_config::<PythonModule>(r) else {
        return HookResult::Declined;
    };
    let ext = file_extension(r);
    let handlers = config.handlers_for(HandlerPhase::Handler, ext.as_deref());
    if handlers.is_empty() {
        rlog!(
            r,
            LogLevel::Debug,
            "mod_python: no PythonHandler configured for this request"
        );
        return HookResult::Declined;
    }
    let interpreter = interpreter_for(r, config, handlers);
    let call = PhaseCall {
        phase: HandlerPhase::Handler,
        handlers,
        config,
        interpreter: &interpreter,
    };
    pyruntime::run_phase(r, &call)
}

/// The interpreter for a handler list, by mod_python's rules (`PythonInterpreter`, per
/// directory, per directive, else the virtual host's name).
fn interpreter_for(r: &Request, config: &DirConfig, handlers: &[HandlerEntry]) -> String {
    let server_name = r
        .server()
        .server_hostname()
        .map(|h| String::from_utf8_lossy(h).into_owned())
        .unwrap_or_default();
    let file_dir = r.field(RequestField::Filename).map(|f| {
        let f = String::from_utf8_lossy(f);
        match f.rfind('/') {
            Some(i) => f[..=i].to_string(),
            None => f.into_owned(),
        }
    });
    let handler_dir = handlers.first().and_then(|h| h.directory.as_deref());
    config.interpreter_name(&server_name, file_dir.as_deref(), handler_dir)
}
