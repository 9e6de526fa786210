//! The directive table: [`Command`]s, the [`Cmd`] context a directive handler gets, and the
//! trampolines that turn a handler's result into Apache's error string.

use super::*;

/// The directive table: [`Command`]s ending with [`Command::END`].
pub struct CommandTable<M, const N: usize> {
    pub(super) cmds: [sys::command_rec; N],
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
/// What a directive handler returns.
pub type DirResult = Result<(), DirError>;

/// Why a directive handler did not take a directive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirError {
    /// A mistake: the sentence Apache prints with the file and line, refusing to start.
    Message(String),
    /// Not an error: the next module that knows the directive handles it too (Apache's
    /// `DECLINE_CMD`); how a module observes another module's directive.
    Decline,
}

impl From<String> for DirError {
    fn from(message: String) -> DirError {
        DirError::Message(message)
    }
}

impl From<&str> for DirError {
    fn from(message: &str) -> DirError {
        DirError::Message(message.to_string())
    }
}

/// Where a directive may be written (`req_override`): Apache's `RSRC_CONF`, `ACCESS_CONF`,
/// `OR_*` bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Override(u32);

impl Override {
    /// Outside any section: the main server and virtual hosts (`RSRC_CONF`).
    pub const SERVER: Override = Override(sys::RSRC_CONF);
    /// Inside `<Directory>`, `<Location>`, `<Files>` (`ACCESS_CONF`).
    pub const SECTIONS: Override = Override(sys::ACCESS_CONF);
    /// Also in `.htaccess`, whatever `AllowOverride` says (`OR_ALL`).
    pub const ANYWHERE: Override = Override(sys::OR_ALL);
    /// In `.htaccess` under `AllowOverride AuthConfig` (`OR_AUTHCFG`).
    pub const AUTH_CONFIG: Override = Override(sys::OR_AUTHCFG);

    /// Both sets of places.
    pub const fn and(self, other: Override) -> Override {
        Override(self.0 | other.0)
    }
}

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

    /// A directive `name`, allowed where `allowed` says, handled by `f`, with `help` shown by
    /// Apache on misuse.
    pub const fn new(
        name: &'static CStr,
        f: &'static DirectiveFn<M>,
        allowed: Override,
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
                req_override: allowed.0 as c_int,
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
    f: impl FnOnce(&DirectiveFn<M>, &mut Cmd<'_, M>, &mut M::DirConfig) -> DirResult,
) -> *const c_char {
    // SAFETY: Apache passes a valid cmd_parms; its info is the DirectiveFn<M> of the command.
    let (parms, spec) = unsafe { (&*cmd, &*((*cmd).info as *const DirectiveFn<M>)) };
    let mut ctx = Cmd {
        raw: parms,
        _module: PhantomData,
    };
    let name = ctx.directive_name().to_string();
    let result = catch_unwind_or_report(&name, Err("internal error".into()), || {
        // mconfig is the M::DirConfig that create_dir_config::<M> made for this section, or
        // NULL when making it failed (already reported).
        // SAFETY: a live config of this section, or NULL.
        let Some(dir) = (unsafe { (mconfig as *mut M::DirConfig).as_mut() }) else {
            return Err("the section's configuration could not be created".into());
        };
        f(spec, &mut ctx, dir)
    });
    match result {
        Ok(()) => std::ptr::null(),
        // Apache's DECLINE_CMD, "\a\b".
        Err(DirError::Decline) => c"\x07\x08".as_ptr(),
        Err(DirError::Message(msg)) => error_text(parms.pool, &name, &msg),
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
