//! The directive table, built from the `directives` crate's list of every `Python*`
//! directive (names, contexts, usage), with one function that hands each directive's words
//! to that crate, which parses them and applies them with mod_python's rules. Syntax errors
//! come back as sentences naming the directive; Apache prints them with the file and line
//! and refuses to start.

use crate::PythonModule;
use bindings::module::{Cmd, Command, CommandTable, DirError, DirResult, DirectiveFn, Override};
use directives::{
    apply_directive, parse_directive, Context, DirConfig, Origin, Scope, Section, DIRECTIVES,
};

type Ctx<'a> = Cmd<'a, PythonModule>;

const PARSE: DirectiveFn<PythonModule> = DirectiveFn::RawArgs(python_directive);

const REQUIRE: DirectiveFn<PythonModule> = DirectiveFn::RawArgs(require_line);

/// Number of entries in [`COMMANDS`] (every directive, `Require`, and the terminator).
pub const COUNT: usize = DIRECTIVES.len() + 2;

/// Where Apache allows a directive of `scope`.
const fn allowed(scope: Scope) -> Override {
    match scope {
        Scope::Server => Override::SERVER,
        Scope::ServerAndSections => Override::SERVER.and(Override::SECTIONS),
        Scope::Anywhere => Override::ANYWHERE,
    }
}

const fn commands() -> [Command<PythonModule>; COUNT] {
    let mut table = [Command::END; COUNT];
    let mut i = 0;
    while i < DIRECTIVES.len() {
        let d = &DIRECTIVES[i];
        table[i] = Command::new(d.c_name, &PARSE, allowed(d.scope), d.c_usage);
        i += 1;
    }
    table[i] = Command::new(
        c"Require",
        &REQUIRE,
        Override::AUTH_CONFIG,
        c"(read by mod_python for req.requires(), then handled by mod_authz_core)",
    );
    table
}

/// Every directive of mod_python 3.5, with the contexts mod_python allows it in.
pub static COMMANDS: CommandTable<PythonModule, COUNT> = CommandTable::new(commands());

/// Notes a `Require` line for `req.requires()` and declines it, so mod_authz_core (loaded
/// before mod_python, hence asked after it) handles it as usual. Lines inside
/// `<RequireAll>`/`<RequireAny>` land in configurations mod_authz_core discards, as they
/// should: mod_python 3.5 knew only plain `Require` lines.
fn require_line(cmd: &mut Ctx<'_>, dir: &mut DirConfig, args: &str) -> DirResult {
    if !bindings::module::module_loaded("mod_authz_core.c") {
        // Never accept a Require line nobody enforces: Apache's own error, as without us.
        return Err(
            "Invalid command 'Require', perhaps misspelled or defined by a module not \
                    included in the server configuration (mod_authz_core)"
                .into(),
        );
    }
    dir.requires.push(directives::RequireLine {
        text: args.trim().to_string(),
        method_mask: cmd.limited_methods(),
    });
    Err(DirError::Decline)
}

/// Every directive: parse its words, find out where it was written, apply it to the
/// section's and the server's configuration.
fn python_directive(cmd: &mut Ctx<'_>, dir: &mut DirConfig, args: &str) -> DirResult {
    let name = cmd.directive_name().to_string();
    let directive = parse_directive(&name, args).map_err(|e| e.to_string())?;
    let sections: Vec<Section> = cmd
        .sections()
        .into_iter()
        .map(|(name, args)| Section { name, args })
        .collect();
    let origin = Origin {
        file: cmd.file().unwrap_or("").to_string(),
        line: cmd.line(),
    };
    let htaccess = cmd.htaccess_file().map(str::to_string);
    let ctx = Context::determine(&sections, htaccess.as_deref(), origin);
    match cmd.server_config() {
        Some(server) => apply_directive(dir, server, &directive, &ctx),
        // An .htaccess directive only changes its directory's configuration.
        None => dir.apply(&directive, &ctx),
    }
    match &directive {
        directives::Directive::Flag(directives::Flag::Debug, true) => {
            note_debug_on(&ctx.origin.file, ctx.origin.line)
        }
        directives::Directive::Handler { phase, .. } => pyruntime::note_phase_possible(*phase),
        directives::Directive::HandlerModule(_) => pyruntime::note_every_phase_possible(),
        directives::Directive::OutputFilter { name, .. } => {
            bindings::module::register_output_filter::<PythonModule>(name)
        }
        directives::Directive::InputFilter { name, .. } => {
            bindings::module::register_input_filter::<PythonModule>(name)
        }
        _ => {}
    }
    Ok(())
}

/// Where `PythonDebug On` was first written in the configuration being read (for the
/// start-up warning): tracebacks then reach the clients.
static DEBUG_ON_AT: std::sync::Mutex<Option<(String, u32)>> = std::sync::Mutex::new(None);

fn note_debug_on(file: &str, line: u32) {
    if let Ok(mut at) = DEBUG_ON_AT.lock() {
        at.get_or_insert_with(|| (file.to_string(), line));
    }
}

/// Where the configuration just read turns `PythonDebug` on, if it does (forgotten, so a
/// configuration read later without it does not warn).
pub fn take_debug_on() -> Option<(String, u32)> {
    DEBUG_ON_AT.lock().ok().and_then(|mut at| at.take())
}
