//! Declaring an Apache module from Rust: the `module` structure and its configuration
//! slots here; the directive table (`command`), hook and filter registration (`hooks`),
//! what the running server reports (`server_state`), the parsed configuration tree
//! (`conftree`) and server-side include tags (`include`) beside it. Every C entry point is
//! written once, as a generic trampoline.
//!
//! The module crate implements [`ModuleHooks`] for a marker type, builds a [`CommandTable`]
//! of [`Command`]s, and exports a [`ModuleCell`] under the name Apache's `LoadModule` looks
//! for. Configuration values live in pool memory and are dropped by pool cleanups.
//! See <https://httpd.apache.org/docs/2.4/developer/modguide.html>.

mod command;
mod conftree;
mod hooks;
mod include;
mod server_state;

pub use command::{
    Cmd, Command, CommandTable, DirError, DirResult, DirectiveFn, FlagFn, Override, Str12Fn,
    Str2Fn, StrFn,
};
pub use conftree::{config_tree, ConfigNode};
pub use hooks::{register_input_filter, register_output_filter, Hook, HookOrder, Phase};
pub use include::{register_include_handler, IncludeDirective};
pub use server_state::{
    accept_dump_signal, add_version_component, config_define_exists, current_thread_id,
    dump_requested, in_config_test_pass, install_dump_signal, limit_connections_per_child,
    max_connections_per_child, module_loaded, module_magic_number, mpm_generation, mpm_hard_limits,
    mpm_is_threaded, mpm_query, mpm_stopping, restart_time, retire_child_gracefully,
    server_description,
};

use crate::error::HookResult;
use crate::pool::Pool;
use crate::request::Request;
use crate::server::Server;
use crate::sys;
use crate::trampoline::catch_unwind_or_report;
use std::cell::UnsafeCell;
use std::ffi::{c_char, c_int, c_void, CStr};
use std::marker::PhantomData;

/// What a Rust module provides to Apache. Every method runs behind a trampoline that
/// catches panics (a panic in a request hook becomes a logged 500).
pub trait ModuleHooks: Sized + 'static {
    /// Per-directory configuration (`<Directory>`, `<Location>`, `.htaccess`, ...).
    type DirConfig: Send + 'static;
    /// Per-server configuration (main server and each virtual host).
    type ServerConfig: Send + 'static;
    /// The exported module structure.
    fn module() -> &'static ModuleCell;
    /// Hooks to register.
    const HOOKS: &'static [Hook];
    /// A new per-directory config; `dir` is the section's path (`None` at server level).
    fn create_dir_config(dir: Option<&str>) -> Self::DirConfig;
    /// Merges a more specific section (`add`) over its parent (`base`).
    fn merge_dir_config(base: &Self::DirConfig, add: &Self::DirConfig) -> Self::DirConfig;
    /// A new per-server config.
    fn create_server_config(server: &Server) -> Self::ServerConfig;
    /// Merges a virtual host's config (`add`) over the main server's (`base`).
    fn merge_server_config(
        base: &Self::ServerConfig,
        add: &Self::ServerConfig,
    ) -> Self::ServerConfig;
    /// A request phase hook.
    fn request_phase(_phase: Phase, _r: &Request) -> HookResult {
        HookResult::Declined
    }
    /// `post_config`: after the configuration is read, in the parent.
    fn post_config(_pconf: &Pool, _ptemp: &Pool, _s: &Server) -> HookResult {
        HookResult::Ok
    }
    /// `child_init`: in each new child process (or after fork).
    fn child_init(_pchild: &Pool, _s: &Server) {}
    /// An input filter registered with [`register_input_filter`] is asked for data (mode,
    /// blocking, bytes wanted); the answer is an APR status.
    fn input_filter(
        f: &crate::Filter,
        bb: &mut crate::Brigade,
        mode: crate::InputMode,
        readbytes: i64,
    ) -> crate::AprStatus {
        crate::AprStatus::of(f.get_brigade(bb, mode, true, readbytes))
    }
    /// `process_connection`: `Ok` when the module served the connection itself.
    fn process_connection(_c: &crate::Connection) -> HookResult {
        HookResult::Declined
    }
    /// An output filter registered with [`register_output_filter`] got a brigade; the
    /// answer is an APR status.
    fn output_filter(f: &crate::Filter, bb: &mut crate::Brigade) -> crate::AprStatus {
        crate::AprStatus::of(f.pass_brigade(bb))
    }
    /// A `<!--#tag ... -->` registered with [`register_include_handler`] is being
    /// processed; the answer is an APR status.
    fn include_directive(_d: &mut IncludeDirective<'_>) -> crate::AprStatus {
        crate::AprStatus::SUCCESS
    }
}

/// The `module` structure, in writable memory as Apache requires.
#[repr(transparent)]
pub struct ModuleCell(UnsafeCell<sys::module>);

// SAFETY: Apache writes the structure only while loading modules, single-threaded, before any
// request thread exists; afterwards it is only read.
unsafe impl Sync for ModuleCell {}

