//! Declaring an Apache module from Rust: the `module` structure, the directive table and
//! hook registration, with every C entry point written once here as a generic trampoline.
//!
//! The module crate implements [`ModuleHooks`] for a marker type, builds a [`CommandTable`]
//! of [`Command`]s, and exports a [`ModuleCell`] under the name Apache's `LoadModule` looks
//! for. Configuration values live in pool memory and are dropped by pool cleanups.
//! See <https://httpd.apache.org/docs/2.4/developer/modguide.html>.

use crate::error::HookResult;
use crate::pool::Pool;
use crate::request::Request;
use crate::server::Server;
use crate::sys;
use crate::trampoline::catch_unwind_or_report;
use std::cell::UnsafeCell;
use std::ffi::{c_char, c_int, c_void, CStr};
use std::marker::PhantomData;

/// The request phases Apache lets a module hook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Phase {
    /// `post_read_request`
    PostReadRequest = 0,
    /// `translate_name`
    TranslateName = 1,
    /// `header_parser`
    HeaderParser = 2,
    /// `access_checker`
    AccessChecker = 3,
    /// `check_user_id` (authentication)
    CheckUserId = 4,
    /// `auth_checker` (authorization)
    AuthChecker = 5,
    /// `type_checker`
    TypeChecker = 6,
    /// `fixups`
    Fixups = 7,
    /// `handler` (content generation)
    Handler = 8,
    /// `log_transaction`
    LogTransaction = 9,
}

impl Phase {
    const ALL: [Phase; 10] = [
        Phase::PostReadRequest,
        Phase::TranslateName,
        Phase::HeaderParser,
        Phase::AccessChecker,
        Phase::CheckUserId,
        Phase::AuthChecker,
        Phase::TypeChecker,
        Phase::Fixups,
        Phase::Handler,
        Phase::LogTransaction,
    ];

    fn from_u8(p: u8) -> Phase {
        Phase::ALL[usize::from(p) % Phase::ALL.len()]
    }
}

/// Where a hook runs relative to other modules' hooks (`APR_HOOK_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookOrder {
    /// `APR_HOOK_REALLY_FIRST`
    ReallyFirst,
    /// `APR_HOOK_FIRST`
    First,
    /// `APR_HOOK_MIDDLE`
    Middle,
    /// `APR_HOOK_LAST`
    Last,
    /// `APR_HOOK_REALLY_LAST`
    ReallyLast,
}

impl HookOrder {
    fn raw(self) -> c_int {
        // bindgen types REALLY_FIRST (negative) as i32 and the others as u32.
        match self {
            HookOrder::ReallyFirst => sys::APR_HOOK_REALLY_FIRST,
            HookOrder::First => sys::APR_HOOK_FIRST as c_int,
            HookOrder::Middle => sys::APR_HOOK_MIDDLE as c_int,
            HookOrder::Last => sys::APR_HOOK_LAST as c_int,
            HookOrder::ReallyLast => sys::APR_HOOK_REALLY_LAST as c_int,
        }
    }
}

