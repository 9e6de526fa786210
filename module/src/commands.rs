//! The directive table: each `Python*` directive, where it is allowed, its argument shape,
//! and the function that hands its words to the `directives` crate. Syntax errors come back
//! as sentences; Apache prints them with the file and line and refuses to start.

use crate::PythonModule;
use bindings::module::{Cmd, Command, CommandTable, DirectiveFn};
use bindings::sys::OR_ALL;
use directives::{parse_handler_line, DirConfig, HandlerPhase};

type Ctx<'a> = Cmd<'a, PythonModule>;

/// Number of entries in [`COMMANDS`] (including the terminator).
pub const COUNT: usize = 7;

/// The directives of mod_python implemented so far.
pub static COMMANDS: CommandTable<PythonModule, COUNT> = CommandTable::new([
    Command::new(
        c"PythonHandler",
        &DirectiveFn::RawArgs(python_handler),
        OR_ALL,
        c"PythonHandler module[::object] [module[::object] ...] [| .ext ...]",
    ),
    Command::new(
        c"PythonPath",
        &DirectiveFn::Take1(python_path),
        OR_ALL,
        c"PythonPath \"python list expression\"",
    ),
    Command::new(
        c"PythonDebug",
        &DirectiveFn::Flag(python_debug),
        OR_ALL,
        c"PythonDebug On|Off",
    ),
    Command::new(
        c"PythonAutoReload",
        &DirectiveFn::Flag(python_auto_reload),
        OR_ALL,
        c"PythonAutoReload On|Off",
    ),
    Command::new(
        c"PythonOption",
        &DirectiveFn::Take12(python_option),
        OR_ALL,
        c"PythonOption key [value]",
    ),
    Command::new(
        c"PythonInterpreter",
        &DirectiveFn::Take1(python_interpreter),
        OR_ALL,
        c"PythonInterpreter name",
    ),
    Command::END,
]);

/// Where the directive was written: the section's directory, and whether it is a
/// `<Location>` (whose handlers get no directory on `sys.path`).
fn section_context(cmd: &Ctx<'_>) -> (Option<String>, bool) {
    let Some(path) = cmd.path() else {
        return (None, false);
    };
    let section = cmd.section().unwrap_or("").to_ascii_lowercase();
    if section.starts_with("<location") {
        (None, true)
    } else if section.starts_with("<files") {
        let dir = cmd
            .enclosing_directory()
            .map(|d| if d.ends_with('/') { d } else { d + "/" });
        (dir, false)
    } else {
        let dir = if path.ends_with('/') {
            path.to_string()
        } else {
            format!("{path}/")
        };
        (Some(dir), false)
    }
}

/// Applies `f` to the section's config and, for directives outside any section, to the
/// server config too, so `server.get_config()` sees them (as mod_python does).
fn apply(cmd: &mut Ctx<'_>, dir: &mut DirConfig, f: impl Fn(&mut DirConfig)) {
    f(dir);
    if cmd.path().is_none() {
        f(&mut cmd.server_config().settings);
    }
}

fn python_handler(cmd: &mut Ctx<'_>, dir: &mut DirConfig, args: &str) -> Result<(), String> {
    let line = parse_handler_line(args).map_err(|e| e.to_string())?;
    let (directory, is_location) = section_context(cmd);
    apply(cmd, dir, |c| {
        c.directory = directory.clone();
        c.is_location = is_location;
        c.add_handlers(HandlerPhase::Handler, &line, false);
    });
    Ok(())
}

fn python_path(cmd: &mut Ctx<'_>, dir: &mut DirConfig, path: &str) -> Result<(), String> {
    apply(cmd, dir, |c| c.python_path = Some(path.to_string()));
    Ok(())
}

fn python_debug(cmd: &mut Ctx<'_>, dir: &mut DirConfig, on: bool) -> Result<(), String> {
    apply(cmd, dir, |c| c.debug = Some(on));
    Ok(())
}

fn python_auto_reload(cmd: &mut Ctx<'_>, dir: &mut DirConfig, on: bool) -> Result<(), String> {
    apply(cmd, dir, |c| c.auto_reload = Some(on));
    Ok(())
}

fn python_option(
    cmd: &mut Ctx<'_>,
    dir: &mut DirConfig,
    key: &str,
    value: Option<&str>,
) -> Result<(), String> {
    apply(cmd, dir, |c| c.set_option(key, value));
    Ok(())
}

fn python_interpreter(cmd: &mut Ctx<'_>, dir: &mut DirConfig, name: &str) -> Result<(), String> {
    if name.trim().is_empty() {
        return Err("expected an interpreter name".into());
    }
    apply(cmd, dir, |c| c.interpreter = Some(name.to_string()));
    Ok(())
}