impl ModuleCell {
    /// The structure for module `M`, named `name` (conventionally the C file name).
    pub const fn new<M: ModuleHooks, const N: usize>(
        name: &'static CStr,
        commands: &'static CommandTable<M, N>,
    ) -> ModuleCell {
        ModuleCell(UnsafeCell::new(sys::module {
            version: sys::MODULE_MAGIC_NUMBER_MAJOR as c_int,
            minor_version: sys::MODULE_MAGIC_NUMBER_MINOR as c_int,
            module_index: -1,
            name: name.as_ptr(),
            dynamic_load_handle: std::ptr::null_mut(),
            next: std::ptr::null_mut(),
            magic: sys::MODULE_MAGIC_COOKIE as std::ffi::c_ulong,
            rewrite_args: None,
            create_dir_config: Some(create_dir_config::<M>),
            merge_dir_config: Some(merge_dir_config::<M>),
            create_server_config: Some(create_server_config::<M>),
            merge_server_config: Some(merge_server_config::<M>),
            cmds: commands.cmds.as_ptr(),
            register_hooks: Some(hooks::register_hooks::<M>),
            flags: 0,
        }))
    }

    fn as_raw(&self) -> *mut sys::module {
        self.0.get()
    }

    fn index(&self) -> i32 {
        // SAFETY: module_index is written by Apache at load time, before any hook runs.
        unsafe { (*self.as_raw()).module_index }
    }
}

/// The per-directory config Apache merged for this request.
pub fn dir_config<M: ModuleHooks>(r: &Request) -> Option<&M::DirConfig> {
    let m = M::module().as_raw();
    // The config lives in a pool that outlives the request.
    // SAFETY: our per_dir_config slot holds NULL or an M::DirConfig from our create/merge fns.
    unsafe {
        let p = sys::module_config(r.per_dir_config_raw(), m) as *const M::DirConfig;
        p.as_ref()
    }
}

/// The per-server config of `s`.
pub fn server_config<M: ModuleHooks>(s: &Server) -> Option<&M::ServerConfig> {
    let m = M::module().as_raw();
    // SAFETY: our slot holds NULL or an M::ServerConfig made by our create/merge functions.
    unsafe {
        let p = sys::module_config(s.module_config_raw(), m) as *const M::ServerConfig;
        p.as_ref()
    }
}

unsafe extern "C" fn create_dir_config<M: ModuleHooks>(
    p: *mut sys::apr_pool_t,
    dir: *mut c_char,
) -> *mut c_void {
    catch_unwind_or_report("create_dir_config", std::ptr::null_mut(), || {
        // SAFETY: Apache passes a live pool and a NUL-terminated section path or NULL.
        let (pool, dir) = unsafe { (Pool::from_raw(p), crate::strings::opt_bytes(dir)) };
        let dir = dir.and_then(|d| std::str::from_utf8(d).ok());
        pool.alloc(M::create_dir_config(dir)) as *mut M::DirConfig as *mut c_void
    })
}

/// Merges two configs of type `T` made by our create/merge functions into a new one in `p`.
///
/// # Safety
/// `p` is a live pool; `base` and `add` point to `T`s made by our create/merge functions.
unsafe fn merge_in_pool<T: Send + 'static>(
    what: &str,
    p: *mut sys::apr_pool_t,
    base: *mut c_void,
    add: *mut c_void,
    merge: fn(&T, &T) -> T,
) -> *mut c_void {
    catch_unwind_or_report(what, add, || {
        // A NULL config is one whose creation failed (and was reported): keep the other.
        let (base, add) = match (base.is_null(), add.is_null()) {
            (true, _) => return add,
            (_, true) => return base,
            _ => (base as *const T, add as *const T),
        };
        // SAFETY: as the caller promises, and both are non-NULL.
        let (pool, base, add) = unsafe { (Pool::from_raw(p), &*base, &*add) };
        pool.alloc(merge(base, add)) as *mut T as *mut c_void
    })
}

unsafe extern "C" fn merge_dir_config<M: ModuleHooks>(
    p: *mut sys::apr_pool_t,
    base: *mut c_void,
    add: *mut c_void,
) -> *mut c_void {
    // SAFETY: Apache passes two configs made by create/merge_dir_config::<M> and a live pool.
    unsafe { merge_in_pool("merge_dir_config", p, base, add, M::merge_dir_config) }
}

unsafe extern "C" fn create_server_config<M: ModuleHooks>(
    p: *mut sys::apr_pool_t,
    s: *mut sys::server_rec,
) -> *mut c_void {
    catch_unwind_or_report("create_server_config", std::ptr::null_mut(), || {
        // SAFETY: Apache passes a live pool and the server_rec being created.
        let (pool, server) = unsafe { (Pool::from_raw(p), Server::from_raw(s)) };
        pool.alloc(M::create_server_config(server)) as *mut M::ServerConfig as *mut c_void
    })
}

unsafe extern "C" fn merge_server_config<M: ModuleHooks>(
    p: *mut sys::apr_pool_t,
    base: *mut c_void,
    add: *mut c_void,
) -> *mut c_void {
    // SAFETY: Apache passes two configs made by create/merge_server_config::<M>, a live pool.
    unsafe { merge_in_pool("merge_server_config", p, base, add, M::merge_server_config) }
}