/// One hook a module wants registered.
#[derive(Debug, Clone, Copy)]
pub enum Hook {
    /// A request phase, answered by [`ModuleHooks::request_phase`].
    Request(Phase, HookOrder),
    /// `post_config`, answered by [`ModuleHooks::post_config`].
    PostConfig(HookOrder),
    /// `child_init`, answered by [`ModuleHooks::child_init`].
    ChildInit(HookOrder),
    /// `process_connection`, answered by [`ModuleHooks::process_connection`].
    ProcessConnection(HookOrder),
}

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
    fn input_filter(f: &crate::Filter, bb: &mut crate::Brigade, mode: u32, readbytes: i64) -> i32 {
        match f.get_brigade(bb, mode, true, readbytes) {
            Ok(()) => 0,
            Err(_) => sys::APR_EGENERAL as i32,
        }
    }
    /// `process_connection`: `Ok` when the module served the connection itself.
    fn process_connection(_c: &crate::Connection) -> HookResult {
        HookResult::Declined
    }
    /// An output filter registered with [`register_output_filter`] got a brigade; the
    /// answer is an APR status.
    fn output_filter(f: &crate::Filter, bb: &mut crate::Brigade) -> i32 {
        match f.pass_brigade(bb) {
            Ok(()) => 0,
            Err(_) => sys::APR_EGENERAL as i32,
        }
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
            register_hooks: Some(register_hooks::<M>),
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

/// The directive table: [`Command`]s ending with [`Command::END`].
pub struct CommandTable<M, const N: usize> {
    cmds: [sys::command_rec; N],
    _module: PhantomData<M>,
}

// SAFETY: the table is immutable after construction and only read by Apache.
unsafe impl<M, const N: usize> Sync for CommandTable<M, N> {}

impl<M: ModuleHooks, const N: usize> CommandTable<M, N> {
    /// Builds the table; the last entry must be [`Command::END`] (checked at compile time).
    pub const fn new(commands: [Command<M>; N]) -> Self {
        assert!(
            N > 0 && commands[N - 1].raw.name.is_null(),
            "end with Command::END"
        );
        // Command<M> is a transparent wrapper, so the array converts element by element.
        let mut cmds = [sys::command_rec {
            name: std::ptr::null(),
            func: sys::cmd_func { no_args: None },
            cmd_data: std::ptr::null_mut(),
            req_override: 0,
            args_how: 0,
            errmsg: std::ptr::null(),
        }; N];
        let mut i = 0;
        while i < N {
            cmds[i] = commands[i].raw;
            i += 1;
        }
        CommandTable {
            cmds,
            _module: PhantomData,
        }
    }
}

/// A directive handler taking one string (the raw line, or one word).
pub type StrFn<M> = fn(&mut Cmd<'_, M>, &mut <M as ModuleHooks>::DirConfig, &str) -> DirResult;
/// A directive handler taking one or two words.
pub type Str12Fn<M> =
    fn(&mut Cmd<'_, M>, &mut <M as ModuleHooks>::DirConfig, &str, Option<&str>) -> DirResult;
/// A directive handler taking two words.
pub type Str2Fn<M> =
    fn(&mut Cmd<'_, M>, &mut <M as ModuleHooks>::DirConfig, &str, &str) -> DirResult;
/// A directive handler taking On/Off.
pub type FlagFn<M> = fn(&mut Cmd<'_, M>, &mut <M as ModuleHooks>::DirConfig, bool) -> DirResult;
/// What a directive handler returns: an error is the sentence Apache prints.
pub type DirResult = Result<(), String>;

/// Returned as a directive handler's error, lets the next module that knows the directive
/// handle it too (Apache's `DECLINE_CMD`): how a module observes another module's directive.
pub const DECLINE: &str = "\x07\x08";

/// What the words of a directive are handed to, by argument shape.
pub enum DirectiveFn<M: ModuleHooks> {
    /// The whole rest of the line, unparsed (`RAW_ARGS`).
    RawArgs(StrFn<M>),
    /// Exactly one word (`TAKE1`).
    Take1(StrFn<M>),
    /// One or two words (`TAKE12`).
    Take12(Str12Fn<M>),
    /// Exactly two words (`TAKE2`).
    Take2(Str2Fn<M>),
    /// `On` or `Off` (`FLAG`).
    Flag(FlagFn<M>),
}

/// One directive of the table.
#[repr(transparent)]
pub struct Command<M> {
    raw: sys::command_rec,
    _module: PhantomData<M>,
}

impl<M: ModuleHooks> Command<M> {
    /// The terminating entry.
    pub const END: Command<M> = Command {
        raw: sys::command_rec {
            name: std::ptr::null(),
            func: sys::cmd_func { no_args: None },
            cmd_data: std::ptr::null_mut(),
            req_override: 0,
            args_how: 0,
            errmsg: std::ptr::null(),
        },
        _module: PhantomData,
    };

    /// A directive `name`, allowed where `req_override` says (`RSRC_CONF`, `ACCESS_CONF`,
    /// `OR_*`), handled by `f`, with `help` shown by Apache on misuse.
    pub const fn new(
        name: &'static CStr,
        f: &'static DirectiveFn<M>,
        req_override: u32,
        help: &'static CStr,
    ) -> Command<M> {
        let (func, args_how) = match f {
            DirectiveFn::RawArgs(_) => (
                sys::cmd_func {
                    raw_args: Some(cmd_raw_args::<M>),
                },
                sys::RAW_ARGS,
            ),
            DirectiveFn::Take1(_) => (
                sys::cmd_func {
                    take1: Some(cmd_take1::<M>),
                },
                sys::TAKE1,
            ),
            DirectiveFn::Take12(_) => (
                sys::cmd_func {
                    take2: Some(cmd_take2::<M>),
                },
                sys::TAKE12,
            ),
            DirectiveFn::Take2(_) => (
                sys::cmd_func {
                    take2: Some(cmd_take2::<M>),
                },
                sys::TAKE2,
            ),
            DirectiveFn::Flag(_) => (
                sys::cmd_func {
                    flag: Some(cmd_flag::<M>),
                },
                sys::FLAG,
            ),
        };
        Command {
            raw: sys::command_rec {
                name: name.as_ptr(),
                func,
                cmd_data: f as *const DirectiveFn<M> as *mut c_void,
                req_override: req_override as c_int,
                args_how,
                errmsg: help.as_ptr(),
            },
            _module: PhantomData,
        }
    }
}

/// What a directive handler knows about where the directive was written.
pub struct Cmd<'a, M: ModuleHooks> {
    raw: &'a sys::cmd_parms,
    _module: PhantomData<M>,
}

impl<M: ModuleHooks> Cmd<'_, M> {
    fn text(&self, p: *const c_char) -> Option<&str> {
        // SAFETY: configuration strings are NUL-terminated and live in the config pool.
        unsafe { crate::strings::opt_bytes(p) }.and_then(|b| std::str::from_utf8(b).ok())
    }

    /// The methods a surrounding `<Limit>`/`<LimitExcept>` restricts the directive to, as a
    /// bit mask by method number (all bits set outside such a section).
    pub fn limited_methods(&self) -> i64 {
        self.raw.limited
    }

    /// The directive's name as written.
    pub fn directive_name(&self) -> &str {
        // SAFETY: cmd points at our own command_rec for the duration of the call.
        self.text(unsafe { (*self.raw.cmd).name }).unwrap_or("")
    }

    /// The enclosing section's path (`<Directory /x>` → `/x`); `None` at server level.
    pub fn path(&self) -> Option<&str> {
        self.text(self.raw.path)
    }

    /// The enclosing sections, innermost first: each section's directive as written (e.g.
    /// `<Directory`) and its arguments (e.g. `"/srv/app">`).
    pub fn sections(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let d = self.raw.directive;
        // SAFETY: the directive tree lives in the config pool; we follow parent links up to NULL.
        unsafe {
            let mut p = if d.is_null() { d } else { (*d).parent };
            while !p.is_null() {
                let name = self.text((*p).directive).unwrap_or("").to_string();
                let args = self.text((*p).args).unwrap_or("").to_string();
                out.push((name, args));
                p = (*p).parent;
            }
        }
        out
    }

    /// The `.htaccess` file being read, when the directive comes from one.
    pub fn htaccess_file(&self) -> Option<&str> {
        let f = self.raw.config_file;
        if f.is_null() {
            return None;
        }
        // SAFETY: a non-NULL config_file is the open .htaccess file, alive during the call.
        self.text(unsafe { (*f).name })
    }

    /// The configuration file the directive is in.
    pub fn file(&self) -> Option<&str> {
        let d = self.raw.directive;
        if d.is_null() {
            return None;
        }
        // SAFETY: as in `section`.
        self.text(unsafe { (*d).filename })
    }

    /// The line of the directive.
    pub fn line(&self) -> u32 {
        let d = self.raw.directive;
        if d.is_null() {
            return 0;
        }
        // SAFETY: as in `section`.
        u32::try_from(unsafe { (*d).line_num }).unwrap_or(0)
    }

    /// The (virtual) server being configured.
    pub fn server(&self) -> &Server {
        // SAFETY: cmd->server is the server_rec being configured.
        unsafe { Server::from_raw(self.raw.server) }
    }

    /// The module's configuration of the server being configured, while the server's
    /// configuration is read (one directive at a time). `None` for a directive read from an
    /// `.htaccess` file: those are read at request time, on many threads at once, so the
    /// shared server configuration is not theirs to change.
    pub fn server_config(&mut self) -> Option<&mut M::ServerConfig> {
        if self.htaccess_file().is_some() {
            return None;
        }
        let m = M::module().as_raw();
        // Start-up reads the configuration on one thread, one directive at a time, and
        // &mut self keeps this borrow unique; the slot is NULL if creating it failed.
        // SAFETY: the slot holds NULL or the M::ServerConfig made by create_server_config::<M>.
        unsafe {
            (sys::module_config(self.server().module_config_raw(), m) as *mut M::ServerConfig)
                .as_mut()
        }
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

fn error_text(pool: *mut sys::apr_pool_t, name: &str, msg: &str) -> *const c_char {
    let text = if msg.starts_with(name) {
        msg.to_string()
    } else {
        format!("{name}: {msg}")
    };
    // SAFETY: the pool is the command's pool, alive while Apache reports the error.
    let pool = unsafe { Pool::from_raw(pool) };
    pool.strdup(text.replace('\0', "\\0").as_bytes())
        .unwrap_or(std::ptr::null_mut())
}

/// Runs a directive handler and turns its result into Apache's error string (NULL = ok).
///
/// # Safety
/// `cmd` and `mconfig` are what Apache passed to a command of module `M`.
unsafe fn run_directive<M: ModuleHooks>(
    cmd: *mut sys::cmd_parms,
    mconfig: *mut c_void,
    f: impl FnOnce(&DirectiveFn<M>, &mut Cmd<'_, M>, &mut M::DirConfig) -> Result<(), String>,
) -> *const c_char {
    // SAFETY: Apache passes a valid cmd_parms; its info is the DirectiveFn<M> of the command.
    let (parms, spec) = unsafe { (&*cmd, &*((*cmd).info as *const DirectiveFn<M>)) };
    let mut ctx = Cmd {
        raw: parms,
        _module: PhantomData,
    };
    let name = ctx.directive_name().to_string();
    let result = catch_unwind_or_report(&name, Err("internal error".to_string()), || {
        // mconfig is the M::DirConfig that create_dir_config::<M> made for this section, or
        // NULL when making it failed (already reported).
        // SAFETY: a live config of this section, or NULL.
        let Some(dir) = (unsafe { (mconfig as *mut M::DirConfig).as_mut() }) else {
            return Err("the section's configuration could not be created".to_string());
        };
        f(spec, &mut ctx, dir)
    });
    match result {
        Ok(()) => std::ptr::null(),
        Err(msg) if msg == DECLINE => c"\x07\x08".as_ptr(),
        Err(msg) => error_text(parms.pool, &name, &msg),
    }
}

fn arg_text<'a>(p: *const c_char) -> Result<&'a str, String> {
    // SAFETY: Apache passes NUL-terminated words that live in the config pool.
    let bytes = unsafe { crate::strings::opt_bytes(p) }.unwrap_or(b"");
    std::str::from_utf8(bytes).map_err(|_| "arguments must be valid UTF-8".to_string())
}

unsafe extern "C" fn cmd_raw_args<M: ModuleHooks>(
    cmd: *mut sys::cmd_parms,
    mconfig: *mut c_void,
    args: *const c_char,
) -> *const c_char {
    // SAFETY: called by Apache for a RAW_ARGS or TAKE1 command of M.
    unsafe {
        run_directive::<M>(cmd, mconfig, |spec, ctx, dir| match spec {
            DirectiveFn::RawArgs(f) | DirectiveFn::Take1(f) => f(ctx, dir, arg_text(args)?),
            _ => Err("directive table mismatch".into()),
        })
    }
}

unsafe extern "C" fn cmd_take1<M: ModuleHooks>(
    cmd: *mut sys::cmd_parms,
    mconfig: *mut c_void,
    arg: *const c_char,
) -> *const c_char {
    // SAFETY: same contract as cmd_raw_args.
    unsafe { cmd_raw_args::<M>(cmd, mconfig, arg) }
}

unsafe extern "C" fn cmd_take2<M: ModuleHooks>(
    cmd: *mut sys::cmd_parms,
    mconfig: *mut c_void,
    a1: *const c_char,
    a2: *const c_char,
) -> *const c_char {
    // SAFETY: called by Apache for a TAKE12 or TAKE2 command of M; a2 may be NULL for TAKE12.
    unsafe {
        run_directive::<M>(cmd, mconfig, |spec, ctx, dir| match spec {
            DirectiveFn::Take12(f) => {
                let second = if a2.is_null() {
                    None
                } else {
                    Some(arg_text(a2)?)
                };
                f(ctx, dir, arg_text(a1)?, second)
            }
            DirectiveFn::Take2(f) => f(ctx, dir, arg_text(a1)?, arg_text(a2)?),
            _ => Err("directive table mismatch".into()),
        })
    }
}

unsafe extern "C" fn cmd_flag<M: ModuleHooks>(
    cmd: *mut sys::cmd_parms,
    mconfig: *mut c_void,
    on: c_int,
) -> *const c_char {
    // SAFETY: called by Apache for a FLAG command of M.
    unsafe {
        run_directive::<M>(cmd, mconfig, |spec, ctx, dir| match spec {
            DirectiveFn::Flag(f) => f(ctx, dir, on != 0),
            _ => Err("directive table mismatch".into()),
        })
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

unsafe extern "C" fn request_hook<M: ModuleHooks, const P: u8>(r: *mut sys::request_rec) -> c_int {
    // SAFETY: Apache passes the live request_rec to a request hook on its own thread.
    let req = unsafe { Request::from_raw(r) };
    let phase = Phase::from_u8(P);
    catch_unwind_or_report("request hook", HookResult::SERVER_ERROR, || {
        M::request_phase(phase, req)
    })
    .to_raw()
}

unsafe extern "C" fn post_config<M: ModuleHooks>(
    pconf: *mut sys::apr_pool_t,
    _plog: *mut sys::apr_pool_t,
    ptemp: *mut sys::apr_pool_t,
    s: *mut sys::server_rec,
) -> c_int {
    catch_unwind_or_report("post_config", HookResult::SERVER_ERROR, || {
        // SAFETY: Apache passes live pools and the main server_rec.
        let (pconf, ptemp, s) = unsafe {
            (
                Pool::from_raw(pconf),
                Pool::from_raw(ptemp),
                Server::from_raw(s),
            )
        };
        M::post_config(pconf, ptemp, s)
    })
    .to_raw()
}

unsafe extern "C" fn child_init<M: ModuleHooks>(p: *mut sys::apr_pool_t, s: *mut sys::server_rec) {
    catch_unwind_or_report("child_init", (), || {
        // SAFETY: Apache passes the child pool and the main server_rec.
        let (pool, s) = unsafe { (Pool::from_raw(p), Server::from_raw(s)) };
        M::child_init(pool, s)
    })
}

type RequestHookFn = unsafe extern "C" fn(*mut sys::request_rec) -> c_int;

fn request_trampoline<M: ModuleHooks>(phase: Phase) -> RequestHookFn {
    match phase {
        Phase::PostReadRequest => request_hook::<M, 0>,
        Phase::TranslateName => request_hook::<M, 1>,
        Phase::HeaderParser => request_hook::<M, 2>,
        Phase::AccessChecker => request_hook::<M, 3>,
        Phase::CheckUserId => request_hook::<M, 4>,
        Phase::AuthChecker => request_hook::<M, 5>,
        Phase::TypeChecker => request_hook::<M, 6>,
        Phase::Fixups => request_hook::<M, 7>,
        Phase::Handler => request_hook::<M, 8>,
        Phase::LogTransaction => request_hook::<M, 9>,
    }
}

unsafe extern "C" fn register_hooks<M: ModuleHooks>(_p: *mut sys::apr_pool_t) {
    catch_unwind_or_report("register_hooks", (), || {
        crate::log::set_module_index(M::module().index());
        let none = std::ptr::null();
        for hook in M::HOOKS {
            // SAFETY: registering 'static trampolines with NULL predecessor/successor lists.
            unsafe {
                match *hook {
                    Hook::Request(phase, order) => {
                        let f = Some(request_trampoline::<M>(phase));
                        let o = order.raw();
                        match phase {
                            Phase::PostReadRequest => {
                                sys::ap_hook_post_read_request(f, none, none, o)
                            }
                            Phase::TranslateName => sys::ap_hook_translate_name(f, none, none, o),
                            Phase::HeaderParser => sys::ap_hook_header_parser(f, none, none, o),
                            Phase::AccessChecker => sys::ap_hook_access_checker(f, none, none, o),
                            Phase::CheckUserId => sys::ap_hook_check_user_id(f, none, none, o),
                            Phase::AuthChecker => sys::ap_hook_auth_checker(f, none, none, o),
                            Phase::TypeChecker => sys::ap_hook_type_checker(f, none, none, o),
                            Phase::Fixups => sys::ap_hook_fixups(f, none, none, o),
                            Phase::Handler => sys::ap_hook_handler(f, none, none, o),
                            Phase::LogTransaction => sys::ap_hook_log_transaction(f, none, none, o),
                        }
                    }
                    Hook::PostConfig(order) => {
                        sys::ap_hook_post_config(Some(post_config::<M>), none, none, order.raw())
                    }
                    Hook::ProcessConnection(order) => sys::ap_hook_process_connection(
                        Some(process_connection::<M>),
                        none,
                        none,
                        order.raw(),
                    ),
                    Hook::ChildInit(order) => {
                        sys::ap_hook_child_init(Some(child_init::<M>), none, none, order.raw())
                    }
                }
            }
        }
    })
}

/// Asks Apache for the state of the server (`ap_state_query(AP_SQ_MAIN_STATE)`): true during
/// the first, configuration-checking pass at start-up, when modules should not start anything.
pub fn in_config_test_pass() -> bool {
    // SAFETY: ap_state_query only reads process-global state.
    unsafe {
        sys::ap_state_query(sys::AP_SQ_MAIN_STATE as c_int)
            == sys::AP_SQ_MS_CREATE_PRE_CONFIG as c_int
    }
}

/// True when Apache was started with `-D name` (`ap_exists_config_define`).
pub fn config_define_exists(name: &str) -> bool {
    let Ok(c) = std::ffi::CString::new(name) else {
        return false;
    };
    // SAFETY: ap_exists_config_define reads the process's define list.
    unsafe { sys::ap_exists_config_define(c.as_ptr()) != 0 }
}

/// `ap_mpm_query`: a number the MPM reports (`AP_MPMQ_*`).
pub fn mpm_query(code: i32) -> Option<i32> {
    let mut result: c_int = 0;
    // SAFETY: result receives the answer; an unknown code returns a non-success status.
    let status = unsafe { sys::ap_mpm_query(code, &mut result) };
    (status == sys::APR_SUCCESS as i32).then_some(result)
}

/// True once the MPM is stopping this process (`AP_MPMQ_MPM_STATE` is `AP_MPMQ_STOPPING`).
pub fn mpm_stopping() -> bool {
    mpm_query(sys::AP_MPMQ_MPM_STATE as i32) == Some(sys::AP_MPMQ_STOPPING as i32)
}

/// Adds `component` (e.g. `mod_python/3.5.0`) to the `Server:` header and the start-up line.
pub fn add_version_component(pconf: &Pool, component: &str) {
    if let Ok(c) = pconf.strdup(component.as_bytes()) {
        // SAFETY: the string lives in pconf, as ap_add_version_component requires.
        unsafe { sys::ap_add_version_component(pconf.as_raw(), c) };
    }
}

/// True when a module whose source file is `name` (e.g. `mod_wsgi.c`) is loaded.
pub fn module_loaded(name: &str) -> bool {
    let Ok(c) = std::ffi::CString::new(name) else {
        return false;
    };
    // SAFETY: ap_find_linked_module only reads the module list.
    unsafe { !sys::ap_find_linked_module(c.as_ptr()).is_null() }
}

/// One node of the parsed configuration (`ap_conftree`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigNode {
    /// The directive or section name as written (`<Directory` for a section).
    pub directive: Vec<u8>,
    /// Its arguments.
    pub args: Vec<u8>,
    /// A section's contents.
    pub children: Vec<ConfigNode>,
}

/// A copy of the configuration tree Apache parsed (main files and includes, not `.htaccess`).
pub fn config_tree() -> Vec<ConfigNode> {
    /// # Safety
    /// `d` is NULL or a node of the live configuration tree.
    unsafe fn walk(mut d: *mut sys::ap_directive_t) -> Vec<ConfigNode> {
        let mut out = Vec::new();
        // SAFETY: following next/first_child links of the tree, which lives in pconf.
        unsafe {
            while !d.is_null() {
                let text = |p| {
                    crate::strings::opt_bytes(p)
                        .map(<[u8]>::to_vec)
                        .unwrap_or_default()
                };
                out.push(ConfigNode {
                    directive: text((*d).directive),
                    args: text((*d).args),
                    children: walk((*d).first_child),
                });
                d = (*d).next;
            }
        }
        out
    }
    // pconf outlives every child; the tree is only read here.
    // SAFETY: ap_conftree is set when the configuration is read and lives in pconf.
    unsafe { walk(sys::ap_conftree) }
}

unsafe extern "C" fn output_filter<M: ModuleHooks>(
    f: *mut sys::ap_filter_t,
    bb: *mut sys::apr_bucket_brigade,
) -> sys::apr_status_t {
    catch_unwind_or_report("output filter", sys::APR_EGENERAL as i32, || {
        // The brigade is ours until we return.
        // SAFETY: Apache passes the live filter and brigade of this call.
        let (f, bb) = unsafe { (crate::Filter::from_raw(f), crate::Brigade::from_raw_mut(bb)) };
        M::output_filter(f, bb)
    })
}

/// Registers an output filter named `name` (resource type, as mod_python's) whose brigades
/// go to [`ModuleHooks::output_filter`]. Call during configuration.
pub fn register_output_filter<M: ModuleHooks>(name: &str) {
    let Ok(c) = std::ffi::CString::new(name) else {
        return;
    };
    // SAFETY: Apache copies the name; the callback is a 'static trampoline.
    unsafe {
        sys::ap_register_output_filter(
            c.as_ptr(),
            Some(output_filter::<M>),
            None,
            sys::AP_FTYPE_RESOURCE,
        );
    }
}

unsafe extern "C" fn process_connection<M: ModuleHooks>(c: *mut sys::conn_rec) -> c_int {
    catch_unwind_or_report("process_connection", HookResult::Declined, || {
        // SAFETY: Apache passes the live connection to process_connection on its thread.
        let c = unsafe { crate::Connection::from_raw(c) };
        M::process_connection(c)
    })
    .to_raw()
}

unsafe extern "C" fn input_filter<M: ModuleHooks>(
    f: *mut sys::ap_filter_t,
    bb: *mut sys::apr_bucket_brigade,
    mode: sys::ap_input_mode_t,
    _block: sys::apr_read_type_e,
    readbytes: sys::apr_off_t,
) -> sys::apr_status_t {
    catch_unwind_or_report("input filter", sys::APR_EGENERAL as i32, || {
        // The brigade is ours until we return.
        // SAFETY: Apache passes the live filter and brigade of this call.
        let (f, bb) = unsafe { (crate::Filter::from_raw(f), crate::Brigade::from_raw_mut(bb)) };
        M::input_filter(f, bb, mode, readbytes)
    })
}

/// Registers an input filter named `name` (resource type) whose reads go to
/// [`ModuleHooks::input_filter`]. Call during configuration.
pub fn register_input_filter<M: ModuleHooks>(name: &str) {
    let Ok(c) = std::ffi::CString::new(name) else {
        return;
    };
    // SAFETY: Apache copies the name; the callback is a 'static trampoline.
    unsafe {
        sys::ap_register_input_filter(
            c.as_ptr(),
            Some(input_filter::<M>),
            None,
            sys::AP_FTYPE_RESOURCE,
        );
    }
}
