//! `mod_python.so`: the module Apache loads as `python_module`: the directive table
//! ([`commands`]), the hooks ([`hooks`], with the few rules mod_python applies between
//! phases: `PythonInitHandler` once, the checks after `PythonAuthenHandler`, the order of
//! `PythonImport`s), and the configuration types from the `directives` crate; the rest of the
//! work happens in `directives` and `pyruntime`.

pub mod commands;
pub mod hooks;
pub mod recycle;
pub mod status_page;

use bindings::module::{Hook, HookOrder, ModuleCell, ModuleHooks, Phase};
use bindings::{HookResult, Pool, Request, Server};
use directives::{DirConfig, ServerConfig};

/// Marker type for our module.
pub struct PythonModule;

/// The module structure Apache finds with `LoadModule python_module .../mod_python.so`.
#[allow(non_upper_case_globals)]
#[no_mangle]
pub static python_module: ModuleCell =
    ModuleCell::new::<PythonModule, { commands::COUNT }>(c"mod_python.c", &commands::COMMANDS);

impl ModuleHooks for PythonModule {
    type DirConfig = DirConfig;
    type ServerConfig = ServerConfig;

    fn module() -> &'static ModuleCell {
        &python_module
    }

    const HOOKS: &'static [Hook] = &[
        Hook::PostConfig(HookOrder::Middle),
        Hook::ChildInit(HookOrder::Middle),
        Hook::Request(Phase::PostReadRequest, HookOrder::Middle),
        Hook::Request(Phase::TranslateName, HookOrder::Middle),
        Hook::Request(Phase::HeaderParser, HookOrder::Middle),
        Hook::Request(Phase::AccessChecker, HookOrder::Middle),
        Hook::Request(Phase::CheckUserId, HookOrder::Middle),
        Hook::Request(Phase::AuthChecker, HookOrder::Middle),
        Hook::Request(Phase::TypeChecker, HookOrder::Middle),
        Hook::Request(Phase::Fixups, HookOrder::Middle),
        Hook::Request(Phase::Handler, HookOrder::Middle),
        Hook::Request(Phase::LogTransaction, HookOrder::Middle),
        Hook::ProcessConnection(HookOrder::Middle),
    ];

    fn create_dir_config(dir: Option<&str>) -> DirConfig {
        DirConfig::for_section(dir)
    }

    fn merge_dir_config(base: &DirConfig, add: &DirConfig) -> DirConfig {
        base.merge(add)
    }

    fn create_server_config(_server: &Server) -> ServerConfig {
        ServerConfig::default()
    }

    fn merge_server_config(base: &ServerConfig, add: &ServerConfig) -> ServerConfig {
        base.merge(add)
    }

    fn request_phase(phase: Phase, r: &Request) -> HookResult {
        hooks::request_phase(phase, r)
    }

    fn post_config(pconf: &Pool, _ptemp: &Pool, s: &Server) -> HookResult {
        hooks::post_config(pconf, s)
    }

    fn process_connection(c: &bindings::Connection) -> HookResult {
        pyruntime::run_connection_handler(c)
    }

    fn output_filter(f: &bindings::Filter, bb: &mut bindings::Brigade) -> bindings::AprStatus {
        pyruntime::run_output_filter(f, bb)
    }

    fn include_directive(d: &mut bindings::module::IncludeDirective<'_>) -> bindings::AprStatus {
        pyruntime::run_include_directive(d)
    }

    fn input_filter(
        f: &bindings::Filter,
        bb: &mut bindings::Brigade,
        mode: bindings::InputMode,
        readbytes: i64,
    ) -> bindings::AprStatus {
        pyruntime::run_input_filter(f, bb, mode, readbytes)
    }

    fn child_init(pchild: &Pool, s: &Server) {
        hooks::child_init(pchild, s)
    }
}
