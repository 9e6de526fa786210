//! The hooks: start Python in the parent after configuration, re-initialise it after fork,
//! and run the `Python*Handler` lists in the request phases, with mod_python's per-phase
//! rules (the content phase only for `SetHandler mod_python`, `PythonInitHandler` before the
//! first phase that has one, the authentication checks).

use crate::PythonModule;
use bindings::module::{self, Phase};
use bindings::{rlog, slog, HookResult, LogLevel, Pool, Request, RequestField, Server};
use directives::HandlerPhase;
use pyruntime::{init, run_handlers};

/// `post_config`: start Python (once per process; not in the configuration-test pass).
pub fn post_config(pconf: &Pool, s: &Server) -> HookResult {
    if module::in_config_test_pass() {
        return HookResult::Ok;
    }
    if let Some((file, line)) = crate::commands::take_debug_on() {
        slog!(
            Some(s),
            LogLevel::Warning,
            "MPY0004: PythonDebug is On ({file}:{line}): tracebacks of failing handlers are \
             sent to clients. Turn it off on a public server."
        );
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
    // Filters registered from Python (req.register_*_filter) run under this name.
    module::register_output_filter::<PythonModule>(pyruntime::DYNAMIC_FILTER);
    module::register_input_filter::<PythonModule>(pyruntime::DYNAMIC_FILTER);
    // <!--#python exec/eval="..." --> in server-side includes, when mod_include is loaded.
    module::register_include_handler::<PythonModule>(c"python");
    pyruntime::set_config_access(pyruntime::ConfigAccess {
        dir: module::dir_config::<PythonModule>,
        server: module::server_config::<PythonModule>,
    });
    pyruntime::process::set_main_server(s);
    crate::recycle::configure(s);
    pyruntime::metrics::configure(s);
    pyruntime::mod_filter::learn_providers(&module::config_tree());
    let locks = module::server_config::<PythonModule>(s).map_or(8, |c| c.settings.mutex_locks());
    pyruntime::process::create_global_locks(s.process_pool(), locks);
    let optimize = module::server_config::<PythonModule>(s)
        .and_then(|c| c.optimize.as_ref())
        .is_some_and(|o| o.value);
    match init::initialize(optimize) {
        Ok(()) => {
            if optimize != init::running_optimized() {
                slog!(
                    Some(s),
                    LogLevel::Notice,
                    "mod_python: PythonOptimize {} takes effect when Apache is stopped and \
                     started again; Python keeps running {}",
                    if optimize { "On" } else { "Off" },
                    if init::running_optimized() {
                        "optimised"
                    } else {
                        "unoptimised"
                    }
                );
            }
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

/// `child_init`: tell Python it now runs in a forked child, re-attach the global mutexes,
/// run the `PythonImport`s, and arrange for `apache.register_cleanup` callables at exit.
pub fn child_init(pchild: &Pool, s: &Server) {
    init::after_fork();
    pyruntime::process::child_init_locks(pchild);
    crate::recycle::child_init(s);
    pyruntime::metrics::child_init(pchild, s);
    // The main server's imports run in reverse declaration order, as mod_python runs them.
    // mod_python silently ignores those written inside a <VirtualHost>; we run them too,
    // after, with the virtual host's PythonPath.
    let mut main_count = 0;
    let mut server = Some(s);
    while let Some(srv) = server {
        if let Some(config) = module::server_config::<PythonModule>(srv) {
            let own = config.imports.get(main_count.min(config.imports.len())..);
            let own: Vec<_> = own.unwrap_or_default().iter().rev().cloned().collect();
            if !srv.is_virtual() {
                main_count = config.imports.len();
            }
            let path = config
                .settings
                .python_path
                .as_ref()
                .map(|p| p.value.as_str());
            pyruntime::run_imports(srv, &own, path);
        }
        server = srv.next();
    }
    pchild.cleanup_register(pyruntime::run_child_cleanups);
}

/// True when the request is for us: `SetHandler mod_python` / `AddHandler mod_python .py`,
/// or the legacy name `python-program`.
fn is_ours(r: &Request) -> bool {
    matches!(
        r.field(RequestField::Handler),
        Some(b"mod_python") | Some(b"python-program")
    )
}

/// Runs `PythonInitHandler` as mod_python 3.5 does: at post-read-request, which notes that
/// it ran (`python_init_ran`, visible in `req.notes`), and at header-parser only for a
/// request whose post-read-request did not run (an internal redirect, a subrequest).
fn init_then(r: &Request, phase: HandlerPhase) -> HookResult {
    const INIT_RAN: &[u8] = b"python_init_ran";
    let has_init = pyruntime::phase_possible(HandlerPhase::Init)
        && module::dir_config::<PythonModule>(r)
            .is_some_and(|c| c.has_handlers(HandlerPhase::Init));
    let post_read = phase == HandlerPhase::PostReadRequest;
    let rc = if has_init && (post_read || r.notes().get(INIT_RAN).is_none()) {
        run_handlers(r, HandlerPhase::Init)
    } else {
        HookResult::Declined
    };
    if post_read {
        let _ = r.notes().set(INIT_RAN, b"1");
    }
    if !matches!(rc, HookResult::Ok | HookResult::Declined) {
        return rc;
    }
    run_handlers(r, phase)
}

/// mod_python's checks after `PythonAuthenHandler`: `OK` needs `req.user`, and
/// `HTTP_UNAUTHORIZED` asks the browser for Basic credentials.
fn authen(r: &Request) -> HookResult {
    let rc = run_handlers(r, HandlerPhase::Authen);
    match rc {
        HookResult::Ok if r.field(RequestField::User).is_none() => {
            rlog!(
                r,
                LogLevel::Err,
                "python_handler: After PythonAuthenHandler req->user is NULL. Assign something \
                 to req.user if returning OK to avoid this error."
            );
            HookResult::SERVER_ERROR
        }
        HookResult::Status(401) => {
            r.note_basic_auth_failure();
            // Apache 2.4 leaves the header to mod_auth_basic; mod_python 3.5 relied on
            // 2.2 adding it. Add it when Basic is configured and nobody did.
            let basic = r
                .auth_type()
                .is_some_and(|t| t.eq_ignore_ascii_case(b"basic"));
            if basic && r.err_headers_out().get(b"WWW-Authenticate").is_none() {
                let realm = String::from_utf8_lossy(r.auth_name().unwrap_or(b"")).replace('"', "");
                let _ = r.err_headers_out().set(
                    b"WWW-Authenticate",
                    format!("Basic realm=\"{realm}\"").as_bytes(),
                );
            }
            rc
        }
        other => other,
    }
}

/// mod_python's storage shortcut, at translate-name after `PythonTransHandler`: when the
/// handlers of the request's `<Location>` came from that section, there is no file to find,
/// so the URI counts as translated (`OK`): no filename is set, and the filesystem walk, with
/// its `<Directory>` sections and `.htaccess` files, finds nothing to apply.
fn location_shortcut(r: &Request) -> HookResult {
    match module::dir_config::<PythonModule>(r) {
        Some(config) if config.is_location => HookResult::Ok,
        _ => HookResult::Declined,
    }
}

/// A request phase.
pub fn request_phase(phase: Phase, r: &Request) -> HookResult {
    match phase {
        Phase::PostReadRequest => init_then(r, HandlerPhase::PostReadRequest),
        Phase::TranslateName => match run_handlers(r, HandlerPhase::Trans) {
            HookResult::Declined => location_shortcut(r),
            other => other,
        },
        Phase::HeaderParser => init_then(r, HandlerPhase::HeaderParser),
        Phase::AccessChecker => run_handlers(r, HandlerPhase::Access),
        Phase::CheckUserId => authen(r),
        Phase::AuthChecker => run_handlers(r, HandlerPhase::Authz),
        Phase::TypeChecker => run_handlers(r, HandlerPhase::Type),
        Phase::Fixups => run_handlers(r, HandlerPhase::Fixup),
        Phase::Handler if is_ours(r) => run_handlers(r, HandlerPhase::Handler),
        Phase::Handler if r.field(RequestField::Handler) == Some(crate::status_page::HANDLER) => {
            crate::status_page::handle(r)
        }
        Phase::Handler => HookResult::Declined,
        Phase::LogTransaction => {
            let rc = run_handlers(r, HandlerPhase::Log);
            crate::recycle::after_request(r);
            rc
        }
    }
}
